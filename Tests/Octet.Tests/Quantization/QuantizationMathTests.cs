using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Xunit;

namespace Octet.Tests.Quantization;

public sealed class QuantizationMathTests
{
    [Fact]
    public void Range_is_widened_to_include_zero_and_zero_is_exact()
    {
        var p = QuantizationMath.FromRange(0.5f, 2.5f, ElementType.Int8, symmetric: false);
        // [0, 2.5] over 255 steps; zero point round(-128 - 0 / s) = -128.
        Assert.Equal(2.5f / 255f, p.Scale);
        Assert.Equal(-128, p.ZeroPoint);
        Assert.Equal(p.ZeroPoint, QuantizationMath.Quantize(0f, p.Scale, p.ZeroPoint, -128, 127));
    }

    [Fact]
    public void Symmetric_int8_uses_127_levels_each_side()
    {
        var p = QuantizationMath.FromRange(-3f, 1f, ElementType.Int8, symmetric: true);
        Assert.Equal(6f / 254f, p.Scale);
        Assert.Equal(0, p.ZeroPoint);
    }

    [Theory]
    [InlineData(2.5f, 1f, 0, 2)]    // ties to even
    [InlineData(3.5f, 1f, 0, 4)]
    [InlineData(-2.5f, 1f, 0, -2)]
    [InlineData(1000f, 1f, 0, 127)] // saturates
    [InlineData(-1000f, 1f, 5, -128)]
    public void Quantize_rounds_half_to_even_and_saturates(float x, float scale, int zp, int expected) =>
        Assert.Equal(expected, QuantizationMath.Quantize(x, scale, zp, -128, 127));

    /// <summary>
    /// Fixed-point requantization against exact rational arithmetic: acc · M0 / 2^(31 − shift), rounded to
    /// nearest with ties toward +∞, must equal the 64-bit integer computation for every case.
    /// </summary>
    [Fact]
    public void Fixed_point_multiply_is_the_correctly_rounded_product()
    {
        var random = new Random(7);
        var accumulators = new List<int> { 0, 1, -1, int.MaxValue, int.MinValue, 12345, -12345 };
        for (int i = 0; i < 2000; i++) accumulators.Add(random.Next(int.MinValue, int.MaxValue));
        var multipliers = new List<double> { 1e-6, 0.0001234, 0.5, 0.75, 0.999999, 1.0, 1.5, 3.0 };
        for (int i = 0; i < 20; i++) multipliers.Add(Math.Pow(2, random.NextDouble() * 20 - 18));
        foreach (var m in multipliers)
        {
            var (m0, shift) = QuantizationMath.ToFixedPoint(m);
            Assert.InRange(m0, 1 << 30, int.MaxValue);
            // The representation is within one part in 2^30 of m.
            Assert.True(Math.Abs(m0 * Math.Pow(2, shift - 31) - m) <= m * Math.Pow(2, -30));
            foreach (var acc in accumulators)
            {
                int rightShift = 31 - shift;
                var numerator = (BigInteger)acc * m0;
                BigInteger exact;
                if (rightShift <= 0) exact = numerator << -rightShift;
                else
                {
                    var denominator = BigInteger.One << rightShift;
                    // floor((2n + d) / 2d) is n/d rounded to nearest with ties toward +∞.
                    exact = BigInteger.Divide(2 * numerator + denominator - (2 * numerator + denominator < 0 ? 2 * denominator - 1 : 0), 2 * denominator);
                }
                exact = BigInteger.Max(int.MinValue, BigInteger.Min(int.MaxValue, exact));
                Assert.Equal((int)exact, QuantizationMath.MultiplyByFixedPoint(acc, m0, shift));
            }
        }
    }
}
