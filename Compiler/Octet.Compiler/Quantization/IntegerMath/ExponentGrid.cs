namespace Octet.Compiler.Quantization.IntegerMath;

/// <summary>
/// The fixed-point grids the integer exponent approximations work on. Inputs are non-positive real numbers
/// x on a grid of 2^−<see cref="InputBits"/> (the operator's input step is brought onto it by a fixed-point
/// multiplier chosen at compile time, so the 8-bit input step does not limit the approximation's resolution);
/// results are exp(x) on a grid of 2^−<see cref="OutputBits"/>, so every result is at most 2^30 and a sum of
/// them fits int64 for any realistic row length.
/// </summary>
public static class ExponentGrid
{
    /// <summary>Fraction bits of the exponent's input: x = v · 2^−20.</summary>
    public const int InputBits = 20;

    /// <summary>Fraction bits of the exponent's result: exp(x) ≈ e · 2^−30 (shift-exp; the polynomial uses a common factor).</summary>
    public const int OutputBits = 30;

    /// <summary>1.0 on the result grid.</summary>
    public const long One = 1L << OutputBits;
}
