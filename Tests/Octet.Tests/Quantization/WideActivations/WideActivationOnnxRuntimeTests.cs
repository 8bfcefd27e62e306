using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.OnnxRuntime;
using Octet.Tests.FrontEnd;
using Octet.Tests.Onnx.Writing;
using Octet.Tests.Quantization.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.WideActivations;

/// <summary>
/// The QDQ model of the residual policy, written as ONNX (int16 Q/DQ in the com.microsoft domain: the models are opset
/// 17), loaded and run by ONNX Runtime on 10 of the 100 inputs, against the reference executor's run of the same model.
/// <para>
/// Tolerance: both compute the same graph in float32, but ONNX Runtime's MatMul / LayerNorm / Erf sum in another order
/// (and with optimizations on, fuse Q/DQ pairs into integer kernels that requantize in their own way), so an
/// intermediate value at a rounding boundary can land one step away, and that step travels to the output. A wrong
/// graph (a missing copy, a wrong scale or type) moves the outputs by far more than that: the check is cosine ≥ 0.9999
/// per sample against the reference executor, the maximum difference printed in output steps, and argmax agreement on
/// every row at ORT_DISABLE_ALL (plain float operators).
/// </para>
/// </summary>
public sealed class WideActivationOnnxRuntimeTests
{
    private readonly ITestOutputHelper _output;
    public WideActivationOnnxRuntimeTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("vit")]
    [InlineData("bert_toy")]
    public void OnnxRuntime_runs_the_int16_QDQ_model_and_agrees_with_the_reference_executor(string model)
    {
        using var folder = new TempFolder();
        var setup = WideActivationCase.Load(model, folder.Path, sampleCount: 10);
        var qdq = QdqQuantizer.Apply(setup.Fused, setup.Residual().ToRequest());
        Assert.Contains(qdq.Nodes, n => n.Domain == "com.microsoft" && n.OpType == "QuantizeLinear");
        var path = Path.Combine(folder.Path, model + ".int16.qdq.onnx");
        OnnxModelWriter.Write(qdq, path);
        var reference = setup.Run(qdq);
        var outputs = setup.Float.Outputs.ToList();

        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var metrics = outputs.ToDictionary(o => o, _ => new AgreementMetrics(), StringComparer.Ordinal);
            var worstSteps = outputs.ToDictionary(o => o, _ => 0.0, StringComparer.Ordinal);
            for (int i = 0; i < setup.Samples.Count; i++)
            {
                var ort = RoundTrip.RunOrt(path, level, setup.Samples[i], outputs);
                foreach (var name in outputs)
                {
                    metrics[name].Add(reference[i][name], ort[name]);
                    float step = OutputStep(qdq, name);
                    worstSteps[name] = Math.Max(worstSteps[name], RoundTrip.MaxAbsDiff(reference[i][name], ort[name]) / step);
                }
            }
            foreach (var name in outputs)
            {
                var m = metrics[name];
                _output.WriteLine($"{model} {level} '{name}': against the reference executor's QDQ run: {m}; largest difference {worstSteps[name]:F1} output steps");
                Assert.True(m.Min >= 0.9999, $"{model} {level} '{name}': cosine min {m.Min:F6} against the reference executor");
                if (level == GraphOptimizationLevel.ORT_DISABLE_ALL)
                    Assert.True(m.ArgmaxAgreement == 1, $"{model} '{name}': argmax differs from the reference executor's on {1 - m.ArgmaxAgreement:P1} of rows");
            }
        }
    }

    /// <summary>The scale of the QuantizeLinear that quantizes graph output <paramref name="name"/> (its float tensor is NAME_float).</summary>
    private static float OutputStep(ModelGraph qdq, string name)
    {
        var dq = qdq.Producer(name)!;
        return qdq.Tensor(dq.Inputs[1]).ConstantValue!.As<float>()[0];
    }
}
