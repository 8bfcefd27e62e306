using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;

namespace Octet.Runtime.Int16;

/// <summary>
/// The fixed-point QAdd of two same-shaped tensors when an operand or the output is int16 (the residual stream):
/// <c>y[i] = Requantization.FixedPoint(a'[i] + b'[i], M0, shift, zp, min, max)</c> with
/// <c>a' = MultiplyByFixedPoint((a − a_zp) &lt;&lt; left_shift, a_M0, a_shift)</c> and likewise b' — the compiler's QAdd,
/// whose attributes are checked to keep every step inside int32 (for an int16 operand <c>left_shift</c> ≤ 15). The 8-bit
/// kernel tabulates the rescaling for the 256 values of each operand; 65,536 int16 values make that a poor trade, so
/// here the rescaling is computed: the scalar loop is the specification (<see cref="FixedPointScalar{TA, TB, TY}"/>), the
/// AVX2 path rescales eight values at a time with the exact 64-bit products and the rounding of
/// <see cref="WideRequantizeRow"/> (same integers), and each block of sums is requantized by the row kernels
/// (<see cref="WideRequantizeRow"/> for int16, <c>RequantizeRow</c> for 8-bit outputs). A block is read completely
/// before its outputs are written, so y may share a's or b's bytes (in place).
/// </summary>
public static class WideRescaledAdd
{
    private const int Block = 256;

    /// <summary>
    /// The kernel for any mix of element types (each of <typeparamref name="TA"/>, <typeparamref name="TB"/>,
    /// <typeparamref name="TY"/> is <see cref="sbyte"/>, <see cref="byte"/> or <see cref="short"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FixedPoint<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aZeroPoint, int bZeroPoint, int leftShift,
        int aMultiplier, int aShift, int bMultiplier, int bShift, int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check<TA, TB, TY>(a.Length, b.Length, y.Length, leftShift);
        ReadOnlySpan<int> multipliers = [multiplier];
        ReadOnlySpan<int> shifts = [shift];
        Span<int> aValues = stackalloc int[Block];
        Span<int> bValues = stackalloc int[Block];
        for (int start = 0; start < y.Length; start += Block)
        {
            int count = Math.Min(Block, y.Length - start);
            var av = aValues.Slice(0, count);
            var bv = bValues.Slice(0, count);
            for (int j = 0; j < count; j++)
            {
                av[j] = unchecked((ToInt(a[start + j]) - aZeroPoint) << leftShift);
                bv[j] = unchecked((ToInt(b[start + j]) - bZeroPoint) << leftShift);
            }
            Rescale(av, aMultiplier, aShift);
            Rescale(bv, bMultiplier, bShift);
            for (int j = 0; j < count; j++) av[j] = unchecked(av[j] + bv[j]);
            Requantize(av, multipliers, shifts, zeroPoint, min, max, y.Slice(start, count));
        }
    }

    /// <summary>The specification: the reference operator's loop, element by element.</summary>
    internal static void FixedPointScalar<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aZeroPoint, int bZeroPoint, int leftShift,
        int aMultiplier, int aShift, int bMultiplier, int bShift, int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check<TA, TB, TY>(a.Length, b.Length, y.Length, leftShift);
        for (int i = 0; i < y.Length; i++)
        {
            int aRescaled = Int8.FixedPoint.MultiplyByFixedPoint(unchecked((ToInt(a[i]) - aZeroPoint) << leftShift), aMultiplier, aShift);
            int bRescaled = Int8.FixedPoint.MultiplyByFixedPoint(unchecked((ToInt(b[i]) - bZeroPoint) << leftShift), bMultiplier, bShift);
            y[i] = FromInt<TY>(Requantization.FixedPoint(unchecked(aRescaled + bRescaled), multiplier, shift, zeroPoint, min, max));
        }
    }

    /// <summary>values[j] = MultiplyByFixedPoint(values[j], M0, shift), in place: eight at a time on AVX2 for right shifts of 1 to 62 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rescale(Span<int> values, int multiplier, int shift)
    {
        int j = 0;
        int r = 31 - shift;
        if (Avx2.IsSupported && r >= 1 && r <= 62)
        {
            var m = Vector256.Create((long)multiplier);
            var rv = Vector256.Create((ulong)r);
            var bias62 = Vector256.Create(1L << 62);
            var low = Vector256.Create((long)int.MinValue);
            var high = Vector256.Create((long)int.MaxValue);
            for (; j + 8 <= values.Length; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create((ReadOnlySpan<int>)values.Slice(j, 8)));
                // |value · M0| < 2^62: the product is exact; the rounded result saturates to int32 as the scalar rule does.
                lo = Vector256.Min(Vector256.Max(WideRequantizeRow.Round(lo * m, rv, bias62), low), high);
                hi = Vector256.Min(Vector256.Max(WideRequantizeRow.Round(hi * m, rv, bias62), low), high);
                Vector256.Narrow(lo, hi).CopyTo(values.Slice(j, 8));
            }
        }
        for (; j < values.Length; j++) values[j] = Int8.FixedPoint.MultiplyByFixedPoint(values[j], multiplier, shift);
    }

    private static void Requantize<TY>(ReadOnlySpan<int> sums, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<TY> y) where TY : unmanaged
    {
        if (typeof(TY) == typeof(short))
            WideRequantizeRow.FixedPoint(sums, default, multipliers, shifts, zeroPoint, min, max, System.Runtime.InteropServices.MemoryMarshal.Cast<TY, short>(y));
        else if (typeof(TY) == typeof(sbyte))
            RequantizeRow.FixedPoint(sums, default, multipliers, shifts, zeroPoint, min, max, System.Runtime.InteropServices.MemoryMarshal.Cast<TY, sbyte>(y));
        else
            RequantizeRow.FixedPoint(sums, default, multipliers, shifts, zeroPoint, min, max, System.Runtime.InteropServices.MemoryMarshal.Cast<TY, byte>(y));
    }

    private static void Check<TA, TB, TY>(int a, int b, int y, int leftShift)
    {
        if (!IsElement<TA>() || !IsElement<TB>() || !IsElement<TY>())
            throw new NotSupportedException($"WideRescaledAdd: {typeof(TA).Name} + {typeof(TB).Name} -> {typeof(TY).Name}; only sbyte, byte and short");
        if (a != y || b != y) throw new ArgumentException($"WideRescaledAdd: operands of {a} and {b} values for an output of {y}");
        if ((uint)leftShift > 30) throw new ArgumentOutOfRangeException(nameof(leftShift), leftShift, "left_shift is in [0, 30]");
    }

    private static bool IsElement<T>() => typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte) || typeof(T) == typeof(short);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value)
        : typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
        : Unsafe.As<T, short>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromInt<T>(int value) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) { sbyte v = (sbyte)value; return Unsafe.As<sbyte, T>(ref v); }
        if (typeof(T) == typeof(byte)) { byte v = (byte)value; return Unsafe.As<byte, T>(ref v); }
        short s = (short)value;
        return Unsafe.As<short, T>(ref s);
    }
}
