using System.Numerics;

namespace Octet.Runtime.Transformer;

/// <summary>
/// The integer approximations the transformer kernels share, each the same function bit for bit as its
/// specification in the compiler (<c>Quantization/IntegerMath/</c>: ShiftExp, PolynomialExp, PolynomialErf,
/// IntegerSqrt, RoundingShift); the doc comments there derive the constants.
/// </summary>
internal static class TransformerMath
{
    /// <summary>Fraction bits of the exponent's input (x = v · 2^−20).</summary>
    public const int ExponentInputBits = 20;
    /// <summary>Fraction bits of the shift exponent's result (2^30 is 1.0).</summary>
    public const int ExponentOutputBits = 30;

    /// <summary>I-ViT's shift exponent: exp(v · 2^−20) on the 2^−30 grid for v ≤ 0.</summary>
    public static long ShiftExp(long v)
    {
        const int bits = ExponentInputBits;
        long w = v + (v >> 1) - (v >> 4);    // v · log2 e with shifts (1.4375)
        long q = -w >> bits;                 // the integer part of −w
        long r = w + (q << bits);            // (−2^20, 0]
        long mantissa = (1L << bits) + (r >> 1); // 2^r ≈ 1 + r/2
        long scaled = mantissa << (ExponentOutputBits - bits);
        return q >= 31 ? 0 : scaled >> (int)q;
    }

    private const long Ln2 = 726_817;
    private const long PolynomialB = 1_418_723;
    private const long PolynomialC = 1_055_040_446_178;
    private const int PolynomialResultShift = 12;

    /// <summary>I-BERT's i-exp: exp(v · 2^−20) for v ≤ 0 on a grid of 0.3585 · 2^−28.</summary>
    public static long PolynomialExp(long v)
    {
        long z = -v / Ln2;
        long p = v + z * Ln2;
        long t = p + PolynomialB;
        long polynomial = t * t + PolynomialC;
        long shift = z + PolynomialResultShift;
        return shift >= 63 ? 0 : polynomial >> (int)shift;
    }

    /// <summary>Fraction bits of the erf polynomial's input and result.</summary>
    public const int ErfBits = 16;
    private const long ErfClip = 115_933;
    private const long ErfA = 18_927;

    /// <summary>I-BERT's erf(u · 2^−16) · 2^16 for u ≥ 0.</summary>
    public static long ErfOfMagnitude(long u)
    {
        long distance = ErfClip - Math.Min(u, ErfClip);
        long square = distance * distance;
        long term = (square * ErfA + (1L << 31)) >> 32;
        return (1L << ErfBits) - term;
    }

    /// <summary>⌊√n⌋, exact (Newton from above 2^⌈bits/2⌉ until the iterate stops decreasing).</summary>
    public static ulong FloorSqrt(ulong n)
    {
        if (n < 2) return n;
        int bits = 64 - BitOperations.LeadingZeroCount(n);
        ulong x = 1UL << ((bits + 1) / 2);
        while (true)
        {
            ulong next = (x + n / x) >> 1;
            if (next >= x) return x;
            x = next;
        }
    }

    /// <summary>⌊value / 2^shift + 1/2⌋ for shift in [1, 62].</summary>
    public static long RightHalfUp(long value, int shift) => (value + (1L << (shift - 1))) >> shift;

    /// <summary>value · M0 · 2^(shift − 31) rounded half up in 64 bits, signed M0, no saturation.</summary>
    public static long MultiplyByFixedPoint64(long value, long multiplier, int shift)
    {
        long product = value * multiplier;
        int right = 31 - shift;
        if (right <= 0) return product;
        if (right > 126) return 0;
        if (right > 62) return (long)(((Int128)product + ((Int128)1 << (right - 1))) >> right);
        return RightHalfUp(product, right);
    }

    /// <summary>⌊n / d + 1/2⌋ for d &gt; 0 (a floor, also for negative n).</summary>
    public static long DivideHalfUp(long n, long d)
    {
        long twice = 2 * n + d, divisor = 2 * d;
        long q = twice / divisor;
        return twice % divisor < 0 ? q - 1 : q;
    }
}
