using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

public sealed class DequantizeLinearTests
{
    private static readonly DequantizeLinear Op = new();

    [Fact]
    public void Uint8_values_above_127_are_read_as_unsigned()
    {
        // (x - 128) * 2 for x = 0, 3, 128, 255.
        var y = Run(Op, Node("DequantizeLinear", 10, 3, 1), U8([4], 0, 3, 128, 255), Scalar(2f), Scalar((byte)128))[0];
        Assert.Equal(new[] { -256f, -250, 0, 254 }, y.As<float>());
    }

    [Fact]
    public void Int8_without_zero_point()
    {
        var y = Run(Op, Node("DequantizeLinear", 13, 2, 1), I8([3], -128, 0, 127), Scalar(0.5f))[0];
        Assert.Equal(new[] { -64f, 0, 63.5f }, y.As<float>());
    }

    [Fact]
    public void Int32_is_dequantized_without_overflow()
    {
        var y = Run(Op, Node("DequantizeLinear", 19, 3, 1), I32([2], int.MinValue, 5), Scalar(0.5f), I32([], 10))[0];
        Assert.Equal(new[] { (int.MinValue - 10L) * 0.5f, (5 - 10) * 0.5f }, y.As<float>());
    }

    [Fact]
    public void Per_axis_along_the_channel_axis()
    {
        // x [1, 2, 2]: channel 0 scale 1 zero point 1, channel 1 scale 10 zero point 2.
        var y = Run(Op, Node("DequantizeLinear", 13, 3, 1), U8([1, 2, 2], 1, 2, 3, 4), F([2], 1, 10), U8([2], 1, 2))[0];
        Assert.Equal(new[] { 0f, 1, 10, 20 }, y.As<float>());
    }

    [Fact]
    public void Blocked_along_the_last_axis()
    {
        // x [1, 3], block 2: elements {0, 1} use scale 2 zero point 1, element {2} scale 5 zero point 0.
        var y = Run(Op, Node("DequantizeLinear", 21, 3, 1, Int("axis", -1), Int("block_size", 2)),
            I8([1, 3], 3, -1, 2), F([1, 2], 2, 5), I8([1, 2], 1, 0))[0];
        Assert.Equal(new[] { 4f, -4, 10 }, y.As<float>());
    }

    [Fact]
    public void Block_size_is_ignored_before_opset_21()
    {
        // Opset 19 has no block_size: a 1-D scale is per-axis.
        var y = Run(Op, Node("DequantizeLinear", 19, 2, 1, Int("axis", 0), Int("block_size", 2)), U8([2], 1, 1), F([2], 1, 3))[0];
        Assert.Equal(new[] { 1f, 3 }, y.As<float>());
    }

    [Fact]
    public void Rejects_mismatched_or_unsupported_types()
    {
        AssertRejected(Op, Node("DequantizeLinear", 13, 3, 1), [U8([1], 1), Scalar(1f), Scalar((sbyte)0)], "must have the same type");
        AssertRejected(Op, Node("DequantizeLinear", 23, 2, 1, Int("output_dtype", (long)ElementType.Float16)),
            [U8([1], 1), Scalar(1f)], "float32 only");
        AssertRejected(Op, Node("DequantizeLinear", 13, 2, 1), [F([1], 1), Scalar(1f)], "element type float");
    }

    [Fact]
    public void Rejects_a_per_axis_scale_of_the_wrong_length()
    {
        AssertRejected(Op, Node("DequantizeLinear", 13, 2, 1), [U8([1, 2, 2], 1, 2, 3, 4), F([3], 1, 1, 1)], "has 2 along axis 1");
    }
}
