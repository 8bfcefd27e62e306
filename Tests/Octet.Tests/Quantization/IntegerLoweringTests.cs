using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization;

/// <summary>
/// Lowering QDQ graphs to Octet's integer operators: the integer-only plan has no float arithmetic between
/// its edges, runs in the reference executor, and agrees with the simulated (QDQ, float) execution of the
/// same quantization within 1 LSB on int8 outputs.
/// </summary>
public sealed class IntegerLoweringTests
{
    private static (ModelGraph Qdq, List<Dictionary<string, Tensor>> Inputs) QdqMnist()
    {
        var (_, qdq, inputs) = MnistQdq.Get();
        return (qdq, inputs);
    }

    [Fact]
    public void Integer_only_mnist_plan_has_no_float_arithmetic()
    {
        var (qdq, _) = QdqMnist();
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly);
        Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(plan));
        Assert.Equal(["QuantizeLinear", "QConv", "MaxPool", "QConv", "MaxPool", "Reshape", "QGemm", "DequantizeLinear"],
            plan.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Ort_compatible_plan_is_reported_as_using_float_requantization()
    {
        var (qdq, _) = QdqMnist();
        var plan = IntegerLowering.Lower(qdq, NumericsMode.OrtCompatible);
        Assert.Contains(IntegerPlanCheck.FindFloatArithmetic(plan), p => p.Contains("float constant(s) scale"));
    }

    [Theory]
    [InlineData(NumericsMode.IntegerOnly)]
    [InlineData(NumericsMode.OrtCompatible)]
    public void Lowered_mnist_agrees_with_simulated_quantization(NumericsMode mode)
    {
        var (qdq, inputs) = QdqMnist();
        var plan = IntegerLowering.Lower(qdq, mode);
        var simulated = new ReferenceExecutor(qdq);
        var integer = new ReferenceExecutor(plan);
        var output = qdq.Outputs[0];
        float step = qdq.Tensor(output + "_quantized").Quantization!.Scale;
        foreach (var input in inputs)
        {
            var expected = simulated.Run(input)[output].As<float>();
            var actual = integer.Run(input)[output].As<float>();
            Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
            // Both quantize every activation with the same parameters; the simulation rounds twice per layer
            // in float (x·w sums, then quantize) where the plan rounds once from the exact int32 sum, so
            // differences of a step can occur and compound over three layers.
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 3 * step + 1e-6f, $"{mode} logit {i}: {actual[i]} vs {expected[i]} (step {step})");
        }
    }
}
