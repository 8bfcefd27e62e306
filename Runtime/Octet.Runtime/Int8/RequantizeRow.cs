using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The epilogue of the matrix kernels: one output row's int32 products plus bias, requantized per channel to 8 bits,
/// <c>output[j] = Requantization.FixedPoint(products[j] + bias[j], multipliers[j], shifts[j], zp, min, max)</c> (or
/// <c>Requantization.Float</c>). Constant spans of length 1 apply to every channel; an empty bias is 0. The scalar
/// loop is the specification (it calls <see cref="Requantization"/>); the AVX2 path computes the same integers eight
/// channels at a time.
/// <para>
/// Fixed point in vectors: the exact 64-bit product acc · M0 (vpmuldq), plus the rounding constant 2^(r − 1) and 2^62,
/// shifted right logically by r = 31 − shift (vpsrlvq), minus 2^(62 − r): that is floor((acc · M0 + 2^(r − 1)) / 2^r),
/// the scalar rounding, because |acc · M0| &lt; 2^62 keeps the biased sum in [0, 2^64). Clamping that value to
/// [min − zp, max − zp] before adding zp gives what the scalar path's int32 saturation and final clamp give, as both are
/// monotone. It needs 1 ≤ r ≤ 62 (<see cref="VectorizableShift"/>); a group of eight channels with another shift uses the scalar path.
/// </para>
/// </summary>
public static class RequantizeRow
{
    /// <summary>True when the vector path handles <paramref name="shift"/> (right shifts of 1 to 62 bits).</summary>
    public static bool VectorizableShift(int shift) => (uint)(31 - shift - 1) < 62u;

    /// <summary>Fixed-point requantization of one row (see the class summary).</summary>
    public static void FixedPoint(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<sbyte> output) => FixedPoint<sbyte>(products, bias, multipliers, shifts, zeroPoint, min, max, output);

    /// <inheritdoc cref="FixedPoint(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{sbyte})"/>
    public static void FixedPoint(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<byte> output) => FixedPoint<byte>(products, bias, multipliers, shifts, zeroPoint, min, max, output);

    /// <summary>Float requantization of one row: <c>Requantization.Float(products[j] + bias[j], scales[j], zp, min, max)</c>.</summary>
    public static void Float(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<sbyte> output) => Float<sbyte>(products, bias, scales, zeroPoint, min, max, output);

    /// <inheritdoc cref="Float(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, int, int, int, Span{sbyte})"/>
    public static void Float(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<byte> output) => Float<byte>(products, bias, scales, zeroPoint, min, max, output);

    /// <summary>
    /// <see cref="FixedPoint(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{sbyte})"/>
    /// on <paramref name="rows"/> rows of <paramref name="count"/> channels: row r's products start at r · <paramref name="productStride"/>,
    /// its outputs at r · <paramref name="outputStride"/> (one call per block of pixels instead of one per pixel).
    /// </summary>
    public static void FixedPoint(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<sbyte> output, int outputStride, int rows, int count) =>
        FixedPointBlock(products, productStride, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride, rows, count);

    /// <inheritdoc cref="FixedPoint(ReadOnlySpan{int}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{sbyte}, int, int, int)"/>
    public static void FixedPoint(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<byte> output, int outputStride, int rows, int count) =>
        FixedPointBlock(products, productStride, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride, rows, count);

    /// <summary>
    /// The block form: the per-channel constants are checked once for the block (the slices below check each row's
    /// extent), then each row goes through the row kernel without repeating the checks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FixedPointBlock<T>(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output, int outputStride, int rows, int count) where T : unmanaged
    {
        if (rows <= 0) return;
        Check(count, bias.Length, multipliers.Length, count);
        Check(count, bias.Length, shifts.Length, count);
        var rowBias = bias.IsEmpty ? bias : bias.Slice(0, count);
        for (int r = 0; r < rows; r++)
            FixedPointChecked(products.Slice(r * productStride, count), rowBias, multipliers, shifts, zeroPoint, min, max, output.Slice(r * outputStride, count));
    }

    /// <summary>The float mode of the block form (see the fixed-point one).</summary>
    public static void Float(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<sbyte> output, int outputStride, int rows, int count)
    {
        for (int r = 0; r < rows; r++)
            Float<sbyte>(products.Slice(r * productStride, count), bias, scales, zeroPoint, min, max, output.Slice(r * outputStride, count));
    }

    /// <inheritdoc cref="Float(ReadOnlySpan{int}, int, ReadOnlySpan{int}, ReadOnlySpan{float}, int, int, int, Span{sbyte}, int, int, int)"/>
    public static void Float(ReadOnlySpan<int> products, int productStride, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<byte> output, int outputStride, int rows, int count)
    {
        for (int r = 0; r < rows; r++)
            Float<byte>(products.Slice(r * productStride, count), bias, scales, zeroPoint, min, max, output.Slice(r * outputStride, count));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FixedPoint<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output) where T : unmanaged
    {
        int n = output.Length;
        Check(products.Length, bias.Length, multipliers.Length, n);
        Check(products.Length, bias.Length, shifts.Length, n);
        FixedPointChecked(products, bias, multipliers, shifts, zeroPoint, min, max, output);
    }

    /// <summary>The fixed-point row once the caller has checked the lengths (<see cref="Check"/>) itself, for kernels that requantize many rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FixedPointChecked<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output) where T : unmanaged
    {
        int n = output.Length;
        int start = 0;
        if (Avx512F.IsSupported && Avx512BW.IsSupported && n >= 16)
        {
            start = FixedPointAvx512(products, bias, multipliers, shifts, zeroPoint, min, max, output);
            // The last channels as one more group ending at n: it overlaps channels already written and writes the
            // same values there again (each output depends only on its own channel's inputs).
            if (start < n) FixedPointGroupAvx512(products, bias, multipliers, shifts, zeroPoint, min, max, output, n - 16);
            return;
        }
        if (Avx2.IsSupported && n >= 8)
        {
            start = FixedPointAvx2(products, bias, multipliers, shifts, zeroPoint, min, max, output);
            if (start < n) FixedPointGroupAvx2(products, bias, multipliers, shifts, zeroPoint, min, max, output, n - 8);
            return;
        }
        FixedPointScalar(products, bias, multipliers, shifts, zeroPoint, min, max, output, start);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Float<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<T> output) where T : unmanaged
    {
        int n = output.Length;
        Check(products.Length, bias.Length, scales.Length, n);
        int start = 0;
        if (Avx2.IsSupported && n >= 8) start = FloatAvx2(products, bias, scales, zeroPoint, min, max, output);
        FloatScalar(products, bias, scales, zeroPoint, min, max, output, start);
    }

    internal static void Check(int products, int bias, int constants, int n)
    {
        if (products < n || (bias != 0 && bias < n) || (constants != 1 && constants < n))
            throw new ArgumentException($"RequantizeRow: {n} outputs need as many products ({products}), bias values ({bias}, or none) and per-channel constants ({constants}, or one)");
    }

    /// <summary>The specification, from channel <paramref name="start"/> on.</summary>
    internal static void FixedPointScalar<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output, int start) where T : unmanaged
    {
        for (int j = start; j < output.Length; j++)
        {
            int acc = unchecked(products[j] + (bias.IsEmpty ? 0 : bias[j]));
            int value = Requantization.FixedPoint(acc, multipliers[multipliers.Length == 1 ? 0 : j], shifts[shifts.Length == 1 ? 0 : j], zeroPoint, min, max);
            output[j] = FromInt<T>(value);
        }
    }

    /// <summary>The specification of the float mode, from channel <paramref name="start"/> on.</summary>
    internal static void FloatScalar<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<T> output, int start) where T : unmanaged
    {
        for (int j = start; j < output.Length; j++)
        {
            int acc = unchecked(products[j] + (bias.IsEmpty ? 0 : bias[j]));
            output[j] = FromInt<T>(Requantization.Float(acc, scales[scales.Length == 1 ? 0 : j], zeroPoint, min, max));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromInt<T>(int value) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) { sbyte s = (sbyte)value; return Unsafe.As<sbyte, T>(ref s); }
        if (typeof(T) == typeof(byte)) { byte b = (byte)value; return Unsafe.As<byte, T>(ref b); }
        throw new NotSupportedException($"{typeof(T)} is not an 8-bit integer type");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Load8(ReadOnlySpan<int> values, int j) =>
        values.Length == 1 ? Vector256.Create(values[0]) : Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(values), (nuint)j);

    /// <summary>
    /// Whole groups of eight channels; returns where the scalar tail starts. Channels whose right shift is 63 or more
    /// (a multiplier below 2^−32: the scalar result is 0) go through the vector path with multiplier 0; a group with
    /// a left shift goes through the scalar specification.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int FixedPointAvx2<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output) where T : unmanaged
    {
        int j = 0;
        for (; j <= output.Length - 8; j += 8)
            FixedPointGroupAvx2(products, bias, multipliers, shifts, zeroPoint, min, max, output, j);
        return j;
    }

    /// <summary>Channels [j, j + 8) (see <see cref="FixedPointAvx2"/>); the caller guarantees j + 8 ≤ the row length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FixedPointGroupAvx2<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output, int j) where T : unmanaged
    {
        ref int pp = ref MemoryMarshal.GetReference(products);
        ref int pb = ref MemoryMarshal.GetReference(bias);
        ref byte po = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(output));
        var low = Vector256.Create((long)(min - zeroPoint));
        var high = Vector256.Create((long)(max - zeroPoint));
        var zp = Vector256.Create(zeroPoint);
        var one = Vector256.Create(1UL);
        var bias62 = Vector256.Create(1UL << 62);
        var acc = Vector256.LoadUnsafe(ref pp, (nuint)j);
        if (!bias.IsEmpty) acc += Vector256.LoadUnsafe(ref pb, (nuint)j);
        var m = Load8(multipliers, j);
        var rightShift = Vector256.Create(31) - Load8(shifts, j);
        if (Vector256.LessThanOrEqualAny(rightShift, Vector256<int>.Zero))
        {
            FixedPointScalar(products.Slice(0, j + 8), bias.IsEmpty ? bias : bias.Slice(0, j + 8), multipliers, shifts, zeroPoint, min, max, output.Slice(0, j + 8), j);
            return;
        }
        // A right shift of 63 or more rounds |acc · M0| < 2^62 to 0: the same as multiplier 0 with any valid shift.
        var vanishing = Vector256.GreaterThan(rightShift, Vector256.Create(62));
        m = Vector256.AndNot(m, vanishing);
        rightShift = Vector256.ConditionalSelect(vanishing, Vector256<int>.One, rightShift);
        // Even lanes (0, 2, 4, 6) and odd lanes (1, 3, 5, 7) as 64-bit values.
        var shiftEven = (rightShift.AsInt64() & Vector256.Create(0xFFFFFFFFL)).AsUInt64();
        var shiftOdd = Avx2.ShiftRightLogical(rightShift.AsInt64(), 32).AsUInt64();
        var even = Round(Avx2.Multiply(acc, m), shiftEven, one, bias62);
        var odd = Round(Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Avx2.ShiftRightLogical(m.AsInt64(), 32).AsInt32()), shiftOdd, one, bias62);
        even = Vector256.Min(Vector256.Max(even, low), high);
        odd = Vector256.Min(Vector256.Max(odd, low), high);
        // Back to eight int32 lanes: each clamped value fits in its low 32 bits.
        var values = ((even & Vector256.Create(0xFFFFFFFFL)) | Avx2.ShiftLeftLogical(odd, 32)).AsInt32() + zp;
        StoreNarrow<T>(values, ref Unsafe.Add(ref po, j));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Load16(ReadOnlySpan<int> values, int j) =>
        values.Length == 1 ? Vector512.Create(values[0]) : Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(values), (nuint)j);

    /// <summary>The AVX-512 form of <see cref="FixedPointAvx2"/>: whole groups of sixteen channels; returns where the rest starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int FixedPointAvx512<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output) where T : unmanaged
    {
        int j = 0;
        for (; j <= output.Length - 16; j += 16)
            FixedPointGroupAvx512(products, bias, multipliers, shifts, zeroPoint, min, max, output, j);
        return j;
    }

    /// <summary>Channels [j, j + 16), the same integers as <see cref="FixedPointGroupAvx2"/> on 512-bit registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FixedPointGroupAvx512<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<T> output, int j) where T : unmanaged
    {
        ref int pp = ref MemoryMarshal.GetReference(products);
        ref int pb = ref MemoryMarshal.GetReference(bias);
        ref byte po = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(output));
        var acc = Vector512.LoadUnsafe(ref pp, (nuint)j);
        if (!bias.IsEmpty) acc += Vector512.LoadUnsafe(ref pb, (nuint)j);
        var m = Load16(multipliers, j);
        var rightShift = Vector512.Create(31) - Load16(shifts, j);
        if (Vector512.LessThanOrEqualAny(rightShift, Vector512<int>.Zero))
        {
            FixedPointScalar(products.Slice(0, j + 16), bias.IsEmpty ? bias : bias.Slice(0, j + 16), multipliers, shifts, zeroPoint, min, max, output.Slice(0, j + 16), j);
            return;
        }
        var vanishing = Vector512.GreaterThan(rightShift, Vector512.Create(62));
        m = Vector512.AndNot(m, vanishing);
        rightShift = Vector512.ConditionalSelect(vanishing, Vector512<int>.One, rightShift);
        var one = Vector512.Create(1UL);
        var bias62 = Vector512.Create(1UL << 62);
        var low = Vector512.Create((long)(min - zeroPoint));
        var high = Vector512.Create((long)(max - zeroPoint));
        var lowMask = Vector512.Create(0xFFFFFFFFL);
        var shiftEven = (rightShift.AsInt64() & lowMask).AsUInt64();
        var shiftOdd = Vector512.ShiftRightLogical(rightShift.AsInt64(), 32).AsUInt64();
        var even = Round512(Avx512F.Multiply(acc, m), shiftEven, one, bias62);
        var odd = Round512(Avx512F.Multiply(Vector512.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Vector512.ShiftRightLogical(m.AsInt64(), 32).AsInt32()), shiftOdd, one, bias62);
        even = Vector512.Min(Vector512.Max(even, low), high);
        odd = Vector512.Min(Vector512.Max(odd, low), high);
        var values = ((even & lowMask) | Vector512.ShiftLeft(odd, 32)).AsInt32() + Vector512.Create(zeroPoint);
        // Every value is inside the 8-bit type's range: truncating to bytes (vpmovdb) keeps it.
        var bytes = Avx512F.ConvertToVector128Byte(values.AsUInt32());
        bytes.StoreUnsafe(ref Unsafe.Add(ref po, j));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> Round512(Vector512<long> product, Vector512<ulong> rightShift, Vector512<ulong> one, Vector512<ulong> bias62)
    {
        var rounding = Avx512F.ShiftLeftLogicalVariable(one, rightShift - one);
        var shifted = Avx512F.ShiftRightLogicalVariable(product.AsUInt64() + rounding + bias62, rightShift);
        return (shifted - Avx512F.ShiftRightLogicalVariable(bias62, rightShift)).AsInt64();
    }

    /// <summary>floor((p + 2^(r − 1)) / 2^r) for |p| &lt; 2^62 and 1 ≤ r ≤ 62, through unsigned arithmetic (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> Round(Vector256<long> product, Vector256<ulong> rightShift, Vector256<ulong> one, Vector256<ulong> bias62)
    {
        var rounding = Avx2.ShiftLeftLogicalVariable(one, rightShift - one);
        var shifted = Avx2.ShiftRightLogicalVariable(product.AsUInt64() + rounding + bias62, rightShift);
        return (shifted - Avx2.ShiftRightLogicalVariable(bias62, rightShift)).AsInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int FloatAvx2<T>(ReadOnlySpan<int> products, ReadOnlySpan<int> bias, ReadOnlySpan<float> scales,
        int zeroPoint, int min, int max, Span<T> output) where T : unmanaged
    {
        ref int pp = ref MemoryMarshal.GetReference(products);
        ref int pb = ref MemoryMarshal.GetReference(bias);
        ref float ps = ref MemoryMarshal.GetReference(scales);
        ref byte po = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(output));
        var low = Vector256.Create((float)(min - zeroPoint));
        var high = Vector256.Create((float)(max - zeroPoint));
        var zp = Vector256.Create(zeroPoint);
        int j = 0;
        for (; j <= output.Length - 8; j += 8)
        {
            var acc = Vector256.LoadUnsafe(ref pp, (nuint)j);
            if (!bias.IsEmpty) acc += Vector256.LoadUnsafe(ref pb, (nuint)j);
            var scale = scales.Length == 1 ? Vector256.Create(ps) : Vector256.LoadUnsafe(ref ps, (nuint)j);
            // (float)acc rounds to nearest even like the scalar cast; one float32 multiply; clamp; round half to even.
            var value = Vector256.ConvertToSingle(acc) * scale;
            value = Vector256.Min(Vector256.Max(value, low), high);
            var rounded = Vector256.ConvertToInt32(Avx.RoundToNearestInteger(value)) + zp;
            StoreNarrow<T>(rounded, ref Unsafe.Add(ref po, j));
        }
        return j;
    }

    /// <summary>Stores eight int32 values already inside the 8-bit type's range as eight bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNarrow<T>(Vector256<int> values, ref byte destination) where T : unmanaged
    {
        var shorts = Vector128.Narrow(values.GetLower(), values.GetUpper());
        Vector128<byte> bytes = typeof(T) == typeof(sbyte)
            ? Vector128.Narrow(shorts, shorts).AsByte()
            : Vector128.Narrow(shorts.AsUInt16(), shorts.AsUInt16());
        Unsafe.WriteUnaligned(ref destination, bytes.AsUInt64().ToScalar());
    }
}
