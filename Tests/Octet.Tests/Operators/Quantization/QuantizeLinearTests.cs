using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

public sealed class QuantizeLinearTests
{
    private static readonly QuantizeLinear Op = new();

    [Fact]
    public void Rounds_half_to_even_and_saturates_to_uint8()
    {
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1), F([7], 0, 1.5f, 2.5f, -0.5f, -1.5f, 300, -300), Scalar(1f), Scalar((byte)0))[0];
        Assert.Equal(ElementType.UInt8, y.ElementType);
        Assert.Equal(new byte[] { 0, 2, 2, 0, 0, 255, 0 }, y.As<byte>());
    }

    [Fact]
    public void Int8_zero_point_gives_int8_output()
    {
        var y = Run(Op, Node("QuantizeLinear", 10, 3, 1), F([5], 2.5f, 3.5f, -2.5f, 1000, -1000), Scalar(1f), Scalar((sbyte)0))[0];
        Assert.Equal(new sbyte[] { 2, 4, -2, 127, -128 }, y.As<sbyte>());
    }

    [Fact]
    public void Rounds_before_adding_the_zero_point()
    {
        // round(0.5) = 0, then + 1: the spec's order. (Rounding 0.5 + 1 = 1.5 would give 2.)
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1), F([2], 0.5f, 1.5f), Scalar(1f), Scalar((byte)1))[0];
        Assert.Equal(new byte[] { 1, 3 }, y.As<byte>());
    }

    [Fact]
    public void Divides_in_float32_like_the_scale()
    {
        // 0.35f / 0.1f is 3.4999999 exactly but rounds to the tie 3.5 in float32 (→ 4, even);
        // 0.45f / 0.1f is 4.5000001 exactly but 4.5 in float32 (→ 4). Division in float64 would give 3 and 5.
        var y = Run(Op, Node("QuantizeLinear", 21, 3, 1), F([2], 0.35f, 0.45f), Scalar(0.1f), Scalar((byte)0))[0];
        Assert.Equal(new byte[] { 4, 4 }, y.As<byte>());
    }

    [Fact]
    public void Missing_zero_point_means_uint8_with_zero_point_zero()
    {
        var y = Run(Op, Node("QuantizeLinear", 19, 2, 1), F([3], -4, 4, 600), Scalar(2f))[0];
        Assert.Equal(new byte[] { 0, 2, 255 }, y.As<byte>());
    }

    [Fact]
    public void Output_dtype_chooses_int8_without_a_zero_point()
    {
        var y = Run(Op, Node("QuantizeLinear", 21, 2, 1, Int("output_dtype", (long)ElementType.Int8)), F([3], -4, 4, -600), Scalar(2f))[0];
        Assert.Equal(new sbyte[] { -2, 2, -128 }, y.As<sbyte>());
    }

    [Fact]
    public void Output_dtype_is_ignored_before_opset_21()
    {
        var y = Run(Op, Node("QuantizeLinear", 19, 2, 1, Int("output_dtype", (long)ElementType.Int8)), F([1], -4), Scalar(2f))[0];
        Assert.Equal(ElementType.UInt8, y.ElementType);
    }

    [Fact]
    public void Int32_input_is_quantized()
    {
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1), I32([3], -300, 5, 7), Scalar(2f), Scalar((sbyte)1))[0];
        Assert.Equal(new sbyte[] { -128, 3, 5 }, y.As<sbyte>()); // -150+1 saturates; round(2.5)=2, +1; round(3.5)=4, +1
    }

    [Fact]
    public void NaN_quantizes_to_the_type_minimum()
    {
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1), F([1], float.NaN), Scalar(1f), Scalar((sbyte)5))[0];
        Assert.Equal(new sbyte[] { -128 }, y.As<sbyte>());
    }

    [Fact]
    public void Per_axis_uses_one_scale_and_zero_point_per_index_along_the_axis()
    {
        // x [2, 3], axis 1: column c uses scale [1, 2, 4][c] and zero point [0, 10, 20][c].
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1, Int("axis", 1)),
            F([2, 3], 1, 2, 4, 8, 8, 8), F([3], 1, 2, 4), U8([3], 0, 10, 20))[0];
        Assert.Equal(new byte[] { 1, 11, 21, 8, 14, 22 }, y.As<byte>());
    }

    [Fact]
    public void Per_axis_accepts_a_negative_axis()
    {
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1, Int("axis", -2)),
            F([2, 2], 4, 4, 4, 4), F([2], 1, 4), U8([2], 0, 0))[0];
        Assert.Equal(new byte[] { 4, 4, 1, 1 }, y.As<byte>());
    }

    [Fact]
    public void Blocked_quantization_repeats_each_scale_over_its_block_including_a_short_last_block()
    {
        // x [2, 5], axis 1, block_size 2: blocks {0,1}, {2,3}, {4} per row; scale [2, 3].
        var y = Run(Op, Node("QuantizeLinear", 21, 3, 1, Int("axis", 1), Int("block_size", 2)),
            F([2, 5], 2, 2, 2, 2, 2, 12, 12, 12, 12, 12),
            F([2, 3], 1, 2, 0.5f, 4, 3, 6),
            U8([2, 3], 0, 1, 2, 3, 4, 5))[0];
        Assert.Equal(new byte[] { 2, 2, 2, 2, 6, 6, 6, 8, 8, 7 }, y.As<byte>());
    }

    [Fact]
    public void Blocked_along_axis_0()
    {
        // x [3, 2], axis 0, block 2: rows {0,1} use scale row 0, row {2} uses scale row 1.
        var y = Run(Op, Node("QuantizeLinear", 21, 2, 1, Int("axis", 0), Int("block_size", 2)),
            F([3, 2], 4, 8, 4, 8, 4, 8), F([2, 2], 1, 2, 4, 8))[0];
        Assert.Equal(new byte[] { 4, 4, 4, 4, 1, 1 }, y.As<byte>());
    }

    [Fact]
    public void One_element_scale_is_per_tensor_whatever_the_axis()
    {
        var y = Run(Op, Node("QuantizeLinear", 13, 3, 1, Int("axis", 7)), F([2, 2], 1, 2, 3, 4), F([1], 1), U8([1], 1))[0];
        Assert.Equal(new byte[] { 2, 3, 4, 5 }, y.As<byte>());
    }

    [Fact]
    public void Rejects_output_dtype_that_disagrees_with_the_zero_point()
    {
        AssertRejected(Op, Node("QuantizeLinear", 21, 3, 1, Int("output_dtype", (long)ElementType.Int8)),
            [F([1], 1), Scalar(1f), Scalar((byte)0)], "output_dtype=3");
    }

    [Fact]
    public void Rejects_types_Octet_does_not_hold()
    {
        AssertRejected(Op, Node("QuantizeLinear", 21, 2, 1, Int("output_dtype", (long)ElementType.UInt16)),
            [F([1], 1), Scalar(1f)], "int8, uint8 and int16 only");
        AssertRejected(Op, Node("QuantizeLinear", 13, 3, 1), [F([1], 1), Scalar(1f), I32([], 0)], "expected int8 or uint8");
        AssertRejected(Op, Node("QuantizeLinear", 23, 2, 1, Int("precision", (long)ElementType.Float16)),
            [F([1], 1), Scalar(1f)], "precision=10");
        AssertRejected(Op, Node("QuantizeLinear", 13, 2, 1), [F([1], 1), I32([], 1)], "float scales only");
    }

    [Fact]
    public void Rejects_scales_that_do_not_fit_the_data()
    {
        AssertRejected(Op, Node("QuantizeLinear", 13, 2, 1, Int("axis", 1)), [F([2, 3], 1, 2, 3, 4, 5, 6), F([2], 1, 1)],
            "has 3 along axis 1");
        AssertRejected(Op, Node("QuantizeLinear", 13, 2, 1, Int("axis", 2)), [F([2, 3], 1, 2, 3, 4, 5, 6), F([3], 1, 1, 1)],
            "axis=2 is out of range");
        AssertRejected(Op, Node("QuantizeLinear", 21, 2, 1), [F([2, 2], 1, 2, 3, 4), F([2, 2], 1, 1, 1, 1)], "needs block_size > 0");
        AssertRejected(Op, Node("QuantizeLinear", 21, 2, 1, Int("axis", 1), Int("block_size", 2)),
            [F([2, 6], new float[12]), F([2, 2], 1, 1, 1, 1)], "into 3 blocks");
        AssertRejected(Op, Node("QuantizeLinear", 21, 2, 1, Int("axis", 1), Int("block_size", 2)),
            [F([2, 4], new float[8]), F([1, 2], 1, 1)], "differ on axis 0");
        AssertRejected(Op, Node("QuantizeLinear", 13, 3, 1, Int("axis", 1)),
            [F([2, 2], 1, 2, 3, 4), F([2], 1, 1), U8([], 0)], "zero point has shape []");
    }
}
