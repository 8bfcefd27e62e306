using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int16;

/// <summary>
/// The epilogue of the matrix kernels for an <b>int16</b> output (a linear layer that writes the 16-bit residual
/// stream): one row's int32 products plus bias, requantized per channel,
/// <c>output[j] = Requantization.FixedPoint(products[j] + bias[j], multipliers[j], shifts[j], zp, min, max)</c> (or
/// <c>Requantization.Float</c>) — <c>Octet.Runtime.Int8.RequantizeRow</c>'s contract with a wider output. Constant
/// spans of length 1 apply to every channel; an empty bias is 0; the sum wraps in int32 as the reference's does.
/// The scalar loop is the specification; the AVX2 path computes the same integers eight channels at a time with the
/// same vector rounding as the 8-bit row (exact 64-bit products, a logical shift of a biased sum; see
/// <c>RequantizeRow</c>), then clamps to [min − zp, max − zp] before adding zp, which equals the scalar path's
/// int32 saturation followed by its clamp because both are monotone.
/// </summary>
public static class WideRequantizeRow
{
    /// <summary>Fixed-point requantization of one row into int16 (see the class summary).</summary>
    public static void FixedPoint(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<short> output) =>
        FixedPoint(products, products.Length, bias, multipliers, shifts, zeroPoint, min, max, output, output.Length, 1, output.Length);

    /// <summary>Float requantization of one row into int16: <c>Requantization.Float(products[j] + bias[j], scales[j], zp, min, max)</c>.</summary>
    public static void Float(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<short> output) =>
        Float(products, products.Length, bias, scales, zeroPoint, min, max, output, output.Length, 1, output.Length);

    /// <summary>
    /// <see cref="FixedPoint(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{short})"/>
    /// on <paramref name="rows"/> rows of <paramref name="count"/> channels: row r's products start at r · <paramref name="productStride"/>,
    /// its outputs at r · <paramref name="outputStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FixedPoint(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<short> output, int outputStride, int rows, int count)
    {
        CheckConstants(bias.Length, multipliers.Length, count, "multipliers");
        CheckConstants(bias.Length, shifts.Length, count, "shifts");
        for (int r = 0; r < rows; r++)
        {
            var row = products.Slice(r * productStride, count);
            var target = output.Slice(r * outputStride, count);
            int start = Avx2.IsSupported && multipliers.Length == count && shifts.Length == count || Avx2.IsSupported && multipliers.Length == 1 && shifts.Length == 1
                ? FixedPointVector(row, bias, multipliers, shifts, zeroPoint, min, max, target) : 0;
            FixedPointScalar(row, bias, multipliers, shifts, zeroPoint, min, max, target, start);
        }
    }

    /// <summary>
    /// <see cref="Float(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, int, int, int, Span{short})"/> on
    /// <paramref name="rows"/> rows (strides as in the fixed-point block form).
    /// </summary>
    public static void Float(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<short> output, int outputStride, int rows, int count)
    {
        CheckConstants(bias.Length, scales.Length, count, "scales");
        for (int r = 0; r < rows; r++)
        {
            var row = products.Slice(r * productStride, count);
            var target = output.Slice(r * outputStride, count);
            for (int j = 0; j < count; j++)
            {
                int acc = unchecked(row[j] + (bias.IsEmpty ? 0 : bias[j]));
                target[j] = (short)Int8.Requantization.Float(acc, scales[scales.Length == 1 ? 0 : j], zeroPoint, min, max);
            }
        }
    }

    private static void CheckConstants(int bias, int constants, int count, string name)
    {
        if (bias != 0 && bias != count)
            throw new ArgumentException($"WideRequantizeRow: a bias of {bias} values for {count} channels");
        if (constants != 1 && constants != count)
            throw new ArgumentException($"WideRequantizeRow: {constants} {name} for {count} channels; expected 1 or {count}");
    }

    /// <summary>The specification, from channel <paramref name="start"/> on.</summary>
    internal static void FixedPointScalar(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<short> output, int start = 0)
    {
        for (int j = start; j < output.Length; j++)
        {
            int acc = unchecked(products[j] + (bias.IsEmpty ? 0 : bias[j]));
            int c = multipliers.Length == 1 ? 0 : j;
            output[j] = (short)Int8.Requantization.FixedPoint(acc, multipliers[c], shifts[c], zeroPoint, min, max);
        }
    }

    /// <summary>
    /// Eight channels at a time while every shift of the group is a right shift of 1 to 62 bits; returns where the
    /// scalar tail starts (the first group with another shift, or the last partial group). The even and odd int32 lanes
    /// are multiplied separately by <c>vpmuldq</c> (exact 64-bit products), rounded by <see cref="Round"/> with per-lane
    /// shift counts, clamped in int64 and interleaved back, so no lane leaves the registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FixedPointVector(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<short> output)
    {
        bool perChannel = multipliers.Length != 1;
        var low = Vector256.Create((long)min - zeroPoint);
        var high = Vector256.Create((long)max - zeroPoint);
        var offset = Vector256.Create(zeroPoint);
        var bias62 = Vector256.Create(1L << 62);
        var lowWord = Vector256.Create(0xFFFF_FFFFL);
        var uniformM = Vector256.Create(multipliers[0]);
        var uniformR = Vector256.Create(31 - shifts[0]);
        ref int pFirst = ref MemoryMarshal.GetReference(products);
        ref int bFirst = ref MemoryMarshal.GetReference(bias);
        ref int mFirst = ref MemoryMarshal.GetReference(multipliers);
        ref int sFirst = ref MemoryMarshal.GetReference(shifts);
        ref short yFirst = ref MemoryMarshal.GetReference(output);
        int j = 0;
        for (; j + 8 <= output.Length; j += 8)
        {
            var m = perChannel ? Vector256.LoadUnsafe(ref mFirst, (nuint)j) : uniformM;
            // r = 31 − shift must be in [1, 62] in every lane (RequantizeRow.VectorizableShift).
            var r = perChannel ? Vector256.Create(31) - Vector256.LoadUnsafe(ref sFirst, (nuint)j) : uniformR;
            if (!Vector256.LessThanOrEqualAll(r - Vector256<int>.One, Vector256.Create(61)) || !Vector256.GreaterThanOrEqualAll(r, Vector256<int>.One)) break;
            var acc = Vector256.LoadUnsafe(ref pFirst, (nuint)j);
            if (!bias.IsEmpty) acc += Vector256.LoadUnsafe(ref bFirst, (nuint)j);
            var even = Avx2.Multiply(acc, m);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Avx2.ShiftRightLogical(m.AsInt64(), 32).AsInt32());
            var rEven = (r.AsInt64() & lowWord).AsUInt64();
            var rOdd = Avx2.ShiftRightLogical(r.AsInt64(), 32).AsUInt64();
            even = Vector256.Min(Vector256.Max(Round(even, rEven, bias62), low), high);
            odd = Vector256.Min(Vector256.Max(Round(odd, rOdd, bias62), low), high);
            var values = Avx2.Blend(even.AsInt32(), Avx2.ShiftLeftLogical(odd, 32).AsInt32(), 0b1010_1010) + offset;
            Vector128.Narrow(values.GetLower(), values.GetUpper()).StoreUnsafe(ref yFirst, (nuint)j);
        }
        return j;
    }

    /// <summary>floor((p + 2^(r − 1)) / 2^r) for |p| &lt; 2^62, 1 ≤ r ≤ 62: a logical shift of the sum biased by 2^62, unbiased after.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<long> Round(Vector256<long> product, Vector256<ulong> r, Vector256<long> bias62)
    {
        var half = Avx2.ShiftLeftLogicalVariable(Vector256<ulong>.One, r - Vector256<ulong>.One).AsInt64();
        var biased = (product + half + bias62).AsUInt64();
        var shifted = Avx2.ShiftRightLogicalVariable(biased, r).AsInt64();
        return shifted - Avx2.ShiftRightLogicalVariable(bias62.AsUInt64(), r).AsInt64();
    }
}
