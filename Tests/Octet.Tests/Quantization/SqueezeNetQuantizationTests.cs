using Octet.Cli.Commands;
using Octet.Compiler.Data;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.Compiler.Verification;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization;

/// <summary>
/// SqueezeNet 1.0 quantized by Octet (min/max calibration on its one stored input — the only image that
/// ships with it), lowered integer-only, against ONNX Runtime running Octet's QDQ export: same top-5.
/// </summary>
public sealed class SqueezeNetQuantizationTests
{
    [Fact]
    public void Octet_int8_and_OnnxRuntime_on_the_export_agree_on_top5()
    {
        var path = TestData.Model("squeezenet1.0");
        var graph = OnnxModelLoader.Load(path);
        var folder = Path.Combine(TestData.ModelFolder("squeezenet1.0"), "test_data_set_0");
        var inputs = InputSets.FromFolder(folder, graph);
        var config = QuantizedConfigFromOneSample(graph, inputs);

        var qdq = QdqQuantizer.Apply(graph, config.ToRequest());
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly);
        Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(plan));
        var octet = new ReferenceExecutor(plan).Run(inputs);

        using var temp = new FrontEnd.TempFolder();
        var exported = Path.Combine(temp.Path, "squeezenet.qdq.onnx");
        OnnxModelWriter.Write(qdq, exported);
        var ort = OnnxRuntimeReference.Run(exported, inputs, graph.Outputs);

        var output = graph.Outputs[0];
        Assert.Equal(1.0, TensorAgreement.TopKAgreementOverLastAxis(octet[output], ort[output], 5));
    }

    private static QuantizationConfig QuantizedConfigFromOneSample(Octet.Compiler.Graph.ModelGraph graph, Dictionary<string, Octet.Compiler.Graph.Tensor> inputs) =>
        Calibrator.Run(graph, CalibrationSamples.FromList([inputs]), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
}
