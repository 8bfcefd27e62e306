using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

public sealed class UnaryMathTests
{
    [Fact]
    public void Sqrt_exp_log_reciprocal_of_known_values()
    {
        AssertClose([0f, 1.5f, float.NaN], Run("Sqrt", 13, [V(0f, 2.25f, -1)])[0]);
        AssertClose([1f, 2.7182818f, 0.36787944f], Run("Exp", 13, [V(0f, 1, -1)])[0]);
        AssertClose([0f, 1, float.NegativeInfinity, float.NaN], Run("Log", 13, [V(1f, 2.7182818f, 0, -1)])[0]);
        AssertClose([0.5f, -4, float.PositiveInfinity], Run("Reciprocal", 13, [V(2f, -0.25f, 0)])[0]);
    }

    [Fact]
    public void Erf_matches_tabulated_values()
    {
        // erf(0.1), erf(0.5), erf(1), erf(−2), erf(2.9), erf(3.1), erf(3.5) from standard tables; erf(±∞) = ±1.
        AssertClose([0f, 0.11246292f, 0.52049988f, 0.84270079f, -0.99532227f, 0.99995890f, 0.99998835f, 0.99999926f, 1f, -1f],
            Run("Erf", 13, [V(0f, 0.1f, 0.5f, 1, -2, 2.9f, 3.1f, 3.5f, float.PositiveInfinity, float.NegativeInfinity)])[0], 2e-7);
    }

    [Fact]
    public void Round_takes_halves_to_even()
    {
        AssertClose([0f, 2, 2, -2, -4, 0, 3, 1], Run("Round", 22, [V(0.5f, 1.5f, 2.5f, -2.5f, -4.5f, -0.4f, 2.6f, 0.9f)])[0]);
    }

    [Fact]
    public void Neg_and_abs_wrap_the_most_negative_integer()
    {
        Assert.Equal([(sbyte)-128, (sbyte)-5, (sbyte)127], Run("Neg", 13, [T(new sbyte[] { -128, 5, -127 }, 3)])[0].As<sbyte>());
        Assert.Equal([(sbyte)-128, (sbyte)5, (sbyte)7], Run("Abs", 13, [T(new sbyte[] { -128, -5, 7 }, 3)])[0].As<sbyte>());
        Assert.Equal([200, 3], Run("Abs", 13, [T([-200, 3], 2)])[0].As<int>());
    }

    [Fact]
    public void Abs_of_negative_zero_is_positive_zero()
    {
        var y = Run("Abs", 13, [V(-0f, -2.5f)])[0].As<float>();
        Assert.False(float.IsNegative(y[0]));
        Assert.Equal(2.5f, y[1]);
    }

    [Fact]
    public void Neg_of_unsigned_integers_is_rejected()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Neg", 13, [(ElementType.UInt8, new Shape(2))]));
        Assert.Contains("uint8", e.Message);
    }

    [Fact]
    public void Float_functions_reject_integers()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Sqrt", 13, [(ElementType.Int32, new Shape(2))]));
        Assert.Contains("node 'n' (Sqrt, opset 13)", e.Message);
        Assert.Contains("int32", e.Message);
    }
}
