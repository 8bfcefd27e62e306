using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class GemmTests
{
    private static readonly Gemm Op = new();
    private static readonly Tensor A = F([2, 2], 1, 2, 3, 4);
    private static readonly Tensor B = F([2, 2], 5, 6, 7, 8);

    [Fact]
    public void Plain_product_without_c()
    {
        Assert.Equal([19f, 22, 43, 50], RunFloat(Op, Node("Gemm", 13, 2, 1), A, B));
    }

    [Fact]
    public void Alpha_beta_and_row_vector_c()
    {
        // 2 * [[19, 22], [43, 50]] + 3 * [1, 2] on every row.
        var y = RunFloat(Op, Node("Gemm", 13, 3, 1, Float("alpha", 2), Float("beta", 3)), A, B, F([2], 1, 2));
        Assert.Equal([41f, 50, 89, 106], y);
    }

    [Fact]
    public void Column_c_and_scalar_c_broadcast()
    {
        Assert.Equal([29f, 32, 63, 70], RunFloat(Op, Node("Gemm", 13, 3, 1), A, B, F([2, 1], 10, 20)));
        Assert.Equal([20f, 23, 44, 51], RunFloat(Op, Node("Gemm", 7, 3, 1), A, B, F([], 1)));
    }

    [Fact]
    public void Transposed_operands()
    {
        Assert.Equal([26f, 30, 38, 44], RunFloat(Op, Node("Gemm", 13, 2, 1, Int("transA", 1)), A, B));
        Assert.Equal([17f, 23, 39, 53], RunFloat(Op, Node("Gemm", 13, 2, 1, Int("transB", 1)), A, B));
        Assert.Equal([23f, 31, 34, 46], RunFloat(Op, Node("Gemm", 13, 2, 1, Int("transA", 1), Int("transB", 1)), A, B));
    }

    [Fact]
    public void Rectangular_shapes()
    {
        var y = Run(Op, Node("Gemm", 13, 2, 1), [F([1, 3], 1, 2, 3), F([3, 2], 1, 0, 0, 1, 1, 1)])[0];
        Assert.Equal(new Shape(1, 2), y.Shape);
        Assert.Equal([4f, 5], y.As<float>());
    }

    [Fact]
    public void Bad_shapes_are_rejected_naming_the_node()
    {
        AssertRejected(Op, Node("Gemm", 13, 2, 1), [A, F([3, 2], 1, 2, 3, 4, 5, 6)], "inner dimensions");
        AssertRejected(Op, Node("Gemm", 13, 3, 1), [A, B, F([3], 1, 2, 3)], "does not broadcast");
        AssertRejected(Op, Node("Gemm", 13, 3, 1), [A, B, F([1, 1, 2], 1, 2)], "does not broadcast");
        AssertRejected(Op, Node("Gemm", 13, 2, 1), [F([1, 2, 2], 1, 2, 3, 4), B], "rank 2");
        AssertRejected(Op, Node("Gemm", 9, 2, 1), [A, B], "input 2 is required");
    }
}
