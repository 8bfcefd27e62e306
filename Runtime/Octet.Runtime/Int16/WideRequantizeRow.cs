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
    /// scalar tail starts (the first group with another shift, or the last partial group).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FixedPointVector(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<short> output)
    {
        bool perChannel = multipliers.Length != 1;
        var low = Vector256.Create((long)min - zeroPoint);
        var high = Vector256.Create((long)max - zeroPoint);
        var offset = Vector256.Create((long)zeroPoint);
        var bias62 = Vector256.Create(1L << 62);
        int j = 0;
        Span<long> lanes = stackalloc long[8];
        for (; j + 8 <= output.Length; j += 8)
        {
            var m = perChannel ? Vector256.Create(multipliers.Slice(j, 8)) : Vector256.Create(multipliers[0]);
            var s = perChannel ? Vector256.Create(shifts.Slice(j, 8)) : Vector256.Create(shifts[0]);
            // r = 31 − shift must be in [1, 62] in every lane (RequantizeRow.VectorizableShift).
            var r = Vector256.Create(31) - s;
            if (!Vector256.LessThanOrEqualAll(r - Vector256<int>.One, Vector256.Create(61)) || !Vector256.GreaterThanOrEqualAll(r, Vector256<int>.One)) break;
            var acc = Vector256.Create(products.Slice(j, 8));
            if (!bias.IsEmpty) acc += Vector256.Create(bias.Slice(j, 8));
            // Even and odd lanes separately: vpmuldq multiplies the low 32 bits of each 64-bit lane, sign-extended.
            var (accLow, accHigh) = Vector256.Widen(acc);
            var (mLow, mHigh) = Vector256.Widen(m);
            var (rLow, rHigh) = Vector256.Widen(r);
            var resultLow = Round(accLow * mLow, rLow.AsUInt64(), bias62);
            var resultHigh = Round(accHigh * mHigh, rHigh.AsUInt64(), bias62);
            resultLow = Vector256.Min(Vector256.Max(resultLow, low), high) + offset;
            resultHigh = Vector256.Min(Vector256.Max(resultHigh, low), high) + offset;
            resultLow.CopyTo(lanes);
            resultHigh.CopyTo(lanes.Slice(4));
            for (int i = 0; i < 8; i++) output[j + i] = (short)lanes[i];
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
