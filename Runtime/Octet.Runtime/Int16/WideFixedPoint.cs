using System.Runtime.CompilerServices;

namespace Octet.Runtime.Int16;

/// <summary>
/// Fixed-point requantization of an <b>int64</b> accumulator, the one a QGemm / QMatMul with an int16 activation A
/// keeps (Σ of K products of up to 2^15 · 2^8 does not fit int32 for large K, so the compiler's reference accumulates
/// exactly in int64). The rescaling is the int32 rule (<c>Octet.Runtime.Int8.FixedPoint.MultiplyByFixedPoint</c>)
/// applied to the exact 128-bit product: <c>round(acc · M0 / 2^(31 − shift))</c>, ties toward +∞, i.e.
/// <c>(acc · M0 + 2^(30 − shift)) &gt;&gt; (31 − shift)</c> on the exact product, then the output zero point and clamp.
/// Left shifts (shift &gt; 31 is refused by the compiler; shift = 31 is a right shift of 0) saturate.
/// <para>For an accumulator that fits int32 this is bit for bit the int32 rule, which is what
/// <see cref="Requantize(long, int, int, int, int, int)"/> calls then (the common case: the 64-bit product of an
/// int32 and M0 cannot overflow).</para>
/// </summary>
public static class WideFixedPoint
{
    /// <summary>
    /// <c>acc · M0 · 2^(shift − 31)</c> rounded once (ties toward +∞) on the exact 128-bit product, saturated to int64.
    /// </summary>
    /// <param name="accumulator">The int64 accumulator.</param>
    /// <param name="multiplier">M0, non-negative (below 2^31).</param>
    /// <param name="shift">The exponent: M = M0 · 2^(shift − 31).</param>
    public static long MultiplyByFixedPoint(long accumulator, int multiplier, int shift)
    {
        Int128 product = (Int128)accumulator * multiplier;
        int rightShift = 31 - shift;
        if (rightShift <= 0)
        {
            // A left shift (or none): the exact value, saturated. |product| < 2^94, so shifts of 34 or more saturate anything non-zero.
            if (product == Int128.Zero) return 0;
            int left = -rightShift;
            if (left >= 34) return product > Int128.Zero ? long.MaxValue : long.MinValue;
            Int128 shifted = product << left;
            return shifted > long.MaxValue ? long.MaxValue : shifted < long.MinValue ? long.MinValue : (long)shifted;
        }
        // |product| < 2^94: shifting right by 95 or more leaves |value| < 1/2, which rounds to 0.
        if (rightShift >= 95) return 0;
        Int128 rounded = (product + (Int128.One << (rightShift - 1))) >> rightShift;
        return rounded > long.MaxValue ? long.MaxValue : rounded < long.MinValue ? long.MinValue : (long)rounded;
    }

    /// <summary>
    /// The whole requantization of an int64 accumulator: <c>clamp(MultiplyByFixedPoint(acc, M0, shift) + zeroPoint, min, max)</c>.
    /// </summary>
    /// <param name="accumulator">The int64 accumulator.</param>
    /// <param name="multiplier">M0.</param>
    /// <param name="shift">The exponent: M = M0 · 2^(shift − 31).</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound.</param>
    /// <param name="max">The upper clamp bound.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Requantize(long accumulator, int multiplier, int shift, int zeroPoint, int min, int max)
    {
        // An int32 accumulator gives the same value through the int32 rule (its 64-bit product is exact); the int32
        // rule saturates to int32, which cannot change a result clamped to a 16-bit range plus a 16-bit zero point.
        if (accumulator == (int)accumulator)
            return Int8.Requantization.FixedPoint((int)accumulator, multiplier, shift, zeroPoint, min, max);
        return Clamp(MultiplyByFixedPoint(accumulator, multiplier, shift), zeroPoint, min, max);
    }

    /// <summary>The specification of <see cref="Requantize"/>: always through the 128-bit product.</summary>
    internal static int RequantizeScalar(long accumulator, int multiplier, int shift, int zeroPoint, int min, int max) =>
        Clamp(MultiplyByFixedPoint(accumulator, multiplier, shift), zeroPoint, min, max);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Clamp(long value, int zeroPoint, int min, int max)
    {
        // value is saturated to int64: adding a zero point of 16 bits cannot wrap unless value is within 2^15 of the
        // bounds, where the clamp gives the same answer either way; compute in Int128-free form by clamping first.
        if (value > (long)max - zeroPoint) return max;
        if (value < (long)min - zeroPoint) return min;
        return (int)(value + zeroPoint);
    }
}
