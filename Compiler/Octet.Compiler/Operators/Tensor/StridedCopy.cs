using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// Materializes a strided view of a tensor — the one data movement behind Transpose (permuted strides),
/// Slice (scaled strides, possibly negative) and Expand (zero strides) — for every element type.
/// </summary>
internal static class StridedCopy
{
    /// <summary>
    /// A new tensor of shape <paramref name="output"/> whose element at multi-index i is
    /// <c>source[offset + Σ i[axis]·strides[axis]]</c>.
    /// </summary>
    public static Tensor View(Tensor source, int offset, int[] strides, Shape output)
    {
        Array data = source.Data switch
        {
            float[] a => Copy(a, offset, strides, output),
            // The guard matters: a byte[] also passes a type test for sbyte[] (CLR array variance).
            sbyte[] a when source.ElementType == ElementType.Int8 => Copy(a, offset, strides, output),
            byte[] a => Copy(a, offset, strides, output),
            short[] a when source.ElementType == ElementType.Int16 => Copy(a, offset, strides, output),
            int[] a => Copy(a, offset, strides, output),
            long[] a => Copy(a, offset, strides, output),
            bool[] a => Copy(a, offset, strides, output),
            _ => throw new NotSupportedException($"element type {source.ElementType.OnnxName()}"),
        };
        return Tensor.Create(source.ElementType, output, data);
    }

    private static T[] Copy<T>(T[] source, int offset, int[] strides, Shape output)
    {
        var result = new T[output.ElementCount];
        if (result.Length == 0) return result;

        var layout = StridedLayout.Create(output.Dims, [strides]);
        int rowLength = layout.RowLength, stride = layout.InnerStride(0);
        var index = new int[layout.Rank];
        var offsets = new[] { offset };
        long rows = layout.RowCount;
        for (long row = 0, outOffset = 0; row < rows; row++, outOffset += rowLength)
        {
            var destination = result.AsSpan((int)outOffset, rowLength);
            if (stride == 1)
            {
                source.AsSpan(offsets[0], rowLength).CopyTo(destination);
            }
            else
            {
                for (int i = 0, s = offsets[0]; i < destination.Length; i++, s += stride) destination[i] = source[s];
            }
            layout.NextRow(index, offsets);
        }
        return result;
    }
}
