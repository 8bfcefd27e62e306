using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int16;
using Octet.Runtime.Transformer;
using Xunit;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The AVX2 paths of the kernels on the 16-bit residual stream, each called directly (whatever the dispatcher would pick
/// on this machine) and compared bit for bit with the kernel's scalar specification: ILayerNorm's vector rows
/// (<c>IntegerLayerNorm.RowsAvx2</c>) and its scalar fast path (<c>RowsPerValue</c>), and QAdd's fused loop
/// (<c>WideRescaledAdd.FusedAvx2</c>) and its block path. Every element-type pair, every length of the vector tails (1 to
/// 40 channels or elements), zero points away from 0, negative γ multipliers, the rows that leave the vector path (root 0,
/// root at least 2^31), and in-place calls. On a machine without AVX2 the vector halves are skipped (the dispatcher never
/// calls them there); the scalar halves still run.
/// </summary>
public sealed class Int16SimdPathTests
{
    public static IEnumerable<object[]> LayerNormTypes() =>
        from x in new[] { "int16", "int8", "uint8" }
        from y in new[] { "int16", "int8", "uint8" }
        select new object[] { x, y };

    [Theory]
    [MemberData(nameof(LayerNormTypes))]
    public void Layer_norm_vector_rows_equal_the_scalar_specification(string inputType, string outputType)
    {
        var random = new Random(inputType.Length * 31 + outputType.Length);
        foreach (int channels in Enumerable.Range(1, 40).Concat([63, 192, 197, 1290]))
            foreach (int xZeroPoint in inputType == "uint8" ? new[] { 128, 0 } : inputType == "int8" ? new[] { 0, -5 } : new[] { 0, 7 })
                Check(inputType, outputType, channels, xZeroPoint, random);
    }

    private static void Check(string inputType, string outputType, int channels, int xZeroPoint, Random random)
    {
        switch (inputType)
        {
            case "int16": CheckOutput<short>(outputType, channels, xZeroPoint, random); break;
            case "int8": CheckOutput<sbyte>(outputType, channels, xZeroPoint, random); break;
            default: CheckOutput<byte>(outputType, channels, xZeroPoint, random); break;
        }
    }

    private static void CheckOutput<TX>(string outputType, int channels, int xZeroPoint, Random random) where TX : unmanaged
    {
        switch (outputType)
        {
            case "int16": CheckLayerNorm<TX, short>(channels, xZeroPoint, random); break;
            case "int8": CheckLayerNorm<TX, sbyte>(channels, xZeroPoint, random); break;
            default: CheckLayerNorm<TX, byte>(channels, xZeroPoint, random); break;
        }
    }

    private static void CheckLayerNorm<TX, TY>(int channels, int xZeroPoint, Random random) where TX : unmanaged where TY : unmanaged
    {
        var (low, high) = Range<TX>();
        // Constants as ILayerNorm.Create makes them (M0 in [2^30, 2^31), γ of either sign), shifts spread over the
        // vectorizable range for this output's precision, biases up to the emitter's ±2^40.
        int fractionBits = typeof(TY) == typeof(short) ? 24 : 16;
        var multipliers = Enumerable.Range(0, channels).Select(_ => random.Next(1 << 30, int.MaxValue) * (random.Next(4) == 0 ? -1 : 1)).ToArray();
        // r = 31 − shift + F − 16: mostly lowering's 20 to 35, some in [31, 61] and some in [1, 10] (outputs clamp).
        var shifts = Enumerable.Range(0, channels).Select(_ => random.Next(6) switch
        {
            0 => random.Next(fractionBits - 46, fractionBits - 15),
            1 => random.Next(fractionBits + 5, fractionBits + 15),
            _ => random.Next(4, 12),
        }).ToArray();
        var biases = Enumerable.Range(0, channels).Select(_ => random.Next(8) == 0 ? random.NextInt64(-(1L << 40), (1L << 40) + 1) : random.Next(-400_000, 400_000)).ToArray();
        Assert.True(IntegerLayerNorm.AffineVectorizable<TX, TY>(shifts, biases));
        int yZeroPoint = typeof(TY) == typeof(byte) ? 128 : typeof(TY) == typeof(sbyte) ? -3 : 5;

        const int rows = 8;
        var values = new int[rows * channels];
        for (int c = 0; c < channels; c++)
        {
            values[c] = random.Next(low, high + 1);                                   // full range
            values[channels + c] = Math.Clamp(xZeroPoint + random.Next(-3, 4), low, high);  // clustered near zp
            values[2 * channels + c] = xZeroPoint;                                    // constant at zp (root 0 without ε)
            values[3 * channels + c] = c % 2 == 0 ? low : high;                       // extremes
            values[4 * channels + c] = c == 0 ? high : Math.Clamp(random.Next(-3, 4), low, high); // one outlier
            values[5 * channels + c] = random.Next(2) == 0 ? low : high;              // random extremes
            values[6 * channels + c] = Math.Clamp(random.Next(-300, 301), low, high);
            values[7 * channels + c] = random.Next(low, high + 1);
        }
        var x = values.Select(FromInt<TX>).ToArray();
        // ε = 0 (constant rows have root 0), a typical ε, and one so large that the root passes 2^31 (the scalar row).
        foreach (long epsilon in new[] { 0L, 7138L, 1L << 62 })
        {
            var expected = new TY[x.Length];
            IntegerLayerNorm.RowsScalar<TX, TY>(x, expected, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);

            var perValue = new TY[x.Length];
            IntegerLayerNorm.RowsPerValue<TX, TY>(x, perValue, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);
            Assert.Equal(expected, perValue);

            var dispatched = new TY[x.Length];
            IntegerLayerNorm.Rows<TX, TY>(x, dispatched, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);
            Assert.Equal(expected, dispatched);

            if (!Avx2.IsSupported) continue;
            var vector = new TY[x.Length];
            IntegerLayerNorm.RowsAvx2<TX, TY>(x, vector, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);
            Assert.Equal(expected, vector);

            // In place (same element width): every row is read before it is written.
            if (typeof(TX) == typeof(TY))
            {
                var buffer = (TX[])x.Clone();
                IntegerLayerNorm.RowsAvx2<TX, TX>(buffer, buffer, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);
                Assert.Equal(expected, (TY[])(object)buffer);
            }
        }
    }

    [Fact]
    public void Layer_norm_outside_the_vector_range_takes_the_scalar_path()
    {
        // A shift whose right shift r = 31 − shift + F − 16 is 0 (F = 16 for an int8 output): the affine step cannot be
        // vectorized; Rows must still give the specification's integers.
        const int channels = 24;
        var random = new Random(4);
        var multipliers = Enumerable.Range(0, channels).Select(_ => random.Next(1 << 30, int.MaxValue)).ToArray();
        var shifts = Enumerable.Range(0, channels).Select(c => c == 17 ? 31 : 8).ToArray();
        var biases = new long[channels];
        Assert.False(IntegerLayerNorm.AffineVectorizable<short, sbyte>(shifts, biases));
        var x = Enumerable.Range(0, 3 * channels).Select(_ => (short)random.Next(-32768, 32768)).ToArray();
        var expected = new sbyte[x.Length];
        var actual = new sbyte[x.Length];
        IntegerLayerNorm.RowsScalar<short, sbyte>(x, expected, 0, 100, multipliers, shifts, biases, 0);
        IntegerLayerNorm.Rows<short, sbyte>(x, actual, 0, 100, multipliers, shifts, biases, 0);
        Assert.Equal(expected, actual);
        if (Avx2.IsSupported)
            Assert.Throws<InvalidOperationException>(() => IntegerLayerNorm.RowsAvx2<short, sbyte>(x, actual, 0, 100, multipliers, shifts, biases, 0));
    }

    /// <summary>
    /// The vector division of ILayerNorm's standardized value on its hardest inputs: numerators within ±1 of a tie (2a + R
    /// a multiple of 2R) at quotients near 2^27, where the double estimate can land on either side and only the exact
    /// correction gives <c>DivideHalfUp</c>'s integer. Random rows almost never produce these.
    /// </summary>
    [Fact]
    public void Layer_norm_vector_division_corrects_near_ties()
    {
        if (!Avx2.IsSupported) return;
        var random = new Random(8);
        const int s = 28;
        const long modulus = 1L << (s + 1);
        int checkedCases = 0;
        while (checkedCases < 2000)
        {
            long root = random.NextInt64(1L << 30, 1L << 31) | 1;
            int epsilon = random.Next(2) == 0 ? -1 : 1;
            // c·2^(s+1) = R·t + ε with t odd: t ≡ −ε·R⁻¹ (mod 2^(s+1)), R odd.
            long inverse = 1;
            for (int i = 0; i < 6; i++) inverse = unchecked(inverse * (2 - root * inverse)) % modulus;
            long t = ((-epsilon * inverse) % modulus + modulus) % modulus;
            long c = (long)(((System.Numerics.BigInteger)root * t + epsilon) / modulus);
            if (c >= int.MaxValue || ((System.Numerics.BigInteger)root * t + epsilon) % modulus != 0) continue;
            var centered = Vector128.Create((int)c, -(int)c, (int)c - 1, (int)c + 1);
            var lanes = IntegerLayerNorm.Standardized(centered, Vector256.Create(Math.ScaleB(1.0, s) / root),
                Vector256.Create(0.5), Vector128.CreateScalar((long)s),
                Vector256.Create(root), Vector256.Create(2 * root - 1));
            for (int lane = 0; lane < 4; lane++)
                Assert.Equal(TransformerMath.DivideHalfUp((long)centered.GetElement(lane) << s, root), lanes.GetElement(lane));
            checkedCases++;
        }
    }

    public static IEnumerable<object[]> AddTypes() =>
        from a in new[] { "int16", "int8", "uint8" }
        from b in new[] { "int16", "int8", "uint8" }
        from y in new[] { "int16", "int8", "uint8" }
        select new object[] { a, b, y };

    /// <summary>
    /// QAdd's fused AVX2 loop (plus the specification's tail) and its block path against the specification, with shifts
    /// as lowering writes them and shifts beyond (a positive operand shift makes the rescaled value saturate int32, a
    /// left_shift of up to 30 makes the shifted operand wrap, as the specification's int32 arithmetic does).
    /// </summary>
    [Theory]
    [MemberData(nameof(AddTypes))]
    public void Rescaled_add_fused_loop_equals_the_scalar_specification(string aType, string bType, string yType)
    {
        var random = new Random(aType.Length * 100 + bType.Length * 10 + yType.Length);
        switch (aType)
        {
            case "int16": AddWithB<short>(bType, yType, random); break;
            case "int8": AddWithB<sbyte>(bType, yType, random); break;
            default: AddWithB<byte>(bType, yType, random); break;
        }
    }

    private static void AddWithB<TA>(string bType, string yType, Random random) where TA : unmanaged
    {
        switch (bType)
        {
            case "int16": AddWithY<TA, short>(yType, random); break;
            case "int8": AddWithY<TA, sbyte>(yType, random); break;
            default: AddWithY<TA, byte>(yType, random); break;
        }
    }

    private static void AddWithY<TA, TB>(string yType, Random random) where TA : unmanaged where TB : unmanaged
    {
        switch (yType)
        {
            case "int16": CheckAdd<TA, TB, short>(random); break;
            case "int8": CheckAdd<TA, TB, sbyte>(random); break;
            default: CheckAdd<TA, TB, byte>(random); break;
        }
    }

    private static void CheckAdd<TA, TB, TY>(Random random) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        var (aLow, aHigh) = Range<TA>();
        var (bLow, bHigh) = Range<TB>();
        var (min, max) = Range<TY>();
        int ZeroPoint<T>() => typeof(T) == typeof(byte) ? 128 : typeof(T) == typeof(sbyte) ? -3 : 0;
        // (left_shift, a_M0, a_shift, b_M0, b_shift, M0, shift): lowering's form (operand factors ≤ 1, small output factor),
        // then saturating and wrapping cases.
        var attributeSets = new List<(int, int, int, int, int, int, int)>
        {
            (15, 1 << 30, 0, 2142285948, -5, 1911399282, -14),
            (random.Next(0, 16), random.Next(1 << 30, int.MaxValue), random.Next(-20, 1), random.Next(1 << 30, int.MaxValue), random.Next(-20, 1), random.Next(1 << 30, int.MaxValue), random.Next(-25, -5)),
            (20, random.Next(1 << 30, int.MaxValue), 3, random.Next(1 << 30, int.MaxValue), 1, random.Next(1 << 30, int.MaxValue), 2),
            (30, random.Next(1 << 30, int.MaxValue), 30, random.Next(1 << 30, int.MaxValue), -31, random.Next(1 << 30, int.MaxValue), -31),
            (0, int.MinValue, 0, 0, 0, random.Next(1 << 30, int.MaxValue), 0),
        };
        foreach (var (leftShift, am, ashift, bm, bshift, m, shift) in attributeSets)
            foreach (int length in Enumerable.Range(0, 41).Concat([255, 256, 257]))
            {
                var a = Enumerable.Range(0, length).Select(i => FromInt<TA>(i % 5 == 0 ? aLow : i % 5 == 1 ? aHigh : random.Next(aLow, aHigh + 1))).ToArray();
                var b = Enumerable.Range(0, length).Select(i => FromInt<TB>(i % 3 == 0 ? bHigh : i % 7 == 1 ? bLow : random.Next(bLow, bHigh + 1))).ToArray();
                int azp = ZeroPoint<TA>(), bzp = ZeroPoint<TB>(), yzp = ZeroPoint<TY>();
                var expected = new TY[length];
                WideRescaledAdd.FixedPointScalar<TA, TB, TY>(a, b, azp, bzp, leftShift, am, ashift, bm, bshift, m, shift, yzp, min, max, expected);

                var dispatched = new TY[length];
                WideRescaledAdd.FixedPoint<TA, TB, TY>(a, b, azp, bzp, leftShift, am, ashift, bm, bshift, m, shift, yzp, min, max, dispatched);
                Assert.Equal(expected, dispatched);

                var blocks = new TY[length];
                WideRescaledAdd.FixedPointBlocks<TA, TB, TY>(a, b, azp, bzp, leftShift, am, ashift, bm, bshift, m, shift, yzp, min, max, blocks);
                Assert.Equal(expected, blocks);

                if (!Avx2.IsSupported || !WideRescaledAdd.FusedShifts(ashift, bshift, shift)) continue;
                var fused = new TY[length];
                int done = WideRescaledAdd.FusedAvx2<TA, TB, TY>(a, b, azp, bzp, leftShift, am, ashift, bm, bshift, m, shift, yzp, min, max, fused);
                Assert.Equal(length & ~7, done);
                Assert.Equal(expected.AsSpan(0, done).ToArray(), fused.AsSpan(0, done).ToArray());

                // In place over A when it has the output's width.
                if (typeof(TA) == typeof(TY))
                {
                    var buffer = (TA[])a.Clone();
                    WideRescaledAdd.FixedPoint<TA, TB, TA>(buffer, b, azp, bzp, leftShift, am, ashift, bm, bshift, m, shift, yzp, min, max, buffer);
                    Assert.Equal(expected, (TY[])(object)buffer);
                }
            }
    }

    private static (int Low, int High) Range<T>() where T : unmanaged =>
        typeof(T) == typeof(short) ? (short.MinValue, short.MaxValue) : typeof(T) == typeof(sbyte) ? (sbyte.MinValue, sbyte.MaxValue) : (byte.MinValue, byte.MaxValue);

    private static T FromInt<T>(int value) where T : unmanaged =>
        typeof(T) == typeof(short) ? (T)(object)(short)value : typeof(T) == typeof(sbyte) ? (T)(object)(sbyte)value : (T)(object)(byte)value;
}
