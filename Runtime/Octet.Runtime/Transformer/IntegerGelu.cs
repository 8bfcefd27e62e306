using System.Runtime.CompilerServices;
using Octet.Runtime.Int8;

namespace Octet.Runtime.Transformer;

/// <summary>The GELU approximation an <see cref="IntegerGelu"/> uses (the IGelu node's <c>method</c>).</summary>
public enum GeluMethod
{
    /// <summary>I-BERT's i-GELU with the polynomial erf ("ibert").</summary>
    Ibert,
    /// <summary>I-ViT's ShiftGELU, x · σ(1.702 x) from the shift exponent ("shiftgelu").</summary>
    ShiftGelu,
}

/// <summary>
/// The constants of one IGelu node, all computed at compile time: the input's zero point and fixed-point step
/// onto the approximation's grid, and the fixed-point requantization of d · f to the output.
/// </summary>
/// <param name="Method">The approximation.</param>
/// <param name="XZeroPoint">x_zero_point.</param>
/// <param name="XMultiplier">x_multiplier (M0).</param>
/// <param name="XShift">x_shift.</param>
/// <param name="Multiplier">The requantization M0 (s_x · 2^−17 / s_y).</param>
/// <param name="Shift">The requantization shift.</param>
/// <param name="YZeroPoint">y_zero_point.</param>
/// <param name="ClampMin">clamp_min.</param>
/// <param name="ClampMax">clamp_max.</param>
public readonly record struct GeluParameters(GeluMethod Method, int XZeroPoint, int XMultiplier, int XShift,
    int Multiplier, int Shift, int YZeroPoint, int ClampMin, int ClampMax);

/// <summary>
/// IGelu: integer-only GELU of an 8-bit tensor, element-wise. The specification is the compiler's
/// <c>Operators/Integer/Transformer/IGelu</c>; <see cref="Value"/> is its kernel for one element. Since the
/// output depends on one 8-bit input only, <see cref="Apply{TX, TY}"/> evaluates it once for each of the 256
/// possible inputs and looks every element up in that table (<see cref="TableLookup"/>: SIMD where the CPU has
/// byte permutes) — the same integers as evaluating each element. x and y may be the same bytes (in place).
/// </summary>
public static class IntegerGelu
{
    private const int FactorBits = 17;

    /// <summary>GELU of every element of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">The input, int8 or uint8.</param>
    /// <param name="y">The output, int8 or uint8, as long as the input.</param>
    /// <param name="parameters">The node's constants.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, in GeluParameters parameters) where TX : unmanaged where TY : unmanaged
    {
        if (x.Length != y.Length) throw new ArgumentException($"IntegerGelu: {x.Length} inputs but {y.Length} outputs");
        if (x.Length < 256)
        {
            ApplyScalar(x, y, parameters);
            return;
        }
        Span<TY> table = stackalloc TY[256];
        for (int index = 0; index < 256; index++) table[index] = EightBit.FromInt<TY>(Value(EightBit.ValueAt<TX>(index), parameters));
        TableLookup.Apply<TX, TY>(x, table, y);
    }

    /// <summary>The specification, element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ApplyScalar<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, in GeluParameters parameters) where TX : unmanaged where TY : unmanaged
    {
        for (int i = 0; i < x.Length; i++) y[i] = EightBit.FromInt<TY>(Value(EightBit.ToInt(x[i]), parameters));
    }

    /// <summary>The output for one input value: requantize(d · f), d = x − x_zero_point, f = Φ(x) on the 2^−17 grid.</summary>
    /// <param name="x">The input value.</param>
    /// <param name="parameters">The node's constants.</param>
    public static int Value(int x, in GeluParameters parameters)
    {
        int d = x - parameters.XZeroPoint;
        int accumulator = d * Factor(d, parameters);
        return Requantization.FixedPoint(accumulator, parameters.Multiplier, parameters.Shift, parameters.YZeroPoint, parameters.ClampMin, parameters.ClampMax);
    }

    private static int Factor(int d, in GeluParameters parameters)
    {
        const long one = 1L << FactorBits;
        if (parameters.Method == GeluMethod.ShiftGelu)
        {
            int t = FixedPoint.MultiplyByFixedPoint(d, parameters.XMultiplier, parameters.XShift);
            long e = TransformerMath.ShiftExp(-Math.Abs((long)t));
            long denominator = (1L << TransformerMath.ExponentOutputBits) + e;
            long low = ((e << FactorBits) + denominator / 2) / denominator; // σ(−|t|), rounded
            return (int)(t >= 0 ? one - low : low);
        }
        long u = FixedPoint.MultiplyByFixedPoint(Math.Abs(d), parameters.XMultiplier, parameters.XShift);
        long erf = TransformerMath.ErfOfMagnitude(u);
        return (int)((1L << TransformerMath.ErfBits) + Math.Sign(d) * erf);
    }
}
