using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.TestSupport;

namespace Octet.Tests.Quantization;

/// <summary>
/// mnist-8 in QDQ form for the quantizer and lowering tests: min/max calibration over the three stored
/// inputs, int8 asymmetric activations, the config's default per-channel symmetric int8 weights.
/// </summary>
internal static class MnistQdq
{
    private static readonly Lazy<(ModelGraph Float, ModelGraph Qdq, List<Dictionary<string, Tensor>> Inputs)> Value = new(() =>
    {
        var graph = OnnxModelLoader.Load(TestData.Model("mnist-8"));
        var inputs = Enumerable.Range(0, 3)
            .Select(k => InputSets.FromFolder(Path.Combine(TestData.ModelFolder("mnist-8"), $"test_data_set_{k}"), graph))
            .ToList();
        var config = Calibrator.Run(graph, CalibrationSamples.FromList(inputs), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        return (graph, QdqQuantizer.Apply(graph, config.ToRequest()), inputs);
    });

    /// <summary>The float graph, its QDQ form and the three stored inputs (built once; graphs are not modified by the tests).</summary>
    public static (ModelGraph Float, ModelGraph Qdq, List<Dictionary<string, Tensor>> Inputs) Get() => Value.Value;
}
