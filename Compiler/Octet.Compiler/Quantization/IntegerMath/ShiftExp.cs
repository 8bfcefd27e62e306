namespace Octet.Compiler.Quantization.IntegerMath;

/// <summary>
/// I-ViT's shift-based exponent (Shiftmax, ShiftGELU): exp(x) = 2^(x·log2 e) for x ≤ 0, with
/// <list type="number">
/// <item>x·log2 e ≈ x + x/2 − x/16 (log2 e ≈ 1.4375 instead of 1.4427: shifts and adds only; floors are
/// arithmetic shifts);</item>
/// <item>the base-2 exponent w ≤ 0 split against the integer that represents −1 (here −2^20): q = ⌊−w / 2^20⌋,
/// r = w + q · 2^20 in (−2^20, 0];</item>
/// <item>2^r ≈ 1 + r/2 on (−1, 0] (exact at both ends, at most 6.1 % high in between);</item>
/// <item>2^(−q) as a right shift.</item>
/// </list>
/// </summary>
public static class ShiftExp
{
    /// <summary>
    /// exp(v · 2^−20) on the 2^−30 grid, for v ≤ 0 (see <see cref="ExponentGrid"/>); exactly 2^30 for v = 0,
    /// 0 once the result is below the grid.
    /// </summary>
    public static long Exp(long v)
    {
        if (v > 0) throw new ArgumentOutOfRangeException(nameof(v), v, "the exponent's input must be ≤ 0");
        const int bits = ExponentGrid.InputBits;
        long w = v + (v >> 1) - (v >> 4);
        long q = -w >> bits;
        long r = w + (q << bits);
        long mantissa = (1L << bits) + (r >> 1);                   // (2^19, 2^20]
        long scaled = mantissa << (ExponentGrid.OutputBits - bits); // (2^29, 2^30]
        return q >= 31 ? 0 : scaled >> (int)q;
    }
}
