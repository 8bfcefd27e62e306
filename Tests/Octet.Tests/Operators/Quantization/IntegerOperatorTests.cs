using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

/// <summary>MatMulInteger and ConvInteger: exact int32 results, checked against hand computation.</summary>
public sealed class IntegerOperatorTests
{
    private static readonly MatMulInteger MatMul = new();
    private static readonly ConvInteger Conv = new();

    [Fact]
    public void MatMulInteger_subtracts_per_tensor_zero_points()
    {
        // (A - 12) = [[-1,-5,-9],[-2,-6,-10]] times B = [[1,4],[2,5],[3,6]].
        var y = Run(MatMul, Node("MatMulInteger", 10, 4, 1),
            U8([2, 3], 11, 7, 3, 10, 6, 2), U8([3, 2], 1, 4, 2, 5, 3, 6), Scalar((byte)12), Scalar((byte)0))[0];
        Assert.Equal(ElementType.Int32, y.ElementType);
        Assert.Equal(new[] { -38, -83, -44, -98 }, y.As<int>());
    }

    [Fact]
    public void MatMulInteger_per_row_and_per_column_zero_points()
    {
        // A - [1, 3] per row = [[0,1],[0,1]]; B - [5, 8] per column = [[0,-2],[2,0]].
        var y = Run(MatMul, Node("MatMulInteger", 10, 4, 1),
            I8([2, 2], 1, 2, 3, 4), I8([2, 2], 5, 6, 7, 8), I8([2], 1, 3), I8([2], 5, 8))[0];
        Assert.Equal(new[] { 2, 0, 2, 0 }, y.As<int>());
    }

    [Fact]
    public void MatMulInteger_per_row_zero_point_of_a_batched_operand()
    {
        // A [2,1,2] with a_zero_point [2,1,1] = [5, 4]: A - zp = [[[0,0]],[[1,1]]]; B = [[1],[2]].
        var y = Run(MatMul, Node("MatMulInteger", 10, 3, 1),
            U8([2, 1, 2], 5, 5, 5, 5), U8([2, 1], 1, 2), U8([2, 1, 1], 5, 4))[0];
        Assert.Equal(new Shape(2, 1, 1), y.Shape);
        Assert.Equal(new[] { 0, 3 }, y.As<int>());
    }

    [Fact]
    public void MatMulInteger_mixes_int8_and_uint8_operands()
    {
        var y = Run(MatMul, Node("MatMulInteger", 10, 2, 1), I8([1, 2], -128, 127), U8([2, 1], 255, 255))[0];
        Assert.Equal(new[] { -128 * 255 + 127 * 255 }, y.As<int>());
    }

    [Fact]
    public void MatMulInteger_broadcasts_batches_and_handles_vectors()
    {
        var batched = Run(MatMul, Node("MatMulInteger", 10, 2, 1), U8([2, 1, 2], 1, 2, 3, 4), U8([2, 1], 1, 1))[0];
        Assert.Equal(new Shape(2, 1, 1), batched.Shape);
        Assert.Equal(new[] { 3, 7 }, batched.As<int>());

        var vector = Run(MatMul, Node("MatMulInteger", 10, 2, 1), U8([2], 1, 2), U8([2, 3], 1, 0, 1, 0, 1, 1))[0];
        Assert.Equal(new Shape(3), vector.Shape);
        Assert.Equal(new[] { 1, 2, 3 }, vector.As<int>());
    }

    [Fact]
    public void MatMulInteger_rejects_bad_zero_points()
    {
        AssertRejected(MatMul, Node("MatMulInteger", 10, 3, 1), [U8([2, 2], 1, 2, 3, 4), U8([2, 2], 1, 2, 3, 4), U8([3], 1, 2, 3)],
            "per row");
        AssertRejected(MatMul, Node("MatMulInteger", 10, 4, 1),
            [U8([2, 2], 1, 2, 3, 4), U8([2, 2], 1, 2, 3, 4), null, I8([], 0)], "must have the same type");
        AssertRejected(MatMul, Node("MatMulInteger", 10, 2, 1), [U8([2, 3], new byte[6]), U8([2, 2], 1, 2, 3, 4)], "inner dimensions differ");
    }

    // x - 1 = [[0,1,2],[3,4,5],[6,7,8]]; w - 1 = a 2x2 kernel of ones.
    private static readonly Tensor Image = U8([1, 1, 3, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9);
    private static readonly Tensor Twos = U8([1, 1, 2, 2], 2, 2, 2, 2);

    [Fact]
    public void ConvInteger_sums_shifted_windows()
    {
        var y = Run(Conv, Node("ConvInteger", 10, 4, 1), Image, Twos, Scalar((byte)1), Scalar((byte)1))[0];
        Assert.Equal(new Shape(1, 1, 2, 2), y.Shape);
        Assert.Equal(new[] { 8, 12, 20, 24 }, y.As<int>());
    }

    [Fact]
    public void ConvInteger_padding_counts_as_the_zero_point()
    {
        var y = Run(Conv, Node("ConvInteger", 10, 4, 1, Ints("pads", 1, 1, 1, 1)), Image, Twos, Scalar((byte)1), Scalar((byte)1))[0];
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        Assert.Equal(new[] { 0, 1, 3, 2, 3, 8, 12, 7, 9, 20, 24, 13, 6, 13, 15, 8 }, y.As<int>());
    }

    [Fact]
    public void ConvInteger_per_output_channel_weight_zero_point()
    {
        // w - [1, 3] = [2, 0] per output channel; x = [2, 4].
        var y = Run(Conv, Node("ConvInteger", 10, 4, 1), U8([1, 1, 1, 2], 2, 4), U8([2, 1, 1, 1], 3, 3), null, U8([2], 1, 3))[0];
        Assert.Equal(new[] { 4, 8, 0, 0 }, y.As<int>());
    }

    [Fact]
    public void ConvInteger_groups_and_strides()
    {
        var grouped = Run(Conv, Node("ConvInteger", 10, 2, 1, Int("group", 2)), I8([1, 2, 1, 1], 3, 5), I8([2, 1, 1, 1], 2, 10))[0];
        Assert.Equal(new[] { 6, 50 }, grouped.As<int>());

        var strided = Run(Conv, Node("ConvInteger", 10, 2, 1, Ints("strides", 2)), I8([1, 1, 5], 1, 2, 3, 4, 5), I8([1, 1, 1], 3))[0];
        Assert.Equal(new[] { 3, 9, 15 }, strided.As<int>());
    }

    [Fact]
    public void ConvInteger_rejects_bad_zero_points_and_shapes()
    {
        AssertRejected(Conv, Node("ConvInteger", 10, 4, 1), [Image, Twos, null, U8([3], 1, 1, 1)], "one value per output channel");
        AssertRejected(Conv, Node("ConvInteger", 10, 3, 1), [Image, Twos, U8([2], 1, 1)], "per-tensor");
        AssertRejected(Conv, Node("ConvInteger", 10, 2, 1), [Image, U8([1, 2, 1, 1], 1, 1)], "input channels");
        AssertRejected(Conv, Node("ConvInteger", 10, 2, 1), [F([1, 1, 1], 1), U8([1, 1, 1], 1)], "expected int8 or uint8");
    }
}
