using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

public sealed class QLinearConvTests
{
    private static readonly QLinearConv Op = new();

    private static Tensor[] Inputs(Tensor x, float xScale, Tensor xZeroPoint, Tensor w, Tensor wScale, Tensor wZeroPoint,
        float yScale, Tensor yZeroPoint, Tensor? bias = null) =>
        bias is null
            ? [x, Scalar(xScale), xZeroPoint, w, wScale, wZeroPoint, Scalar(yScale), yZeroPoint]
            : [x, Scalar(xScale), xZeroPoint, w, wScale, wZeroPoint, Scalar(yScale), yZeroPoint, bias];

    private static Tensor Run(Node node, Tensor[] inputs) => QuantizationHarness.Run(Op, node, inputs)[0];

    [Fact]
    public void Requantizes_with_rounding_half_to_even()
    {
        // x - 10 = [0, 2, 5, 7], w - 2 = 1; M = 0.5 * 1 / 1: [0, 1, 2.5, 3.5] → [0, 1, 2, 4], + 100.
        var y = Run(Node("QLinearConv", 10, 8, 1), Inputs(
            U8([1, 1, 1, 4], 10, 12, 15, 17), 0.5f, Scalar((byte)10), U8([1, 1, 1, 1], 3), F([1], 1), U8([1], 2), 1f, Scalar((byte)100)));
        Assert.Equal(ElementType.UInt8, y.ElementType);
        Assert.Equal(new byte[] { 100, 101, 102, 104 }, y.As<byte>());
    }

    [Fact]
    public void Bias_and_per_output_channel_weight_scales_with_int8_output()
    {
        // Channel 0: 10 * x + 100 = [140, 60], M = 1 * 1 / 2 → [70, 30] - 10 = [60, 20].
        // Channel 1: 1 * x - 3 = [1, -7], M = 1 * 0.25 / 2 = 0.125 → [0.125, -0.875] → [0, -1] - 10 = [-10, -11].
        var y = Run(Node("QLinearConv", 10, 9, 1), Inputs(
            I8([1, 1, 1, 2], 4, -4), 1f, Scalar((sbyte)0), I8([2, 1, 1, 1], 10, 1), F([2], 1, 0.25f), I8([2], 0, 0),
            2f, Scalar((sbyte)-10), I32([2], 100, -3)));
        Assert.Equal(ElementType.Int8, y.ElementType);
        Assert.Equal(new Shape(1, 2, 1, 2), y.Shape);
        Assert.Equal(new sbyte[] { 60, 20, -10, -11 }, y.As<sbyte>());
    }

    [Fact]
    public void Saturates_to_the_output_type()
    {
        var y = Run(Node("QLinearConv", 10, 8, 1), Inputs(
            I8([1, 1, 1, 2], 100, -100), 1f, Scalar((sbyte)0), I8([1, 1, 1, 1], 100), F([1], 1), I8([1], 0), 1f, Scalar((sbyte)0)));
        Assert.Equal(new sbyte[] { 127, -128 }, y.As<sbyte>());
    }

    [Fact]
    public void Multiplies_the_accumulator_in_float64_like_the_ONNX_reference()
    {
        // M = 0.1f; 25 * 0.1f = 2.50000004 exactly, which rounds to 3. A float32 product would be the tie 2.5 → 2
        // (ONNX Runtime's result).
        var y = Run(Node("QLinearConv", 10, 8, 1), Inputs(
            U8([1, 1, 1, 1], 25), 0.1f, Scalar((byte)0), U8([1, 1, 1, 1], 1), Scalar(1f), Scalar((byte)0), 1f, Scalar((byte)0)));
        Assert.Equal(new byte[] { 3 }, y.As<byte>());
    }

    [Fact]
    public void Padding_holds_the_input_zero_point()
    {
        // x - 7 = 0 everywhere, padded by 1: every output is exactly y_zero_point.
        var y = Run(Node("QLinearConv", 10, 8, 1, Ints("pads", 1, 1, 1, 1)), Inputs(
            U8([1, 1, 1, 1], 7), 1f, Scalar((byte)7), U8([1, 1, 1, 1], 9), Scalar(1f), Scalar((byte)0), 1f, Scalar((byte)5)));
        Assert.Equal(new Shape(1, 1, 3, 3), y.Shape);
        Assert.All(y.As<byte>(), v => Assert.Equal(5, v));
    }

    [Fact]
    public void Auto_pad_same_upper_keeps_the_spatial_size()
    {
        // x = [1, 2, 3], kernel [1, 1], SAME_UPPER pads one at the end: [1+2, 2+3, 3+0].
        var y = Run(Node("QLinearConv", 10, 8, 1, String("auto_pad", "SAME_UPPER")), Inputs(
            U8([1, 1, 3], 1, 2, 3), 1f, Scalar((byte)0), U8([1, 1, 2], 1, 1), Scalar(1f), Scalar((byte)0), 1f, Scalar((byte)0)));
        Assert.Equal(new byte[] { 3, 5, 3 }, y.As<byte>());
    }

    [Fact]
    public void Rejects_parameters_of_the_wrong_shape_or_type()
    {
        var x = U8([1, 2, 1, 1], 1, 2);
        var w = U8([2, 2, 1, 1], 1, 2, 3, 4);
        AssertRejected(Op, Node("QLinearConv", 10, 8, 1),
            Inputs(x, 1f, Scalar((byte)0), w, F([3], 1, 1, 1), U8([3], 0, 0, 0), 1f, Scalar((byte)0)), "one value per output channel");
        AssertRejected(Op, Node("QLinearConv", 10, 8, 1),
            Inputs(x, 1f, Scalar((byte)0), w, F([2], 1, 1), Scalar((byte)0), 1f, Scalar((byte)0)), "zero point has shape []");
        AssertRejected(Op, Node("QLinearConv", 10, 9, 1),
            Inputs(x, 1f, Scalar((byte)0), w, Scalar(1f), Scalar((byte)0), 1f, Scalar((byte)0), F([2], 1, 1)), "element type float");
        AssertRejected(Op, Node("QLinearConv", 10, 9, 1),
            Inputs(x, 1f, Scalar((byte)0), w, Scalar(1f), Scalar((byte)0), 1f, Scalar((byte)0), I32([3], 1, 1, 1)), "expected [2]");
        AssertRejected(Op, Node("QLinearConv", 10, 8, 1),
            Inputs(x, 1f, Scalar((sbyte)0), w, Scalar(1f), Scalar((byte)0), 1f, Scalar((byte)0)), "must have the same type");
        AssertRejected(Op, Node("QLinearConv", 10, 8, 1),
            [x, F([2], 1, 1), Scalar((byte)0), w, Scalar(1f), Scalar((byte)0), Scalar(1f), Scalar((byte)0)], "per-tensor");
        AssertRejected(Op, Node("QLinearConv", 10, 7, 1),
            [x, Scalar(1f), Scalar((byte)0), w, Scalar(1f), Scalar((byte)0), Scalar(1f)], "takes 8 to 9 inputs");
    }
}
