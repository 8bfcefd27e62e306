using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// One element of a binary element-wise operation. Implemented by empty structs so that each
/// (kernel, element type) pair gets its own specialized, inlined loop.
/// </summary>
internal interface IBinaryKernel<TA, TB, TResult>
{
    static abstract TResult Apply(TA a, TB b);
}

/// <summary>
/// The loops of broadcasting element-wise operators. Same-shape operands and scalar operands take a
/// direct loop over contiguous memory; anything else walks a <see cref="StridedLayout"/> row by row.
/// </summary>
internal static class BroadcastLoops
{
    /// <summary>
    /// <c>result[i] = TKernel.Apply(a[…], b[…])</c> over <paramref name="output"/>, which must be the
    /// broadcast of the two input shapes.
    /// </summary>
    public static TResult[] Binary<TA, TB, TResult, TKernel>(TA[] a, Shape aShape, TB[] b, Shape bShape, Shape output)
        where TKernel : struct, IBinaryKernel<TA, TB, TResult>
    {
        var result = new TResult[output.ElementCount];
        if (result.Length == 0) return result;

        if (a.Length == result.Length && b.Length == result.Length)
        {
            // Equal element counts with a broadcast-compatible output means equal shapes up to leading 1s.
            Row<TA, TB, TResult, TKernel>(a, 1, b, 1, result);
            return result;
        }
        if (b.Length == 1 && a.Length == result.Length)
        {
            Row<TA, TB, TResult, TKernel>(a, 1, b, 0, result);
            return result;
        }
        if (a.Length == 1 && b.Length == result.Length)
        {
            Row<TA, TB, TResult, TKernel>(a, 0, b, 1, result);
            return result;
        }

        var layout = StridedLayout.ForBroadcast(output, aShape, bShape);
        int rowLength = layout.RowLength;
        int strideA = layout.InnerStride(0), strideB = layout.InnerStride(1);
        var index = new int[layout.Rank];
        var offsets = new int[2];
        long rows = layout.RowCount;
        for (long row = 0, outOffset = 0; row < rows; row++, outOffset += rowLength)
        {
            Row<TA, TB, TResult, TKernel>(
                a.AsSpan(offsets[0], strideA == 0 ? 1 : rowLength), strideA,
                b.AsSpan(offsets[1], strideB == 0 ? 1 : rowLength), strideB,
                result.AsSpan((int)outOffset, rowLength));
            layout.NextRow(index, offsets);
        }
        return result;
    }

    /// <summary>One row: each operand is either contiguous (stride 1) or one repeated element (stride 0).</summary>
    private static void Row<TA, TB, TResult, TKernel>(ReadOnlySpan<TA> a, int strideA, ReadOnlySpan<TB> b, int strideB, Span<TResult> result)
        where TKernel : struct, IBinaryKernel<TA, TB, TResult>
    {
        if (strideA == 1 && strideB == 1)
        {
            a = a[..result.Length];
            b = b[..result.Length];
            for (int i = 0; i < result.Length; i++) result[i] = TKernel.Apply(a[i], b[i]);
        }
        else if (strideA == 1)
        {
            a = a[..result.Length];
            var bValue = b[0];
            for (int i = 0; i < result.Length; i++) result[i] = TKernel.Apply(a[i], bValue);
        }
        else if (strideB == 1)
        {
            b = b[..result.Length];
            var aValue = a[0];
            for (int i = 0; i < result.Length; i++) result[i] = TKernel.Apply(aValue, b[i]);
        }
        else
        {
            result.Fill(TKernel.Apply(a[0], b[0]));
        }
    }

    /// <summary>
    /// <c>result[i] = condition[…] ? x[…] : y[…]</c> over <paramref name="output"/>, the broadcast of the
    /// three input shapes.
    /// </summary>
    public static T[] Select<T>(bool[] condition, Shape conditionShape, T[] x, Shape xShape, T[] y, Shape yShape, Shape output)
    {
        var result = new T[output.ElementCount];
        if (result.Length == 0) return result;

        var layout = StridedLayout.ForBroadcast(output, conditionShape, xShape, yShape);
        int rowLength = layout.RowLength;
        int sc = layout.InnerStride(0), sx = layout.InnerStride(1), sy = layout.InnerStride(2);
        var index = new int[layout.Rank];
        var offsets = new int[3];
        long rows = layout.RowCount;
        for (long row = 0, outOffset = 0; row < rows; row++, outOffset += rowLength)
        {
            var r = result.AsSpan((int)outOffset, rowLength);
            int c = offsets[0], xi = offsets[1], yi = offsets[2];
            for (int i = 0; i < r.Length; i++, c += sc, xi += sx, yi += sy)
                r[i] = condition[c] ? x[xi] : y[yi];
            layout.NextRow(index, offsets);
        }
        return result;
    }
}
