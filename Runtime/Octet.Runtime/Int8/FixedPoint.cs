using System.Runtime.CompilerServices;

namespace Octet.Runtime.Int8;

/// <summary>
/// Integer-only rescaling of an int32 accumulator by a real multiplier M = M0 · 2^(shift − 31), the dyadic form
/// integer requantization uses (M0 in [2^30, 2^31) or 0). The specification is the compiler's
/// <c>QuantizationMath.MultiplyByFixedPoint</c>; this is the same function, bit for bit.
/// </summary>
public static class FixedPoint
{
    /// <summary>
    /// <c>acc · M0 · 2^(shift − 31)</c> rounded once, ties toward +∞: <c>(acc · M0 + 2^(30 − shift)) &gt;&gt; (31 − shift)</c>
    /// on the exact 64-bit product. Shifts above 31 (left shifts) saturate to int32; very negative shifts give 0.
    /// </summary>
    /// <param name="accumulator">The int32 value to rescale.</param>
    /// <param name="multiplier">M0, non-negative.</param>
    /// <param name="shift">The exponent: M = M0 · 2^(shift − 31).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyByFixedPoint(int accumulator, int multiplier, int shift)
    {
        int rightShift = 31 - shift;
        long product = (long)accumulator * multiplier;
        // The common case first: a right shift in [1, 62]. |product| < 2^62, so adding the rounding constant
        // cannot overflow; the result can still exceed int32 for shifts near 31, hence the clamp.
        if ((uint)(rightShift - 1) < 62u)
        {
            long rounded = (product + (1L << (rightShift - 1))) >> rightShift;
            return rounded > int.MaxValue ? int.MaxValue : rounded < int.MinValue ? int.MinValue : (int)rounded;
        }
        return MultiplyRare(product, rightShift);
    }

    /// <summary>Right shifts of 63 or more (the result rounds to 0) and left shifts (which saturate).</summary>
    private static int MultiplyRare(long product, int rightShift)
    {
        // Shifting |product| < 2^62 right by 63 or more leaves less than 1/2: the rounded value is 0.
        if (rightShift >= 63) return 0;
        if (product == 0) return 0;
        int leftShift = -rightShift;
        if (leftShift >= 32) return product > 0 ? int.MaxValue : int.MinValue;
        // |product| < 2^62 and leftShift < 32: the exact value fits Int128.
        Int128 shifted = (Int128)product << leftShift;
        return shifted > int.MaxValue ? int.MaxValue : shifted < int.MinValue ? int.MinValue : (int)shifted;
    }
}
