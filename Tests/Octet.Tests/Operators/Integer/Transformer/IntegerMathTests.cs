using System.Numerics;
using Octet.Compiler.Quantization.IntegerMath;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>The integer helpers of the transformer operators: exact floor square root, and the exponent and erf constants.</summary>
public sealed class IntegerMathTests(ITestOutputHelper output)
{
    private static void AssertFloorSqrt(ulong n)
    {
        ulong r = IntegerSqrt.FloorSqrt(n);
        // r² ≤ n < (r + 1)², checked in BigInteger (the squares overflow ulong near the top).
        var big = new BigInteger(r);
        Assert.True(big * big <= n && (big + 1) * (big + 1) > n, $"FloorSqrt({n}) = {r}");
    }

    [Fact]
    public void FloorSqrt_is_exact_on_small_inputs_and_sampled_32_bit_inputs()
    {
        for (ulong n = 0; n < 1 << 20; n++) AssertFloorSqrt(n);
        var random = new Random(3);
        for (int i = 0; i < 1_000_000; i++) AssertFloorSqrt((ulong)(uint)random.Next() << 1 | (uint)random.Next(2));
        for (int shift = 0; shift < 32; shift++) { AssertFloorSqrt(1UL << shift); AssertFloorSqrt((1UL << shift) - 1); AssertFloorSqrt((1UL << shift) + 1); }
        AssertFloorSqrt(uint.MaxValue);
    }

    [Fact]
    public void FloorSqrt_is_exact_around_every_kind_of_64_bit_square()
    {
        var random = new Random(4);
        var roots = new List<ulong> { 1, 2, 3, 65535, 65536, 4294967295 };
        for (int i = 0; i < 20_000; i++) roots.Add((ulong)random.NextInt64(1, 1L << 32));
        foreach (ulong k in roots)
        {
            ulong square = k * k; // k < 2^32: no overflow
            AssertFloorSqrt(square);
            AssertFloorSqrt(square - 1);
            if (square < ulong.MaxValue) AssertFloorSqrt(square + 1);
        }
        for (int i = 0; i < 100_000; i++) AssertFloorSqrt((ulong)random.NextInt64() << 1);
        AssertFloorSqrt(ulong.MaxValue);
        AssertFloorSqrt(ulong.MaxValue - 1);
        AssertFloorSqrt(1UL << 63);
    }

    [Fact]
    public void The_integer_constants_are_the_papers_constants_on_their_grids()
    {
        Assert.Equal(PolynomialExp.Ln2, (long)Math.Round(Math.Log(2) * (1 << 20)));
        Assert.Equal(PolynomialExp.B, (long)Math.Floor(1.353 * (1 << 20)));
        Assert.Equal(PolynomialExp.C, (long)Math.Floor(0.344 / 0.3585 * Math.Pow(2, 40)));
        Assert.Equal(PolynomialErf.Clip, (long)Math.Round(1.769 * (1 << 16)));
        Assert.Equal(PolynomialErf.A, (long)Math.Round(0.2888 * (1 << 16)));
    }

    [Fact]
    public void The_exponent_approximations_stay_within_their_stated_error()
    {
        // ShiftExp: 2^r ≈ 1 + r/2 is at most 6.1 % high and log2 e ≈ 1.4375 adds 0.36 % per unit of |x| — on
        // [−4, 0] together within 8 %. PolynomialExp (after removing its factor 0.3585 · 2^−28): the polynomial's own 0.31 %, plus rounding.
        double shiftWorst = 0, polynomialWorst = 0;
        for (long v = 0; v >= -4L << 20; v -= 997)
        {
            double exact = Math.Exp(v / (double)(1 << 20));
            double shift = ShiftExp.Exp(v) / Math.Pow(2, 30);
            double polynomial = PolynomialExp.Exp(v) * 0.3585 / Math.Pow(2, 28);
            shiftWorst = Math.Max(shiftWorst, Math.Abs(shift / exact - 1));
            polynomialWorst = Math.Max(polynomialWorst, Math.Abs(polynomial / exact - 1));
        }
        output.WriteLine($"relative error on [-4, 0]: ShiftExp {shiftWorst:P3}, PolynomialExp {polynomialWorst:P3}");
        Assert.Equal(1L << 30, ShiftExp.Exp(0));
        Assert.True(shiftWorst < 0.08, $"ShiftExp {shiftWorst}");
        Assert.True(polynomialWorst < 0.0032, $"PolynomialExp {polynomialWorst}");
        Assert.Equal(0, ShiftExp.Exp(int.MinValue));
        Assert.Equal(0, PolynomialExp.Exp(int.MinValue));
    }

    [Fact]
    public void The_erf_polynomial_is_within_its_known_error()
    {
        // I-BERT's polynomial is exact at 0 only through the sign (its value at 0+ is 0.0963); elsewhere it
        // stays within 0.1 of erf, which is what bounds i-GELU's error (|x| · 0.1 / 2 where |x| is small).
        double worst = 0;
        for (long u = 1; u <= 4L << 16; u += 7)
            worst = Math.Max(worst, Math.Abs(PolynomialErf.ErfOfMagnitude(u) / 65536.0 - TransformerReference.Erf(u / 65536.0)));
        output.WriteLine($"max |erf error| on (0, 4]: {worst:G4}");
        Assert.True(worst < 0.1, $"{worst}");
        Assert.Equal(1L << 16, PolynomialErf.ErfOfMagnitude(10L << 16));
    }
}
