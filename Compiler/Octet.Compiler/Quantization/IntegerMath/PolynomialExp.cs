namespace Octet.Compiler.Quantization.IntegerMath;

/// <summary>
/// I-BERT's integer exponent (i-exp): for x ≤ 0, x = −z·ln 2 + p with z = ⌊−x / ln 2⌋ and p in (−ln 2, 0];
/// exp(p) ≈ 0.3585 (p + 1.353)² + 0.344 (a second-order polynomial, within 0.31 % of exp on that interval), and
/// exp(x) = exp(p) · 2^(−z) as a right shift. On the 2^−20 input grid: ln 2, 1.353 and 0.344/0.3585 are
/// integer constants (below), the polynomial is (p + B)² + C in units of 0.3585 · 2^−40.
/// </summary>
public static class PolynomialExp
{
    /// <summary>round(ln 2 · 2^20).</summary>
    public const long Ln2 = 726_817;
    /// <summary>⌊1.353 · 2^20⌋ (I-BERT floors its constants).</summary>
    public const long B = 1_418_723;
    /// <summary>⌊0.344 / 0.3585 · 2^40⌋.</summary>
    public const long C = 1_055_040_446_178;
    /// <summary>
    /// The polynomial's value is shifted right by this before use, so results stay below 2^30 like
    /// <see cref="ShiftExp"/>'s (value ≤ (1.353² + 0.9596) · 2^28 ≈ 2.79 · 2^28).
    /// </summary>
    public const int ResultShift = 12;

    /// <summary>
    /// exp(v · 2^−20) for v ≤ 0 on a grid of 0.3585 · 2^−28 (a constant factor: callers normalize it away,
    /// as softmax does); 0 once below the grid.
    /// </summary>
    public static long Exp(long v)
    {
        if (v > 0) throw new ArgumentOutOfRangeException(nameof(v), v, "the exponent's input must be ≤ 0");
        long z = -v / Ln2;           // −v ≥ 0: truncation is the floor
        long p = v + z * Ln2;        // (−Ln2, 0]
        long t = p + B;              // (0.66 · 2^20, 1.353 · 2^20]
        long polynomial = t * t + C; // < 2^42
        long shift = z + ResultShift;
        return shift >= 63 ? 0 : polynomial >> (int)shift;
    }
}
