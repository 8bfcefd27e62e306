using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class GeluTests
{
    // Expected values from Python's math.erf / math.tanh (independent of the kernel's erf).
    [Fact]
    public void Exact_gelu()
    {
        var y = RunFloat(new Gelu(), Node("Gelu", 20, 1, 1), F([5], 0, 1, -1, 3, -3));
        AssertClose([0f, 0.8413447460685429f, -0.15865525393145707f, 2.99595030590511f, -0.004049694094890287f], y, 1e-6);
    }

    [Fact]
    public void Exact_gelu_stays_accurate_far_in_the_negative_tail()
    {
        var y = RunFloat(new Gelu(), Node("Gelu", 20, 1, 1), F([1], -10));
        Assert.Equal(-7.619853024160593e-23, y[0], 1e-27);
    }

    [Fact]
    public void Tanh_approximation()
    {
        var y = RunFloat(new Gelu(), Node("Gelu", 20, 1, 1, String("approximate", "tanh")), F([4], 1, -1, -3, 2.5f));
        AssertClose([0.8411919906082768f, -0.15880800939172324f, -0.0036373920817729943f, 2.484915733910001f], y, 1e-6);
    }

    [Fact]
    public void Unknown_approximation_is_rejected()
    {
        AssertRejected(new Gelu(), Node("Gelu", 20, 1, 1, String("approximate", "sigmoid")), [F([1], 1)], "approximate");
    }

    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.4, 0.999311486103355)]
    [InlineData(2.6, 0.9997639655834707)]
    [InlineData(-1.0, -0.8427007929497149)]
    public void Error_function_matches_known_values(double x, double expected)
    {
        Assert.Equal(expected, ErrorFunction.Erf(x), 1e-14);
    }

    [Theory]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(-1.0, 1.842700792949715)]
    public void Complementary_error_function_is_relatively_accurate_in_the_tail(double x, double expected)
    {
        Assert.True(Math.Abs(ErrorFunction.Complement(x) - expected) <= 1e-12 * expected, $"erfc({x}) = {ErrorFunction.Complement(x)}, expected {expected}");
    }
}
