using System.Runtime.Intrinsics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Runtime.Int8;
using RuntimeFixedPoint = Octet.Runtime.Int8.FixedPoint;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The int8 runtime primitives against the compiler's reference arithmetic (QuantizationMath, Requantizer,
/// IntegerAverage), and each primitive's SIMD paths against its scalar specification, bit for bit.
/// </summary>
public sealed class Int8RuntimeTests
{
    /// <summary>An accumulator drawn to hit every regime: tiny, 8-bit products, large, and the int32 extremes.</summary>
    private static int RandomAccumulator(Random random) => random.Next(6) switch
    {
        0 => random.Next(-16, 17),
        1 => random.Next(-70000, 70001),
        2 => random.Next(int.MinValue, int.MaxValue) | (random.Next(2) << 31),
        3 => random.Next(2) == 0 ? int.MinValue + random.Next(4) : int.MaxValue - random.Next(4),
        _ => random.Next(-(1 << 24), 1 << 24),
    };

    private static int RandomMultiplier(Random random) =>
        random.Next(20) == 0 ? 0 : random.Next(10) == 0 ? (random.Next(2) == 0 ? 1 << 30 : int.MaxValue) : random.Next(1 << 30, int.MaxValue);

    private static int RandomShift(Random random) => random.Next(12) == 0 ? random.Next(-200, -32) : random.Next(-40, 32);

    [Fact]
    public void MultiplyByFixedPoint_equals_QuantizationMath_on_a_million_random_cases()
    {
        var random = new Random(1234);
        for (int i = 0; i < 1_000_000; i++)
        {
            int acc = RandomAccumulator(random), m0 = RandomMultiplier(random), shift = RandomShift(random);
            int expected = QuantizationMath.MultiplyByFixedPoint(acc, m0, shift);
            int actual = RuntimeFixedPoint.MultiplyByFixedPoint(acc, m0, shift);
            if (expected != actual) Assert.Fail($"MultiplyByFixedPoint({acc}, {m0}, {shift}) = {actual}; QuantizationMath gives {expected}");
        }
    }

    [Fact]
    public void MultiplyByFixedPoint_equals_QuantizationMath_at_every_shift_on_the_extremes()
    {
        int[] accumulators = [int.MinValue, int.MinValue + 1, -65536, -3, -2, -1, 0, 1, 2, 3, 65535, int.MaxValue - 1, int.MaxValue];
        int[] multipliers = [0, 1 << 30, (1 << 30) + 1, 1518500250, int.MaxValue];
        int checkedCases = 0;
        for (int shift = -100; shift <= 31; shift++)
            foreach (int acc in accumulators)
                foreach (int m0 in multipliers)
                {
                    Assert.Equal(QuantizationMath.MultiplyByFixedPoint(acc, m0, shift), RuntimeFixedPoint.MultiplyByFixedPoint(acc, m0, shift));
                    checkedCases++;
                }
        Assert.Equal(132 * accumulators.Length * multipliers.Length, checkedCases);
    }

    private static Requantizer RandomRequantizer(Random random, bool fixedPoint, out ElementType type)
    {
        type = random.Next(2) == 0 ? ElementType.Int8 : ElementType.UInt8;
        var (min, max) = Range(type);
        int zeroPoint = random.Next(min, max + 1);
        int clampMin = random.Next(3) == 0 ? random.Next(min, zeroPoint + 1) : min;
        int clampMax = random.Next(3) == 0 ? random.Next(Math.Max(clampMin, zeroPoint), max + 1) : max;
        double multiplier = Math.Pow(2, random.NextDouble() * 40 - 36);
        var attributes = fixedPoint
            ? FixedPoint(type, zeroPoint, [multiplier], clampMin, clampMax)
            : FloatMode(type, zeroPoint, [(float)multiplier], clampMin, clampMax);
        return Requantizer.Read(Node("Requantize", 1, attributes), 1, "tensor");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Requantization_equals_the_compilers_Requantizer(bool fixedPoint)
    {
        var random = new Random(fixedPoint ? 7 : 8);
        for (int r = 0; r < 500; r++)
        {
            var requantizer = RandomRequantizer(random, fixedPoint, out _);
            for (int i = 0; i < 2000; i++)
            {
                int acc = RandomAccumulator(random);
                int actual = fixedPoint
                    ? Requantization.FixedPoint(acc, requantizer.Multiplier(0), requantizer.Shift(0), requantizer.ZeroPoint, requantizer.ClampMin, requantizer.ClampMax)
                    : Requantization.Float(acc, requantizer.Scale(0), requantizer.ZeroPoint, requantizer.ClampMin, requantizer.ClampMax);
                Assert.Equal(requantizer.Requantize(acc, 0), actual);
            }
            // RoundAndClamp on values near half-way points, where rounding half to even matters.
            for (int i = 0; i < 200; i++)
            {
                float value = random.Next(-300, 300) + (random.Next(3) == 0 ? 0.5f : (float)random.NextDouble());
                Assert.Equal(requantizer.RoundAndClamp(value),
                    Requantization.RoundAndClamp(value, requantizer.ZeroPoint, requantizer.ClampMin, requantizer.ClampMax));
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Average_equals_the_compilers_IntegerAverage(bool fixedPoint)
    {
        var random = new Random(fixedPoint ? 17 : 18);
        for (int r = 0; r < 300; r++)
        {
            var requantizer = RandomRequantizer(random, fixedPoint, out _);
            for (int i = 0; i < 1000; i++)
            {
                int count = random.Next(4) == 0 ? random.Next(1, 10) : random.Next(1, 100_000);
                // Sums of count values of at most 255 in magnitude, and ties: multiples of half the count.
                int sum = random.Next(3) == 0 ? (count / 2) * random.Next(-255, 256) : random.Next(-255 * Math.Min(count, 8000), 255 * Math.Min(count, 8000) + 1);
                int actual = fixedPoint
                    ? Average.FixedPoint(sum, count, requantizer.Multiplier(0), requantizer.Shift(0), requantizer.ZeroPoint, requantizer.ClampMin, requantizer.ClampMax)
                    : Average.Float(sum, count, requantizer.Scale(0), requantizer.ZeroPoint, requantizer.ClampMin, requantizer.ClampMax);
                Assert.Equal(IntegerAverage.Average(requantizer, sum, count), actual);
            }
        }
    }

    [Fact]
    public void Average_in_64_bits_equals_its_Int128_specification_at_the_extremes()
    {
        // The 64-bit path's bounds: |sum · M0| up to 2^62 and denominators just below 2^62, on both sides of the switch.
        var random = new Random(19);
        int[] sums = [int.MinValue, int.MinValue + 1, -1, 0, 1, int.MaxValue, int.MaxValue - 1];
        for (int i = 0; i < 200_000; i++)
        {
            int sum = i < 1000 ? sums[i % sums.Length] : RandomAccumulator(random);
            int shift = random.Next(-40, 32);
            int count = random.Next(3) switch { 0 => 1 << random.Next(0, 31), 1 => random.Next(1, 100), _ => random.Next(1, int.MaxValue) };
            int m0 = RandomMultiplier(random);
            Assert.Equal(Average.FixedPointWide(sum, count, m0, shift, 3, -128, 127), Average.FixedPoint(sum, count, m0, shift, 3, -128, 127));
            Assert.Equal(Average.FixedPointWide(sum, count, m0, shift, 0, int.MinValue, int.MaxValue), Average.FixedPoint(sum, count, m0, shift, 0, int.MinValue, int.MaxValue));
        }
    }

    private static T[] RandomBytes<T>(Random random, int length, int extreme) where T : unmanaged
    {
        var values = new T[length];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        random.NextBytes(bytes);
        // Sometimes all-extreme vectors (−128/255 everywhere): the largest products, where saturation would show.
        if (extreme == 1) bytes.Fill(0x80);
        if (extreme == 2) bytes.Fill(0xFF);
        return values;
    }

    /// <summary>The definition, independently: Σ a·b in 64 bits, wrapped to int32 at the end.</summary>
    private static int WideDot<TA, TB>(TA[] a, TB[] b) where TA : unmanaged where TB : unmanaged
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Convert.ToInt64(a[i]) * Convert.ToInt64(b[i]);
        return unchecked((int)sum);
    }

    private static void CheckDot<TA, TB>(Random random) where TA : unmanaged where TB : unmanaged
    {
        int checks = 0;
        for (int length = 0; length <= 300; length++)
            for (int extreme = 0; extreme < 3; extreme++)
            {
                var a = RandomBytes<TA>(random, length, extreme);
                var b = RandomBytes<TB>(random, length, extreme == 0 ? 0 : 3 - extreme);
                int expected = WideDot(a, b);
                Assert.Equal(expected, Int8Dot.DotScalar<TA, TB>(a, b, 0, 0));
                Assert.Equal(expected, Int8Dot.Dot<TA, TB>(a, b));
                if (Vector128.IsHardwareAccelerated) { Assert.Equal(expected, Int8Dot.DotVector128<TA, TB>(a, b)); checks++; }
                if (Vector256.IsHardwareAccelerated) { Assert.Equal(expected, Int8Dot.DotVector256<TA, TB>(a, b)); checks++; }
            }
        Assert.True(checks > 0 || !Vector128.IsHardwareAccelerated);
        // Long enough for the int32 sum to wrap (255 · 255 · 2^17 > 2^33): every path wraps identically.
        var longA = RandomBytes<TA>(random, 1 << 17, 2);
        var longB = RandomBytes<TB>(random, 1 << 17, 2);
        int wrapped = WideDot(longA, longB);
        Assert.Equal(wrapped, Int8Dot.DotScalar<TA, TB>(longA, longB, 0, 0));
        if (Vector128.IsHardwareAccelerated) Assert.Equal(wrapped, Int8Dot.DotVector128<TA, TB>(longA, longB));
        if (Vector256.IsHardwareAccelerated) Assert.Equal(wrapped, Int8Dot.DotVector256<TA, TB>(longA, longB));
    }

    [Fact]
    public void Dot_scalar_and_SIMD_paths_give_the_same_integers_for_every_signedness()
    {
        var random = new Random(99);
        CheckDot<sbyte, sbyte>(random);
        CheckDot<byte, sbyte>(random);
        CheckDot<sbyte, byte>(random);
        CheckDot<byte, byte>(random);
        // The public overloads route to the same code.
        sbyte[] a = [-128, 127, 5];
        byte[] b = [255, 255, 2];
        Assert.Equal(-128 * 255 + 127 * 255 + 10, Int8Dot.Dot(a, b));
        Assert.Equal(-128 * -128 + 127 * 127 + 25, Int8Dot.Dot(a, a));
        Assert.Throws<ArgumentException>(() => Int8Dot.Dot(a, b.AsSpan(0, 2)));
    }

    private static void CheckSum<T>(Random random) where T : unmanaged
    {
        for (int length = 0; length <= 300; length++)
            for (int extreme = 0; extreme < 3; extreme++)
            {
                var x = RandomBytes<T>(random, length, extreme);
                long expected = 0;
                foreach (var v in x) expected += Convert.ToInt64(v);
                Assert.Equal((int)expected, Int8Dot.SumScalar<T>(x, 0, 0));
                Assert.Equal((int)expected, Int8Dot.Sum<T>(x));
                if (Vector128.IsHardwareAccelerated) Assert.Equal((int)expected, Int8Dot.SumVector128<T>(x));
                if (Vector256.IsHardwareAccelerated) Assert.Equal((int)expected, Int8Dot.SumVector256<T>(x));

                var sums = Enumerable.Range(0, length).Select(_ => random.Next()).ToArray();
                var scalar = (int[])sums.Clone();
                Accumulate.AddScalar<T>(scalar, x, 0);
                for (int i = 0; i < length; i++) Assert.Equal(unchecked(sums[i] + (int)Convert.ToInt64(x[i])), scalar[i]);
                var vector = (int[])sums.Clone();
                Accumulate.Add<T>(vector, x);
                Assert.Equal(scalar, vector);
            }
    }

    [Fact]
    public void Sum_and_Accumulate_scalar_and_SIMD_paths_give_the_same_integers()
    {
        var random = new Random(5);
        CheckSum<sbyte>(random);
        CheckSum<byte>(random);
    }

    [Fact]
    public void Portable_multiply_add_fallback_sums_to_the_same_lanes_total_as_the_hardware_instruction()
    {
        // Machines without AVX2/SSE2 (Arm) take the portable fallback; its lanes pair differently, so compare lane totals.
        var random = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            var a = Vector256.Create(Enumerable.Range(0, 16).Select(_ => (short)random.Next(-128, 256)).ToArray());
            var b = Vector256.Create(Enumerable.Range(0, 16).Select(_ => (short)random.Next(-128, 256)).ToArray());
            long expected = 0;
            for (int lane = 0; lane < 16; lane++) expected += a[lane] * b[lane];
            Assert.Equal((int)expected, Vector256.Sum(Int8Dot.MultiplyAddPairsPortable(a, b)));
            Assert.Equal((int)expected, Vector256.Sum(Int8Dot.MultiplyAddPairs(a, b)));
            Assert.Equal((int)expected, Vector128.Sum(Int8Dot.MultiplyAddPairsPortable(a.GetLower(), b.GetLower())) + Vector128.Sum(Int8Dot.MultiplyAddPairs(a.GetUpper(), b.GetUpper())));
        }
    }
}
