using Octet.Cli.Commands;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization;

/// <summary>
/// Models that arrive quantized (QDQ and QOperator form), lowered to Octet's integer operators and run by
/// the integer reference executor, against ONNX Runtime 1.30.0 running the original file (graph
/// optimizations on, so its own int8 kernels). Outputs are dequantized int8, so |a − b| / step is the
/// exact difference of the underlying integers.
/// ort-compatible numerics (float32 requantization as ONNX Runtime computes it): bit-exact.
/// integer-only numerics (fixed-point requantization): within 2 LSB, and no float arithmetic in the plan.
/// </summary>
public sealed class QuantizedModelAgreementTests
{
    private readonly ITestOutputHelper _output;
    public QuantizedModelAgreementTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var model in new[] { "mobilenetv3-small-qdq/model.onnx", "shufflenet-v2-int8/model.onnx",
                     "ort-synthetic/conv_qdq_s8s8.onnx", "ort-synthetic/conv_qdq_s8s8_perchannel.onnx", "ort-synthetic/conv_qdq_u8u8.onnx" })
            foreach (var mode in new[] { NumericsMode.OrtCompatible, NumericsMode.IntegerOnly })
                yield return [model, mode];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Integer_plan_agrees_with_OnnxRuntime(string model, NumericsMode mode)
    {
        var path = Path.Combine(TestData.Folder, "models", model);
        var graph = OnnxModelLoader.Load(path);
        var stored = Path.Combine(Path.GetDirectoryName(path)!, "test_data_set_0");
        var inputs = Directory.Exists(stored) ? InputSets.FromFolder(stored, graph) : InputSets.Random(graph, InputSets.RandomSeed);

        var qdq = QuantizedModelImport.ToQdq(graph);
        var plan = IntegerLowering.Lower(qdq, mode);
        var octet = new ReferenceExecutor(plan).Run(inputs);
        var ort = OnnxRuntimeReference.Run(path, inputs, graph.Outputs);
        var quantized = new QuantizedPlan(qdq, plan, mode, null);

        if (mode == NumericsMode.IntegerOnly) Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(plan));
        foreach (var name in graph.Outputs)
        {
            var step = quantized.OutputStep(name) ?? throw new Xunit.Sdk.XunitException($"output '{name}' is not dequantized int8");
            var lsb = LsbAgreement.Measure(octet[name], ort[name], step);
            _output.WriteLine($"{model} {mode} '{name}': bit-exact {lsb.FractionExact:P2}, within ±1 LSB {lsb.FractionWithin1:P2}, max {lsb.MaxLsb} LSB");
            if (mode == NumericsMode.OrtCompatible) Assert.Equal(0, lsb.MaxLsb);
            else Assert.InRange(lsb.MaxLsb, 0, 2);
        }
    }
}
