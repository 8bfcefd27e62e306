using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// The shared requantization step, against exact rational arithmetic (BigInteger). Fixed-point: the
/// result must EQUAL the exact product acc · M0 · 2^(shift − 31) rounded once with ties toward +∞ (saturated
/// to int32) — zero tolerance, so its distance from the exact real product is at most 0.5 LSB. Float: the
/// kernel must equal the float32 formula re-stated here — zero tolerance.
/// </summary>
public sealed class RequantizerTests(ITestOutputHelper output)
{
    private static readonly int[] ExtremeAccumulators = [int.MinValue, int.MinValue + 1, -65536, -3, -2, -1, 0, 1, 2, 3, 65535, int.MaxValue - 1, int.MaxValue];
    private static readonly int[] ExtremeMultipliers = [0, 1 << 30, (1 << 30) + 1, 1518500250, int.MaxValue - 1, int.MaxValue];

    [Fact]
    public void Fixed_point_multiply_is_the_exactly_rounded_product_for_extremes_and_random_cases()
    {
        // Exact: every case must match BigInteger's round_half_up(acc · M0 / 2^(31 − shift)), saturated to int32.
        // The distance to the exact rational product is measured too and must be ≤ 0.5 LSB when not saturated.
        var random = new Random(3);
        long cases = 0, mismatches = 0;
        double maxError = 0;
        void Check(int acc, int m0, int shift)
        {
            cases++;
            var exact = FixedPointExact(acc, m0, shift);
            long expected = (long)BigInteger.Clamp(exact, int.MinValue, int.MaxValue);
            int actual = QuantizationMath.MultiplyByFixedPoint(acc, m0, shift);
            if (actual != expected)
            {
                if (++mismatches <= 5) output.WriteLine($"acc={acc} M0={m0} shift={shift}: got {actual}, expected {expected}");
                return;
            }
            if (exact != expected) return; // saturated: the real product is beyond int32
            // |actual − acc·M0·2^(shift−31)| in LSB, from the exact numerator (denominators are powers of two).
            int k = 31 - shift;
            var difference = BigInteger.Abs(((BigInteger)actual << k) - (BigInteger)acc * m0);
            maxError = Math.Max(maxError, (double)difference / Math.Pow(2, k));
        }
        foreach (int acc in ExtremeAccumulators)
            foreach (int m0 in ExtremeMultipliers)
                for (int shift = -40; shift <= Requantizer.MaxShift; shift++)
                    Check(acc, m0, shift);
        for (int i = 0; i < 300_000; i++)
        {
            int shift = random.Next(-40, Requantizer.MaxShift + 1);
            // Accumulators of every magnitude: a random bit width, then a random value of that width.
            int bits = random.Next(0, 32);
            int acc = (int)Math.Clamp(random.NextInt64(-(1L << bits), 1L << bits), int.MinValue, int.MaxValue);
            Check(acc, random.Next(1 << 30, int.MaxValue) + random.Next(0, 2), shift);
        }
        output.WriteLine($"MultiplyByFixedPoint: {cases} cases, {mismatches} differ from exact round-half-up; max |y − acc·M| = {maxError} LSB");
        Assert.Equal(0, mismatches);
        Assert.True(maxError <= 0.5, $"max error {maxError} LSB");
    }

    [Theory]
    // M = 2^30 · 2^(0 − 31) = 1/2: odd accumulators are exact ties, which go toward +∞.
    [InlineData(3, 1 << 30, 0, 2)]
    [InlineData(-3, 1 << 30, 0, -1)]
    [InlineData(1, 1 << 30, 0, 1)]
    [InlineData(-1, 1 << 30, 0, 0)]
    [InlineData(-5, 1 << 30, -1, -1)] // -5/4 = -1.25
    [InlineData(-6, 1 << 30, -1, -1)] // -6/4 = -1.5 → -1
    [InlineData(-7, 1 << 30, -1, -2)] // -1.75
    [InlineData(int.MinValue, 1 << 30, 1, int.MinValue)] // M = 1: exact
    [InlineData(int.MaxValue, 1 << 30, 1, int.MaxValue)]
    [InlineData(int.MaxValue, 1 << 30, 2, int.MaxValue)] // M = 2: saturates
    [InlineData(int.MinValue, int.MaxValue, 31, int.MinValue)] // M ≈ 2^31: saturates
    [InlineData(int.MinValue, int.MaxValue, -32, 0)] // |acc · M| < 1/2 for every int32 acc at shift -32
    [InlineData(int.MaxValue, int.MaxValue, -32, 0)]
    public void Fixed_point_ties_round_toward_positive_infinity_and_extremes_saturate(int acc, int m0, int shift, int expected) =>
        Assert.Equal(expected, QuantizationMath.MultiplyByFixedPoint(acc, m0, shift));

    // Found by this suite: shifts beyond ±32 used to overflow the rounding constant or wrap the shift count.
    [Fact]
    public void Fixed_point_multiply_outside_shift_range_minus_32_to_32()
    {
        // For shift ≤ −32, |acc · M0 · 2^(shift − 31)| < 2^31 · 2^31 · 2^−63 = 1/2: the correctly rounded result is 0.
        Assert.Equal(0, QuantizationMath.MultiplyByFixedPoint(1, 1 << 30, -33));
        Assert.Equal(0, QuantizationMath.MultiplyByFixedPoint(int.MinValue, int.MaxValue, -40));
        // For shift = 33, M ≈ 2^33: the product saturates.
        Assert.Equal(int.MaxValue, QuantizationMath.MultiplyByFixedPoint(int.MaxValue, int.MaxValue, 33));
        // End to end: a multiplier of 1e-11 (a nearly dead per-channel weight scale) must requantize to 0.
        var (m0, shift) = QuantizationMath.ToFixedPoint(1e-11);
        Assert.Equal(0, QuantizationMath.MultiplyByFixedPoint(1000, m0, shift));
    }

    [Fact]
    public void To_fixed_point_is_within_half_a_unit_of_the_31_bit_multiplier()
    {
        // Exact check: M0 in [2^30, 2^31) and |M0 − M · 2^(31 − shift)| ≤ 1/2, i.e. relative error ≤ 2^−31.
        var random = new Random(5);
        double worst = 0;
        var multipliers = new List<double> { 1, 0.5, 0.25, 2, Math.Pow(2, -32), Math.Pow(2, 30), Math.Pow(2, 30) * (1 - 1e-12), 1 - 1e-17, 0.999999999999, 0.1, 1.0 / 3 };
        for (int i = 0; i < 100_000; i++) multipliers.Add(Math.Pow(2, random.NextDouble() * 62 - 32));
        foreach (double m in multipliers)
        {
            var (m0, shift) = QuantizationMath.ToFixedPoint(m);
            Assert.InRange(m0, 1 << 30, int.MaxValue);
            Assert.InRange(shift, -32, 31);
            // Exact: m · 2^(31 − shift) − M0, with m = mantissa · 2^exponent.
            var (mantissa, exponent) = Decompose(m);
            int scale = exponent + 31 - shift; // m · 2^(31 − shift) = mantissa · 2^scale
            var numerator = scale >= 0 ? (mantissa << scale) - m0 : mantissa - ((BigInteger)m0 << -scale);
            var denominator = scale >= 0 ? BigInteger.One : BigInteger.One << -scale;
            Assert.True(BigInteger.Abs(numerator) * 2 <= denominator, $"M={m:R}: M0={m0}, shift={shift}");
            worst = Math.Max(worst, Math.Abs((double)numerator / (double)denominator) / m0);
        }
        output.WriteLine($"ToFixedPoint: max relative error {worst:E3} (bound 2^-31 = {Math.Pow(2, -31):E3})");
    }

    /// <summary>A finite positive double as mantissa · 2^exponent with an integer mantissa.</summary>
    private static (BigInteger Mantissa, int Exponent) Decompose(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biased = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & ((1L << 52) - 1);
        return biased == 0 ? (fraction, -1074) : (fraction | (1L << 52), biased - 1075);
    }

    [Fact]
    public void Fixed_point_requantization_of_a_real_multiplier_is_within_one_LSB_of_the_exact_real_result()
    {
        // The definition: round_half_even(acc · M) with M the real (double) multiplier, computed exactly.
        // Tolerance ±1 LSB: ToFixedPoint approximates M with relative error ≤ 2^−31, and ties go up instead of
        // to even, so results within that error of a half-way point can land one step away.
        // Measured twice: over results anywhere in int32 (where 2^−31 relative error is up to ~1/2 LSB, so
        // many results near a half-way point move), and over results of 8-bit magnitude (|acc · M| < 1024),
        // which is what requantization to int8/uint8 produces before clamping.
        var random = new Random(7);
        var anywhere = new LsbErrors();
        var eightBit = new LsbErrors();
        for (int i = 0; i < 400_000; i++)
        {
            double m = Math.Pow(2, random.NextDouble() * 24 - 20); // 2^-20 .. 2^4, the span real layers use
            bool small = i % 2 == 0;
            long limit = (long)Math.Min(int.MaxValue, (small ? 1024 : 1L << 30) / m);
            int acc = (int)random.NextInt64(-limit, limit + 1);
            var (m0, shift) = QuantizationMath.ToFixedPoint(m);
            int actual = QuantizationMath.MultiplyByFixedPoint(acc, m0, shift);
            var (mantissa, exponent) = Decompose(m);
            var product = acc * mantissa; // exact acc · M = product · 2^exponent
            var expected = exponent >= 0 ? product << exponent : RoundHalfEven(product, BigInteger.One << -exponent);
            (small ? eightBit : anywhere).Add((int)expected, actual);
        }
        output.WriteLine($"fixed-point requantization vs exact round_half_even(acc · M), results of 8-bit magnitude: {eightBit}");
        output.WriteLine($"fixed-point requantization vs exact round_half_even(acc · M), results anywhere in int32: {anywhere}");
        Assert.True(eightBit.Max <= 1, eightBit.ToString());
        Assert.True(anywhere.Max <= 1, anywhere.ToString());
    }

    private static BigInteger RoundHalfEven(BigInteger n, BigInteger d)
    {
        var q = FloorDivide(n, d);
        var twiceRemainder = 2 * (n - q * d);
        if (twiceRemainder > d || (twiceRemainder == d && !q.IsEven)) q += 1;
        return q;
    }

    [Fact]
    public void Requantizer_fixed_point_adds_the_zero_point_and_clamps_exactly()
    {
        // Exact: clamp(round_half_up(acc · M) + zp, clamp_min, clamp_max) from BigInteger, per channel.
        var random = new Random(11);
        double[] multipliers = [0.0123, 0.5, 1.0 / 3];
        var node = Node("Requantize", 1, FixedPoint(ElementType.Int8, -7, multipliers, clampMin: -100, clampMax: 90));
        var requantizer = Requantizer.Read(node, 3, "channel");
        for (int i = 0; i < 50_000; i++)
        {
            int channel = random.Next(3);
            int acc = random.Next(-5000, 5000);
            var (m0, shift) = QuantizationMath.ToFixedPoint(multipliers[channel]);
            Assert.Equal(FixedPointOutput(acc, m0, shift, -7, -100, 90), requantizer.Requantize(acc, channel));
        }
        foreach (int acc in ExtremeAccumulators)
            for (int channel = 0; channel < 3; channel++)
            {
                var (m0, shift) = QuantizationMath.ToFixedPoint(multipliers[channel]);
                Assert.Equal(FixedPointOutput(acc, m0, shift, -7, -100, 90), requantizer.Requantize(acc, channel));
            }
    }

    [Fact]
    public void Requantizer_float_mode_equals_the_float32_formula()
    {
        // Exact: v = (float)acc * scale (one float32 multiply), clamp to [clamp_min − zp, clamp_max − zp], round
        // half to even, + zp — re-stated independently (FloatPathOutput rounds in double, which is exact for floats).
        var random = new Random(13);
        float[] scales = [0.0123f, 0.5f, 1f / 3, 3.0e-5f];
        var node = Node("Requantize", 1, FloatMode(ElementType.UInt8, 130, scales, clampMin: 3, clampMax: 250));
        var requantizer = Requantizer.Read(node, 4, "channel");
        for (int i = 0; i < 100_000; i++)
        {
            int channel = random.Next(4);
            int acc = i < 1000 ? ExtremeAccumulators[i % ExtremeAccumulators.Length] : random.Next(int.MinValue, int.MaxValue);
            Assert.Equal(FloatPathOutput(acc, scales[channel], 130, 3, 250), requantizer.Requantize(acc, channel));
        }
        // Ties in float go to even: 5 · 0.5 = 2.5 → 2, 7 · 0.5 = 3.5 → 4 (the fixed-point mode would give 3 and 4).
        Assert.Equal(132, requantizer.Requantize(5, 1));
        Assert.Equal(134, requantizer.Requantize(7, 1));
        Assert.Equal(128, requantizer.Requantize(-3, 1)); // -1.5 → -2
    }

    [Fact]
    public void Requantizer_float_mode_clamps_before_rounding_like_MLAS()
    {
        // (float)acc * scale far outside the range (even infinite) clamps to the bounds.
        var node = Node("Requantize", 1, FloatMode(ElementType.Int8, 10, [3.0e38f]));
        var requantizer = Requantizer.Read(node, 1, "tensor");
        Assert.Equal(127, requantizer.Requantize(1000, 0));
        Assert.Equal(-128, requantizer.Requantize(-1000, 0));
        Assert.Equal(10, requantizer.Requantize(0, 0));
    }
}
