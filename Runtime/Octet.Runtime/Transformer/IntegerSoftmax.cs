using System.Runtime.CompilerServices;
using Octet.Runtime.Int8;

namespace Octet.Runtime.Transformer;

/// <summary>The integer exponent an <see cref="IntegerSoftmax"/> uses (the ISoftmax node's <c>method</c>).</summary>
public enum SoftmaxMethod
{
    /// <summary>I-BERT's second-order polynomial with ln 2 range reduction ("ibert").</summary>
    Ibert,
    /// <summary>I-ViT's shift-based exponent ("shiftmax").</summary>
    Shiftmax,
}

/// <summary>
/// ISoftmax: integer-only softmax of 8-bit rows, output probabilities in steps of 1/256 (zero point −128 for an
/// int8 output, 0 for uint8). The specification is the compiler's <c>Operators/Integer/Transformer/ISoftmax</c>;
/// <see cref="RowsScalar{TX, TY}"/> is that kernel line for line. <see cref="Rows{TX, TY}"/> gives the same
/// integers faster: d = x − max lies in [−255, 0], so the exponent of each of the 256 possible differences is
/// computed once per call into a table, and each element costs a lookup, a multiply and a shift.
/// Each row is read before any of it is written, so x and y may be the same bytes (in place).
/// </summary>
public static class IntegerSoftmax
{
    private const int ReciprocalBits = 62;
    private const int OutputBits = 8;

    /// <summary>Softmax of every row of <paramref name="length"/> values of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">The input rows, int8 or uint8 (the zero point cancels).</param>
    /// <param name="y">The output rows, int8 or uint8.</param>
    /// <param name="length">The row length (the last axis).</param>
    /// <param name="method">The exponent approximation.</param>
    /// <param name="multiplier">x_multiplier: M0 of s_x · 2^20.</param>
    /// <param name="shift">x_shift.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, int length, SoftmaxMethod method, int multiplier, int shift)
        where TX : unmanaged where TY : unmanaged
    {
        Check(x.Length, y.Length, length);
        if (x.Length == 0) return;
        // exponents[255 + d] for every possible difference d = x − max in [−255, 0].
        Span<long> exponents = stackalloc long[256];
        for (int d = -255; d <= 0; d++) exponents[255 + d] = Exponent(method, FixedPoint.MultiplyByFixedPoint(d, multiplier, shift));
        var (min, max) = EightBit.Range<TY>();
        int zeroPoint = ZeroPoint<TY>();
        for (int start = 0; start < x.Length; start += length)
        {
            var row = x.Slice(start, length);
            var output = y.Slice(start, length);
            int rowMax = int.MinValue;
            for (int i = 0; i < row.Length; i++) rowMax = Math.Max(rowMax, EightBit.ToInt(row[i]));
            // Indexing by 255 + x − max: the table's offset for this row.
            int offset = 255 - rowMax;
            long sum = 0;
            for (int i = 0; i < row.Length; i++) sum += exponents[offset + EightBit.ToInt(row[i])];
            long reciprocal = (1L << ReciprocalBits) / sum;
            for (int i = 0; i < row.Length; i++)
            {
                long probability = TransformerMath.RightHalfUp(exponents[offset + EightBit.ToInt(row[i])] * reciprocal, ReciprocalBits - OutputBits);
                output[i] = EightBit.FromInt<TY>((int)Math.Clamp(probability + zeroPoint, min, max));
            }
        }
    }

    /// <summary>The specification: the reference kernel, one exponent evaluation per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowsScalar<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, int length, SoftmaxMethod method, int multiplier, int shift)
        where TX : unmanaged where TY : unmanaged
    {
        Check(x.Length, y.Length, length);
        if (x.Length == 0) return;
        var (min, max) = EightBit.Range<TY>();
        int zeroPoint = ZeroPoint<TY>();
        var exponents = new long[length];
        for (int start = 0; start < x.Length; start += length)
        {
            int rowMax = int.MinValue;
            for (int i = 0; i < length; i++) rowMax = Math.Max(rowMax, EightBit.ToInt(x[start + i]));
            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                int v = FixedPoint.MultiplyByFixedPoint(EightBit.ToInt(x[start + i]) - rowMax, multiplier, shift);
                exponents[i] = Exponent(method, v);
                sum += exponents[i];
            }
            long reciprocal = (1L << ReciprocalBits) / sum;
            for (int i = 0; i < length; i++)
            {
                long probability = TransformerMath.RightHalfUp(exponents[i] * reciprocal, ReciprocalBits - OutputBits);
                y[start + i] = EightBit.FromInt<TY>((int)Math.Clamp(probability + zeroPoint, min, max));
            }
        }
    }

    private static long Exponent(SoftmaxMethod method, int v) =>
        method == SoftmaxMethod.Shiftmax ? TransformerMath.ShiftExp(v) : TransformerMath.PolynomialExp(v);

    /// <summary>The output zero point ISoftmax fixes for the output type: −128 for int8, 0 for uint8.</summary>
    private static int ZeroPoint<TY>() where TY : unmanaged => typeof(TY) == typeof(sbyte) ? -128 : 0;

    private static void Check(int inputs, int outputs, int length)
    {
        if (length <= 0 || inputs != outputs || inputs % length != 0)
            throw new ArgumentException($"IntegerSoftmax: {inputs} inputs and {outputs} outputs must be the same whole number of rows of {length}");
    }
}
