using System.Numerics;
using System.Runtime.CompilerServices;
using Octet.Runtime.Int8;

namespace Octet.Runtime.Transformer;

/// <summary>The constants of one IShiftAttention node, all computed at compile time.</summary>
/// <param name="Method">The softmax exponent.</param>
/// <param name="XMultiplier">x_multiplier (M0 of s_x · 2^20).</param>
/// <param name="XShift">x_shift.</param>
/// <param name="Sqrt2Base">True for log√2 codes, false for log2.</param>
/// <param name="Bits">Code bits: codes of 2^bits and above are probability 0.</param>
/// <param name="VZeroPoint">v_zero_point.</param>
/// <param name="Multiplier">The output requantization M0 (s_v / s_y).</param>
/// <param name="Shift">Its shift.</param>
/// <param name="YZeroPoint">y_zero_point.</param>
/// <param name="ClampMin">clamp_min.</param>
/// <param name="ClampMax">clamp_max.</param>
public readonly record struct ShiftAttentionParameters(SoftmaxMethod Method, int XMultiplier, int XShift, bool Sqrt2Base, int Bits,
    int VZeroPoint, int Multiplier, int Shift, int YZeroPoint, int ClampMin, int ClampMax);

/// <summary>
/// IShiftAttention: Softmax(X)·V with the probabilities as log2 (or log√2) codes, so A·V is shifts and adds. The
/// specification is the compiler's <c>Operators/Integer/Transformer/IShiftAttention</c>; this is its kernel, with the
/// softmax exponents taken from a 256-entry table per call (d = x − max lies in [−255, 0]) — the same integers.
/// </summary>
public static class IntegerShiftAttention
{
    private const int FractionBits = 16;
    private const long HalfThreshold = 1518500250, QuarterThreshold = 1276901417, ThreeQuarterThreshold = 1805811301;
    private const long Sqrt2 = 92682;
    private const int ReciprocalBits = 62;
    private const int ProbabilityBits = 30;

    /// <summary>The largest row of V (D) the kernel keeps its two accumulator rows for on the stack.</summary>
    public const int MaxWidth = 4096;

    /// <summary>Y[b, t, :] = Σ_j code(softmax(X[b, t, :])_j) applied to V[b, j, :], requantized.</summary>
    /// <param name="x">Scores [batches, rows, length], int8 or uint8.</param>
    /// <param name="v">Values [batches, length, width], int8 or uint8.</param>
    /// <param name="y">Output [batches, rows, width], int8 or uint8; must not overlap x or v.</param>
    /// <param name="rows">T: score rows per batch.</param>
    /// <param name="length">L: the softmax axis (rows of V per batch).</param>
    /// <param name="width">D: the row length of V and Y.</param>
    /// <param name="parameters">The node's constants.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<TX, TV, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TV> v, Span<TY> y, int rows, int length, int width,
        in ShiftAttentionParameters parameters) where TX : unmanaged where TV : unmanaged where TY : unmanaged
    {
        if (rows <= 0 || length <= 0 || width <= 0 || width > MaxWidth || x.Length % (rows * length) != 0)
            throw new ArgumentException($"IntegerShiftAttention: {x.Length} scores are not whole [{rows}, {length}] blocks, or the width {width} is outside [1, {MaxWidth}]");
        int batches = x.Length / (rows * length);
        if (v.Length != batches * length * width || y.Length != batches * rows * width)
            throw new ArgumentException($"IntegerShiftAttention: V has {v.Length} and Y {y.Length} elements; expected {batches * length * width} and {batches * rows * width}");
        Span<long> exponents = stackalloc long[256];
        for (int d = -255; d <= 0; d++)
        {
            int scaled = FixedPoint.MultiplyByFixedPoint(d, parameters.XMultiplier, parameters.XShift);
            exponents[255 + d] = parameters.Method == SoftmaxMethod.Shiftmax ? TransformerMath.ShiftExp(scaled) : TransformerMath.PolynomialExp(scaled);
        }
        Span<long> whole = stackalloc long[width];
        Span<long> odd = stackalloc long[width];
        long codeLimit = 1L << parameters.Bits;
        for (int batch = 0; batch < batches; batch++)
        {
            var values = v.Slice(batch * length * width, length * width);
            for (int row = 0; row < rows; row++)
            {
                var scores = x.Slice((batch * rows + row) * length, length);
                int rowMax = int.MinValue;
                for (int j = 0; j < length; j++) rowMax = Math.Max(rowMax, EightBit.ToInt(scores[j]));
                int offset = 255 - rowMax;
                long sum = 0;
                for (int j = 0; j < length; j++) sum += exponents[offset + EightBit.ToInt(scores[j])];
                long reciprocal = (1L << ReciprocalBits) / sum;
                whole.Clear();
                odd.Clear();
                for (int j = 0; j < length; j++)
                {
                    long probability = (exponents[offset + EightBit.ToInt(scores[j])] * reciprocal) >> (ReciprocalBits - ProbabilityBits);
                    if (probability == 0) continue;
                    long code = Code(probability, parameters.Sqrt2Base);
                    bool sqrt2 = parameters.Sqrt2Base && (code & 1) == 1;
                    int power = (int)(parameters.Sqrt2Base ? (code + 1) / 2 : code);
                    if (power < 0 || power > FractionBits || code >= codeLimit) continue;
                    var target = sqrt2 ? odd : whole;
                    var valueRow = values.Slice(j * width, width);
                    int left = FractionBits - power;
                    for (int c = 0; c < width; c++) target[c] += (long)(EightBit.ToInt(valueRow[c]) - parameters.VZeroPoint) << left;
                }
                var output = y.Slice((batch * rows + row) * width, width);
                for (int c = 0; c < width; c++)
                {
                    long acc = whole[c] + TransformerMath.RightHalfUp(odd[c] * Sqrt2, FractionBits);
                    long value = TransformerMath.MultiplyByFixedPoint64(acc, parameters.Multiplier, parameters.Shift - FractionBits) + parameters.YZeroPoint;
                    output[c] = EightBit.FromInt<TY>((int)Math.Clamp(value, parameters.ClampMin, parameters.ClampMax));
                }
            }
        }
    }

    /// <summary>round(−log2 p) (or round(−2 log2 p) for log√2) of p = P · 2^−30, P in [1, 2^30], by exact comparisons.</summary>
    private static long Code(long probability, bool sqrt2Base)
    {
        int k = 63 - BitOperations.LeadingZeroCount((ulong)probability);
        long mantissa = probability << (ProbabilityBits - k);
        if (!sqrt2Base) return ProbabilityBits - k - (mantissa >= HalfThreshold ? 1 : 0);
        return 2L * (ProbabilityBits - k) - (mantissa >= QuarterThreshold ? 1 : 0) - (mantissa >= ThreeQuarterThreshold ? 1 : 0);
    }
}
