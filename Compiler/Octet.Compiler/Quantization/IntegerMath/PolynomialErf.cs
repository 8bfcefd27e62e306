namespace Octet.Compiler.Quantization.IntegerMath;

/// <summary>
/// I-BERT's integer erf (for i-GELU): erf(t) ≈ sign(t) · (1 − 0.2888 · (min(|t|, 1.769) − 1.769)²), a
/// second-order polynomial that reaches 1 at |t| = 1.769 and stays there. On a 2^−16 grid for |t| and for the
/// result; the constants are integers (below).
/// </summary>
public static class PolynomialErf
{
    /// <summary>Fraction bits of the input |t| and of the result.</summary>
    public const int Bits = 16;
    /// <summary>round(1.769 · 2^16): where the polynomial reaches 1.</summary>
    public const long Clip = 115_933;
    /// <summary>round(0.2888 · 2^16): the quadratic coefficient, applied as (d² · A) >> 32 to land on the 2^−16 grid.</summary>
    public const long A = 18_927;

    /// <summary>erf(u · 2^−16) · 2^16 for u ≥ 0 (the caller applies the sign): in [0.0963 · 2^16, 2^16].</summary>
    public static long ErfOfMagnitude(long u)
    {
        if (u < 0) throw new ArgumentOutOfRangeException(nameof(u), u, "the erf approximation takes a magnitude (≥ 0)");
        long distance = Clip - Math.Min(u, Clip); // [0, Clip]
        long square = distance * distance;        // < 2^34
        // 0.2888 · (distance · 2^−16)² on the 2^−16 grid = square · A · 2^−32, rounded half up.
        long term = (square * A + (1L << 31)) >> 32;
        return (1L << Bits) - term;
    }
}
