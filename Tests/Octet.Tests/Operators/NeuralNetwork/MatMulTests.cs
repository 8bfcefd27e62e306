using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class MatMulTests
{
    private static readonly MatMul Op = new();

    [Fact]
    public void Matrix_times_matrix()
    {
        Assert.Equal([19f, 22, 43, 50], RunFloat(Op, Node("MatMul", 13, 2, 1), F([2, 2], 1, 2, 3, 4), F([2, 2], 5, 6, 7, 8)));
    }

    [Fact]
    public void Vectors_are_promoted_and_the_added_axis_removed()
    {
        var dot = Run(Op, Node("MatMul", 13, 2, 1), [F([3], 1, 2, 3), F([3], 4, 5, 6)])[0];
        Assert.Equal(Shape.Scalar, dot.Shape);
        Assert.Equal([32f], dot.As<float>());

        var rowTimesMatrix = Run(Op, Node("MatMul", 13, 2, 1), [F([2], 1, 2), F([2, 3], 1, 2, 3, 4, 5, 6)])[0];
        Assert.Equal(new Shape(3), rowTimesMatrix.Shape);
        Assert.Equal([9f, 12, 15], rowTimesMatrix.As<float>());

        var matrixTimesColumn = Run(Op, Node("MatMul", 13, 2, 1), [F([2, 2], 1, 2, 3, 4), F([2], 1, 1)])[0];
        Assert.Equal(new Shape(2), matrixTimesColumn.Shape);
        Assert.Equal([3f, 7], matrixTimesColumn.As<float>());
    }

    [Fact]
    public void Batch_dimensions_broadcast()
    {
        // A: two 1x2 matrices; B: one 2x1 matrix shared by both.
        var y = Run(Op, Node("MatMul", 13, 2, 1), [F([2, 1, 2], 1, 2, 3, 4), F([2, 1], 1, 10)])[0];
        Assert.Equal(new Shape(2, 1, 1), y.Shape);
        Assert.Equal([21f, 43], y.As<float>());

        // A [1, 1, 2] against B [3, 2, 1]: A is reused for each of B's three matrices.
        var z = Run(Op, Node("MatMul", 13, 2, 1), [F([1, 1, 2], 1, 2), F([3, 2, 1], 1, 0, 0, 1, 1, 1)])[0];
        Assert.Equal(new Shape(3, 1, 1), z.Shape);
        Assert.Equal([1f, 2, 3], z.As<float>());

        // Both broadcast: [2, 1, 1, 2] x [3, 2, 1] -> [2, 3, 1, 1].
        var w = Run(Op, Node("MatMul", 13, 2, 1), [F([2, 1, 1, 2], 1, 1, 2, 2), F([3, 2, 1], 1, 0, 0, 1, 1, 1)])[0];
        Assert.Equal(new Shape(2, 3, 1, 1), w.Shape);
        Assert.Equal([1f, 1, 2, 2, 2, 4], w.As<float>());
    }

    [Fact]
    public void Integer_matrices()
    {
        var y = Run(Op, Node("MatMul", 13, 2, 1), [Tensor.Create(new Shape(1, 2), new[] { 3, -4 }), Tensor.Create(new Shape(2, 1), new[] { 5, 6 })])[0];
        Assert.Equal(ElementType.Int32, y.ElementType);
        Assert.Equal([-9], y.As<int>());
        var z = Run(Op, Node("MatMul", 13, 2, 1), [I64([2], 1L << 40, 1), I64([2], 2, 3)])[0];
        Assert.Equal([(1L << 41) + 3], z.As<long>());
    }

    [Fact]
    public void Bad_shapes_are_rejected_naming_the_node()
    {
        AssertRejected(Op, Node("MatMul", 13, 2, 1), [F([2, 3], 1, 2, 3, 4, 5, 6), F([2, 2], 1, 2, 3, 4)], "inner dimensions");
        AssertRejected(Op, Node("MatMul", 13, 2, 1), [F([], 1), F([1], 1)], "scalars");
        AssertRejected(Op, Node("MatMul", 13, 2, 1), [F([2, 1, 1], 1, 2), F([3, 1, 1], 1, 2, 3)], "batch dimensions");
        AssertRejected(Op, Node("MatMul", 13, 2, 1), [F([1, 1], 1), I64([1, 1], 1)], "must match");
    }
}
