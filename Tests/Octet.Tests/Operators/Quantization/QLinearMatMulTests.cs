using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

public sealed class QLinearMatMulTests
{
    private static readonly QLinearMatMul Op = new();

    // a - 10 = [[0, 5], [4, 7]]; b - 2 = identity.
    private static readonly Tensor A = U8([2, 2], 10, 15, 14, 17);
    private static readonly Tensor B = U8([2, 2], 3, 2, 2, 3);

    private static Tensor Run(Tensor aScale, Tensor aZeroPoint, Tensor bScale, Tensor bZeroPoint, int opset = 10) =>
        QuantizationHarness.Run(Op, Node("QLinearMatMul", opset, 8, 1),
            A, aScale, aZeroPoint, B, bScale, bZeroPoint, Scalar(1f), Scalar((byte)0))[0];

    [Fact]
    public void Per_tensor_requantization_rounds_half_to_even()
    {
        // M = 0.5: [[0, 2.5], [2, 3.5]] → [[0, 2], [2, 4]].
        var y = Run(Scalar(0.5f), Scalar((byte)10), F([1], 1), U8([1], 2), opset: 21);
        Assert.Equal(new byte[] { 0, 2, 2, 4 }, y.As<byte>());
    }

    [Fact]
    public void Per_column_scale_of_b()
    {
        // Column 0 M = 0.5, column 1 M = 1: [[0, 5], [2, 7]].
        var y = Run(Scalar(0.5f), Scalar((byte)10), F([2], 1, 2), U8([2], 2, 2));
        Assert.Equal(new byte[] { 0, 5, 2, 7 }, y.As<byte>());
    }

    [Fact]
    public void Per_row_scale_of_a()
    {
        // Row 0 M = 1, row 1 M = 0.5: [[0, 5], [2, 3.5 → 4]].
        var y = Run(F([2], 1, 0.5f), U8([2], 10, 10), Scalar(1f), Scalar((byte)2));
        Assert.Equal(new byte[] { 0, 5, 2, 4 }, y.As<byte>());
    }

    [Fact]
    public void Saturates_int8_output()
    {
        var y = QuantizationHarness.Run(Op, Node("QLinearMatMul", 10, 8, 1),
            I8([2, 1], 100, -100), Scalar(1f), Scalar((sbyte)0), I8([1, 1], 100), Scalar(1f), Scalar((sbyte)0),
            Scalar(1f), Scalar((sbyte)0))[0];
        Assert.Equal(new sbyte[] { 127, -128 }, y.As<sbyte>());
    }

    [Fact]
    public void Batched_operands_broadcast()
    {
        // a [2, 1, 2] = [[[1, 2]], [[3, 4]]], b [2, 1] = [[1], [1]]: [[[3]], [[7]]], times M = 2.
        var y = QuantizationHarness.Run(Op, Node("QLinearMatMul", 10, 8, 1),
            U8([2, 1, 2], 1, 2, 3, 4), Scalar(1f), Scalar((byte)0), U8([2, 1], 1, 1), Scalar(2f), Scalar((byte)0),
            Scalar(1f), Scalar((byte)1))[0];
        Assert.Equal(new Shape(2, 1, 1), y.Shape);
        Assert.Equal(new byte[] { 7, 15 }, y.As<byte>());
    }

    [Fact]
    public void Rejects_parameters_of_the_wrong_shape()
    {
        Tensor?[] Inputs(Tensor aScale, Tensor aZeroPoint, Tensor yScale) =>
            [A, aScale, aZeroPoint, B, Scalar(1f), Scalar((byte)2), yScale, Scalar((byte)0)];
        AssertRejected(Op, Node("QLinearMatMul", 10, 8, 1), Inputs(F([3], 1, 1, 1), U8([3], 0, 0, 0), Scalar(1f)), "per row");
        AssertRejected(Op, Node("QLinearMatMul", 10, 8, 1), Inputs(F([2], 1, 1), Scalar((byte)10), Scalar(1f)), "zero point has shape []");
        AssertRejected(Op, Node("QLinearMatMul", 10, 8, 1), Inputs(Scalar(1f), Scalar((byte)10), F([2], 1, 1)), "y_scale");
        AssertRejected(Op, Node("QLinearMatMul", 10, 8, 1), Inputs(Scalar(1f), Scalar((sbyte)10), Scalar(1f)), "must have the same type");
    }
}
