using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Transformer;

/// <summary>
/// ILayerNorm: integer-only LayerNormalization of 8-bit rows (the last axis, C channels) with γ and β folded
/// into per-channel constants. The specification is the compiler's <c>Operators/Integer/Transformer/ILayerNorm</c>;
/// <see cref="RowsScalar{TX, TY}"/> is that kernel line for line. <see cref="Rows{TX, TY}"/> gives the same
/// integers with less work: T = Σ (C·d − s)² is computed as C²·Σd² − C·s² (an exact integer identity, since
/// Σd = s) in one pass, and when a row has fewer distinct values than channels the standardized value — which
/// depends on the input value only — is divided out once per value instead of once per channel. Each row is
/// read completely before it is written, so x and y may be the same bytes (in place).
/// <para>int16 rows (the 16-bit residual stream): d = x − zp is below 2^16 in magnitude, so Σd² ≤ C · 2^32 and
/// C²·Σd² ≤ C³ · 2^32 stay inside int64 for C ≤ <see cref="MaxInt16Channels"/> (the compiler refuses wider ILayerNorm
/// nodes with an int16 input); the identity's terms are then exact, as for 8-bit rows. An int16 output carries more
/// precision, as the reference defines it: the variance sum and epsilon_term scaled by 4^p and the standardized value
/// with F = 24 fraction bits instead of 16 (<see cref="Precision{TX, TY}"/>).</para>
/// </summary>
public static partial class IntegerLayerNorm
{
    private const int FractionBits = 16;

    /// <summary>The largest normalized axis (keeps every intermediate inside int64).</summary>
    public const int MaxChannels = 1 << 15;

    /// <summary>The largest normalized axis with an int16 input (C³ · 2^32 below 2^63).</summary>
    public const int MaxInt16Channels = 1290;

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
        CheckInt16<TX>(channels);
        if (x.Length == 0) return;
        if (Avx2.IsSupported && AffineVectorizable<TX, TY>(shifts, biases))
        {
            RowsAvx2(x, y, xZeroPoint, epsilonTerm, multipliers, shifts, biases, yZeroPoint);
            return;
        }
        RowsPerValue(x, y, xZeroPoint, epsilonTerm, multipliers, shifts, biases, yZeroPoint);
    }

    /// <summary>
    /// The scalar fast path (no SIMD): the one-pass variance identity, and the division per distinct value when a row has
    /// fewer distinct values than channels, else one reciprocal per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowsPerValue<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, int xZeroPoint, long epsilonTerm,
        ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, ReadOnlySpan<long> biases, int yZeroPoint)
        where TX : unmanaged where TY : unmanaged
    {
        int channels = Check(x.Length, y.Length, multipliers.Length, shifts.Length, biases.Length);
        CheckInt16<TX>(channels);
        if (x.Length == 0) return;
        var (min, max) = EightBit.Range<TY>();
        var (fractionBits, varianceBits) = Precision<TX, TY>(channels);
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
            long total = (((long)channels * channels * squares - channels * sum * sum) << (2 * varianceBits)) + epsilonTerm;
            var (root, k) = Root(total);
            var divisor = new RowDivisor(root);
            // An int16 row may span more values than the table holds; 8-bit rows never do (high − low < 256).
            if (high - low + 1 < channels && high - low < 256)
            {
                for (int value = low; value <= high; value++)
                    standardizedByValue[value - low] = Standardized((long)channels * (value - xZeroPoint) - sum, root, k, fractionBits, varianceBits);
                for (int c = 0; c < channels; c++)
                {
                    long standardized = standardizedByValue[EightBit.ToInt(row[c]) - low];
                    output[c] = EightBit.FromInt<TY>(Affine(standardized, multipliers[c], shifts[c], fractionBits, biases[c], yZeroPoint, min, max));
                }
            }
            else
            {
                for (int c = 0; c < channels; c++)
                {
                    long standardized = divisor.Standardized((long)channels * (EightBit.ToInt(row[c]) - xZeroPoint) - sum, k, fractionBits, varianceBits);
                    output[c] = EightBit.FromInt<TY>(Affine(standardized, multipliers[c], shifts[c], fractionBits, biases[c], yZeroPoint, min, max));
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
        CheckInt16<TX>(channels);
        var (min, max) = EightBit.Range<TY>();
        var (fractionBits, varianceBits) = Precision<TX, TY>(channels);
        var centered = new long[channels];
        for (int start = 0; start < x.Length; start += channels)
        {
            long sum = 0;
            for (int c = 0; c < channels; c++) sum += EightBit.ToInt(x[start + c]) - xZeroPoint;
            long squares = 0;
            for (int c = 0; c < channels; c++)
            {
                centered[c] = (long)channels * (EightBit.ToInt(x[start + c]) - xZeroPoint) - sum;
                squares += centered[c] * centered[c];
            }
            squares = (squares << (2 * varianceBits)) + epsilonTerm;
            var (root, k) = Root(squares);
            for (int c = 0; c < channels; c++)
                y[start + c] = EightBit.FromInt<TY>(Affine(Standardized(centered[c], root, k, fractionBits, varianceBits), multipliers[c], shifts[c], fractionBits,
                    biases[c], yZeroPoint, min, max));
        }
    }

    /// <summary>⌊√(T · 4^k)⌋ with T scaled into [2^60, 2^62) so that the root has at least 30 significant bits.</summary>
    private static (long Root, int K) Root(long total)
    {
        int k = total == 0 ? 0 : Math.Max(0, (62 - (64 - BitOperations.LeadingZeroCount((ulong)total))) / 2);
        return ((long)TransformerMath.FloorSqrt((ulong)total << (2 * k)), k);
    }

    /// <summary>
    /// The reference's precision choices for these types and C: F, the fraction bits of the standardized value (16 for an
    /// 8-bit output, 24 for an int16 output), and p, the pairs of extra fraction bits of the variance sum and
    /// epsilon_term (0 for an 8-bit output; for int16 the largest p with C³ · 2^(2b) · 4^p ≤ 2^61, b the input's bits) —
    /// <c>ILayerNorm.StandardizedFractionBits</c> and <c>ILayerNorm.VarianceScaleBits</c>.
    /// </summary>
    internal static (int FractionBits, int VarianceBits) Precision<TX, TY>(int channels) where TX : unmanaged where TY : unmanaged
    {
        if (typeof(TY) != typeof(short)) return (FractionBits, 0);
        int inputBits = typeof(TX) == typeof(short) ? 16 : 8;
        int channelBits = 64 - BitOperations.LeadingZeroCount((ulong)channels - 1); // ⌈log2 C⌉
        return (WideFractionBits, Math.Max(0, (61 - 2 * inputBits - 3 * channelBits) / 2));
    }

    /// <summary>F for an int16 output: its step is 2^8 times finer than an 8-bit one, so n carries 8 more bits.</summary>
    private const int WideFractionBits = 24;

    /// <summary>n = round(c · 2^(F + k + p) / R'), the standardized value · 2^F / √C (0 for a constant row without ε).</summary>
    /// <summary>
    /// <see cref="Standardized"/> with the row's divisor fixed: ⌊(2n + R') / 2R'⌋ through a reciprocal computed once per row
    /// (one 64-bit division per row instead of one per channel, which matters for int16 rows: their values rarely repeat, so
    /// the per-value path does not apply). Exact: the estimate ⌊a · ⌊(2^64 − 1) / D⌋ / 2^64⌋ is at most two below ⌊a / D⌋
    /// for a &lt; 2^63, and the remainder corrects it.
    /// </summary>
    private readonly struct RowDivisor
    {
        private readonly ulong _divisor, _reciprocal;
        private readonly long _root;

        public RowDivisor(long root)
        {
            _root = root;
            _divisor = root == 0 ? 1 : 2 * (ulong)root;
            _reciprocal = ulong.MaxValue / _divisor;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public long Standardized(long centered, int k, int fractionBits, int varianceBits)
        {
            if (_root == 0) return 0;
            long twice = 2 * (centered << (fractionBits + k + varianceBits)) + _root;
            ulong magnitude = twice < 0 ? (ulong)-twice : (ulong)twice;
            ulong quotient = Math.BigMul(magnitude, _reciprocal, out _);
            ulong remainder = magnitude - quotient * _divisor;
            while (remainder >= _divisor)
            {
                quotient++;
                remainder -= _divisor;
            }
            // Floor division: a negative numerator with a remainder rounds one further down.
            return twice >= 0 ? (long)quotient : -(long)quotient - (remainder != 0 ? 1 : 0);
        }
    }

    private static long Standardized(long centered, long root, int k, int fractionBits, int varianceBits) =>
        root == 0 ? 0 : TransformerMath.DivideHalfUp(centered << (fractionBits + k + varianceBits), root);

    private static int Affine(long standardized, int multiplier, int shift, int fractionBits, long bias, int yZeroPoint, int min, int max)
    {
        // t = round(n · M_c · 2^(16 − F)): the affine result in output steps of 2^−16 whatever F is.
        long affine = TransformerMath.MultiplyByFixedPoint64(standardized, multiplier, shift - (fractionBits - FractionBits)) + bias;
        long output = TransformerMath.RightHalfUp(affine, FractionBits) + yZeroPoint;
        return (int)Math.Clamp(output, min, max);
    }

    private static void CheckInt16<TX>(int channels)
    {
        if (typeof(TX) == typeof(short) && channels > MaxInt16Channels)
            throw new ArgumentException($"IntegerLayerNorm: {channels} channels of int16 input; at most {MaxInt16Channels} keep the sums inside int64");
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
