using System.Numerics;
using System.Runtime.CompilerServices;

namespace Octet.Runtime.Transformer;

/// <summary>
/// ILayerNorm: integer-only LayerNormalization of 8-bit rows (the last axis, C channels) with γ and β folded
/// into per-channel constants. The specification is the compiler's <c>Operators/Integer/Transformer/ILayerNorm</c>;
/// <see cref="RowsScalar{TX, TY}"/> is that kernel line for line. <see cref="Rows{TX, TY}"/> gives the same
/// integers with less work: T = Σ (C·d − s)² is computed as C²·Σd² − C·s² (an exact integer identity, since
/// Σd = s) in one pass, and when a row has fewer distinct values than channels the standardized value — which
/// depends on the input value only — is divided out once per value instead of once per channel. Each row is
/// read completely before it is written, so x and y may be the same bytes (in place).
/// </summary>
public static class IntegerLayerNorm
{
    private const int FractionBits = 16;

    /// <summary>The largest normalized axis (keeps every intermediate inside int64).</summary>
    public const int MaxChannels = 1 << 15;

    /// <summary>LayerNorm of every row of <paramref name="multipliers"/>.Length channels.</summary>
    /// <param name="x">The input rows, int8 or uint8.</param>
    /// <param name="y">The output rows, int8 or uint8.</param>
    /// <param name="xZeroPoint">x_zero_point.</param>
    /// <param name="epsilonTerm">epsilon_term: round(C³ · ε / s_x²).</param>
    /// <param name="multipliers">Per channel the signed M0 of γ_c · √C / s_y.</param>
    /// <param name="shifts">Per channel the shift of that multiplier.</param>
    /// <param name="biases">Per channel round(β_c / s_y · 2^16).</param>
    /// <param name="yZeroPoint">y_zero_point.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, int xZeroPoint, long epsilonTerm,
        ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, ReadOnlySpan<long> biases, int yZeroPoint)
        where TX : unmanaged where TY : unmanaged
    {
        int channels = Check(x.Length, y.Length, multipliers.Length, shifts.Length, biases.Length);
        if (x.Length == 0) return;
        var (min, max) = EightBit.Range<TY>();
        Span<long> standardizedByValue = stackalloc long[256];
        for (int start = 0; start < x.Length; start += channels)
        {
            var row = x.Slice(start, channels);
            var output = y.Slice(start, channels);
            long sum = 0, squares = 0;
            int low = int.MaxValue, high = int.MinValue;
            for (int c = 0; c < channels; c++)
            {
                int value = EightBit.ToInt(row[c]);
                long d = value - xZeroPoint;
                sum += d;
                squares += d * d;
                low = Math.Min(low, value);
                high = Math.Max(high, value);
            }
            long total = (long)channels * channels * squares - channels * sum * sum + epsilonTerm;
            var (root, k) = Root(total);
            if (high - low + 1 < channels)
            {
                for (int value = low; value <= high; value++)
                    standardizedByValue[value - low] = Standardized((long)channels * (value - xZeroPoint) - sum, root, k);
                for (int c = 0; c < channels; c++)
                {
                    long standardized = standardizedByValue[EightBit.ToInt(row[c]) - low];
                    output[c] = EightBit.FromInt<TY>(Affine(standardized, multipliers[c], shifts[c], biases[c], yZeroPoint, min, max));
                }
            }
            else
            {
                for (int c = 0; c < channels; c++)
                {
                    long standardized = Standardized((long)channels * (EightBit.ToInt(row[c]) - xZeroPoint) - sum, root, k);
                    output[c] = EightBit.FromInt<TY>(Affine(standardized, multipliers[c], shifts[c], biases[c], yZeroPoint, min, max));
                }
            }
        }
    }

    /// <summary>The specification: the reference kernel's steps and order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowsScalar<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, int xZeroPoint, long epsilonTerm,
        ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, ReadOnlySpan<long> biases, int yZeroPoint)
        where TX : unmanaged where TY : unmanaged
    {
        int channels = Check(x.Length, y.Length, multipliers.Length, shifts.Length, biases.Length);
        var (min, max) = EightBit.Range<TY>();
        var centered = new long[channels];
        for (int start = 0; start < x.Length; start += channels)
        {
            long sum = 0;
            for (int c = 0; c < channels; c++) sum += EightBit.ToInt(x[start + c]) - xZeroPoint;
            long squares = epsilonTerm;
            for (int c = 0; c < channels; c++)
            {
                centered[c] = (long)channels * (EightBit.ToInt(x[start + c]) - xZeroPoint) - sum;
                squares += centered[c] * centered[c];
            }
            var (root, k) = Root(squares);
            for (int c = 0; c < channels; c++)
                y[start + c] = EightBit.FromInt<TY>(Affine(Standardized(centered[c], root, k), multipliers[c], shifts[c], biases[c], yZeroPoint, min, max));
        }
    }

    /// <summary>⌊√(T · 4^k)⌋ with T scaled into [2^60, 2^62) so that the root has at least 30 significant bits.</summary>
    private static (long Root, int K) Root(long total)
    {
        int k = total == 0 ? 0 : Math.Max(0, (62 - (64 - BitOperations.LeadingZeroCount((ulong)total))) / 2);
        return ((long)TransformerMath.FloorSqrt((ulong)total << (2 * k)), k);
    }

    /// <summary>n = round(c · 2^(16 + k) / R'), the standardized value · 2^16 / √C (0 for a constant row without ε).</summary>
    private static long Standardized(long centered, long root, int k) =>
        root == 0 ? 0 : TransformerMath.DivideHalfUp(centered << (FractionBits + k), root);

    private static int Affine(long standardized, int multiplier, int shift, long bias, int yZeroPoint, int min, int max)
    {
        long affine = TransformerMath.MultiplyByFixedPoint64(standardized, multiplier, shift) + bias;
        long output = TransformerMath.RightHalfUp(affine, FractionBits) + yZeroPoint;
        return (int)Math.Clamp(output, min, max);
    }

    private static int Check(int inputs, int outputs, int multipliers, int shifts, int biases)
    {
        if (multipliers <= 0 || multipliers > MaxChannels || shifts != multipliers || biases != multipliers)
            throw new ArgumentException($"IntegerLayerNorm: {multipliers} multipliers, {shifts} shifts and {biases} biases; expected one of each per channel (1 to {MaxChannels})");
        if (inputs != outputs || inputs % multipliers != 0)
            throw new ArgumentException($"IntegerLayerNorm: {inputs} inputs and {outputs} outputs must be the same whole number of rows of {multipliers}");
        return multipliers;
    }
}
