using System.Runtime.CompilerServices;

namespace Octet.Runtime.Int16;

/// <summary>
/// QGemm / QMatMul with a constant weight matrix and an <b>int16</b> activation A (the class head reading the 16-bit
/// stream): <c>acc[r, n] = bias[n] + Σ_k (A[r, k] − a_zp)(W[n, k] − w_zp[n])</c>, exact in int64 (the reference's
/// accumulator for an int16 A), then <see cref="WideFixedPoint.Requantize"/> per column. W is packed NK (row n holds
/// output column n's K weights), 8-bit. The sum is computed as
/// <c>bias + Σ a·w − w_zp·Σ a − a_zp·Σ w + K·a_zp·w_zp</c>: an exact identity in int64 (every term is below
/// 2^63 for any K a tensor can have), so it is the reference's integer. <see cref="FixedPointScalar{TW, TY}"/> is the
/// reference's loop order; <see cref="FixedPoint{TW, TY}"/> uses <see cref="Int16Dot"/> (AVX2).
/// Rows are read whole before their outputs are written, but A and Y are different tensors anyway (a matrix product
/// is never in place).
/// </summary>
public static class Int16Gemm
{
    /// <summary>The kernel (see the class summary).</summary>
    /// <param name="a">A: <paramref name="rows"/> rows of <paramref name="depth"/> int16 values.</param>
    /// <param name="rows">Rows of A and of Y.</param>
    /// <param name="depth">K.</param>
    /// <param name="aZeroPoint">a_zero_point.</param>
    /// <param name="weights">W packed NK: <paramref name="columns"/> rows of <paramref name="depth"/> values.</param>
    /// <param name="columns">N.</param>
    /// <param name="weightZeroPoints">w_zero_point: one value, or one per column.</param>
    /// <param name="bias">The int32 bias per column, or empty for none.</param>
    /// <param name="multipliers">M0: one value, or one per column.</param>
    /// <param name="shifts">The shifts: one value, or one per column.</param>
    /// <param name="zeroPoint">y_zero_point.</param>
    /// <param name="min">clamp_min.</param>
    /// <param name="max">clamp_max.</param>
    /// <param name="y">Y: <paramref name="rows"/> rows of <paramref name="columns"/> values (int8, uint8 or int16).</param>
    public static void FixedPoint<TW, TY>(ReadOnlySpan<short> a, int rows, int depth, int aZeroPoint, ReadOnlySpan<TW> weights, int columns,
        ReadOnlySpan<int> weightZeroPoints, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<TY> y) where TW : unmanaged where TY : unmanaged
    {
        Check(a.Length, rows, depth, weights.Length, columns, weightZeroPoints.Length, bias.Length, multipliers.Length, shifts.Length, y.Length);
        CheckTypes<TW, TY>();
        // Per-column constants of the identity: Σ_k w[n, k] once per call (the weights are constant; K·N adds).
        Span<long> weightSums = columns <= 4096 ? stackalloc long[columns] : new long[columns];
        for (int n = 0; n < columns; n++) weightSums[n] = SumOf(weights.Slice(n * depth, depth));
        for (int r = 0; r < rows; r++)
        {
            var row = a.Slice(r * depth, depth);
            long rowSum = Int16Dot.Sum(row);
            for (int n = 0; n < columns; n++)
            {
                int wzp = weightZeroPoints[weightZeroPoints.Length == 1 ? 0 : n];
                long acc = (bias.IsEmpty ? 0 : bias[n]) + Int16Dot.Dot(row, weights.Slice(n * depth, depth))
                           - (long)wzp * rowSum - (long)aZeroPoint * weightSums[n] + (long)depth * aZeroPoint * wzp;
                int c = multipliers.Length == 1 ? 0 : n;
                y[r * columns + n] = FromInt<TY>(WideFixedPoint.Requantize(acc, multipliers[c], shifts[c], zeroPoint, min, max));
            }
        }
    }

    /// <summary>The specification: the reference's loop, <c>bias + Σ_k (a − a_zp)(w − w_zp)</c> term by term in int64.</summary>
    internal static void FixedPointScalar<TW, TY>(ReadOnlySpan<short> a, int rows, int depth, int aZeroPoint, ReadOnlySpan<TW> weights, int columns,
        ReadOnlySpan<int> weightZeroPoints, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<TY> y) where TW : unmanaged where TY : unmanaged
    {
        Check(a.Length, rows, depth, weights.Length, columns, weightZeroPoints.Length, bias.Length, multipliers.Length, shifts.Length, y.Length);
        CheckTypes<TW, TY>();
        for (int r = 0; r < rows; r++)
            for (int n = 0; n < columns; n++)
            {
                int wzp = weightZeroPoints[weightZeroPoints.Length == 1 ? 0 : n];
                long acc = bias.IsEmpty ? 0 : bias[n];
                for (int k = 0; k < depth; k++) acc += (long)(a[r * depth + k] - aZeroPoint) * (ToInt(weights[n * depth + k]) - wzp);
                int c = multipliers.Length == 1 ? 0 : n;
                y[r * columns + n] = FromInt<TY>(WideFixedPoint.RequantizeScalar(acc, multipliers[c], shifts[c], zeroPoint, min, max));
            }
    }

    private static long SumOf<TW>(ReadOnlySpan<TW> values) where TW : unmanaged
    {
        long sum = 0;
        foreach (var v in values) sum += ToInt(v);
        return sum;
    }

    private static void Check(int a, int rows, int depth, int weights, int columns, int weightZeroPoints, int bias, int multipliers, int shifts, int y)
    {
        if (rows < 0 || depth <= 0 || columns <= 0 || (long)rows * depth != a || (long)columns * depth != weights || (long)rows * columns != y)
            throw new ArgumentException($"Int16Gemm: A of {a} values, W of {weights} and Y of {y} do not make [{rows}, {depth}] x [{depth}, {columns}]");
        if (weightZeroPoints != 1 && weightZeroPoints != columns || multipliers != 1 && multipliers != columns || shifts != multipliers
            || bias != 0 && bias != columns)
            throw new ArgumentException($"Int16Gemm: {weightZeroPoints} weight zero points, {bias} biases, {multipliers} multipliers and {shifts} shifts for {columns} columns");
    }

    private static void CheckTypes<TW, TY>()
    {
        if (typeof(TW) != typeof(sbyte) && typeof(TW) != typeof(byte))
            throw new NotSupportedException($"Int16Gemm: weights of {typeof(TW).Name}; expected sbyte or byte");
        if (typeof(TY) != typeof(sbyte) && typeof(TY) != typeof(byte) && typeof(TY) != typeof(short))
            throw new NotSupportedException($"Int16Gemm: output of {typeof(TY).Name}; expected sbyte, byte or short");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value) : Unsafe.As<T, byte>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromInt<T>(int value) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) { sbyte v = (sbyte)value; return Unsafe.As<sbyte, T>(ref v); }
        if (typeof(T) == typeof(byte)) { byte v = (byte)value; return Unsafe.As<byte, T>(ref v); }
        short s = (short)value;
        return Unsafe.As<short, T>(ref s);
    }
}
