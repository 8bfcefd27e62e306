namespace Octet.Compiler.Quantization.IntegerMath;

/// <summary>Division by a power of two with rounding: the one rounding step the integer transformer operators share.</summary>
public static class RoundingShift
{
    /// <summary>⌊value / 2^shift + 1/2⌋: round to nearest, ties toward +∞ (as fixed-point requantization rounds). shift in [1, 62].</summary>
    public static long RightHalfUp(long value, int shift) => (value + (1L << (shift - 1))) >> shift;

    /// <summary>
    /// value · M0 · 2^(shift − 31) rounded to nearest (ties toward +∞) in 64 bits, for a signed M0 with |M0| &lt; 2^31
    /// and |value| &lt; 2^32 (the product then fits 63 bits). Unlike the requantizer's int32 version this does
    /// not saturate: callers add a bias before the last rounding.
    /// </summary>
    public static long MultiplyByFixedPoint(long value, long multiplier, int shift)
    {
        long product = value * multiplier;
        int right = 31 - shift;
        if (right <= 0) return product; // shift ≤ 31, so right = 0
        // Beyond 62 the rounding constant leaves 64 bits; |product| < 2^63, so the quotient is −1, 0 or 1.
        if (right > 126) return 0;
        if (right > 62) return (long)(((Int128)product + ((Int128)1 << (right - 1))) >> right);
        return RightHalfUp(product, right);
    }
}
