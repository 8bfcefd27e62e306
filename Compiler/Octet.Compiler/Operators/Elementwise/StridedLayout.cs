using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// How several operands (inputs read through strides, a contiguous output) walk together over an output
/// shape, with axes merged wherever every operand steps through them as through one axis. Kernels loop
/// over rows: the last merged axis is the inner loop, and its stride per operand is 0 (broadcast) or, for
/// broadcasting layouts, 1 (contiguous) — so e.g. [1,C,H,W] + [1,C,1,1] becomes C rows of H·W elements,
/// each added to one scalar.
/// </summary>
internal sealed class StridedLayout
{
    private StridedLayout(int[] dims, int[][] strides)
    {
        Dims = dims;
        Strides = strides;
    }

    /// <summary>Merged dimensions; at least one, all positive unless the layout is empty.</summary>
    public int[] Dims { get; }

    /// <summary>Per operand, its stride in elements along each merged dimension.</summary>
    public int[][] Strides { get; }

    public int Rank => Dims.Length;
    public int RowLength => Dims[^1];
    public int InnerStride(int operand) => Strides[operand][^1];

    /// <summary>Rows to visit: the product of all merged dimensions but the last.</summary>
    public long RowCount
    {
        get
        {
            long rows = 1;
            for (int i = 0; i < Dims.Length - 1; i++) rows *= Dims[i];
            return rows;
        }
    }

    /// <summary>
    /// The layout for reading each input broadcast to <paramref name="output"/> (numpy rules: right-aligned,
    /// size-1 dimensions repeat). The inputs must be broadcast-compatible with the output.
    /// </summary>
    public static StridedLayout ForBroadcast(Shape output, params Shape[] inputs)
    {
        var strides = new int[inputs.Length][];
        for (int k = 0; k < inputs.Length; k++) strides[k] = BroadcastStrides(inputs[k], output);
        return Create(output.Dims, strides);
    }

    /// <summary>
    /// Per axis of <paramref name="output"/>, the stride at which <paramref name="input"/> broadcast to it
    /// is read: its own stride, or 0 along axes it repeats (missing leading axes and size-1 axes).
    /// </summary>
    public static int[] BroadcastStrides(Shape input, Shape output)
    {
        int rank = output.Rank;
        var own = input.Strides();
        var strides = new int[rank];
        for (int axis = 0; axis < rank; axis++)
        {
            int j = axis - (rank - input.Rank);
            strides[axis] = j < 0 || input[j] == 1 ? 0 : own[j];
        }
        return strides;
    }

    /// <summary>
    /// A layout over <paramref name="dims"/> where operand k reads element
    /// <c>offset + Σ index[axis]·strides[k][axis]</c>; merges what can be merged.
    /// </summary>
    public static StridedLayout Create(ReadOnlySpan<int> dims, int[][] strides)
    {
        var mergedDims = new List<int>(dims.Length);
        var mergedStrides = new List<int>[strides.Length];
        for (int k = 0; k < strides.Length; k++) mergedStrides[k] = new List<int>(dims.Length);

        for (int axis = 0; axis < dims.Length; axis++)
        {
            int d = dims[axis];
            // A size-1 axis is never stepped through, so its strides are irrelevant; a size-0 axis makes
            // the whole layout empty, which callers handle before looping.
            if (d == 1) continue;
            bool mergeable = mergedDims.Count > 0;
            for (int k = 0; k < strides.Length && mergeable; k++)
                mergeable = mergedStrides[k][^1] == (long)strides[k][axis] * d;
            if (mergeable)
            {
                mergedDims[^1] *= d;
                for (int k = 0; k < strides.Length; k++) mergedStrides[k][^1] = strides[k][axis];
            }
            else
            {
                mergedDims.Add(d);
                for (int k = 0; k < strides.Length; k++) mergedStrides[k].Add(strides[k][axis]);
            }
        }
        if (mergedDims.Count == 0)
        {
            mergedDims.Add(1);
            for (int k = 0; k < strides.Length; k++) mergedStrides[k].Add(0);
        }
        return new StridedLayout(mergedDims.ToArray(), mergedStrides.Select(s => s.ToArray()).ToArray());
    }

    /// <summary>
    /// Moves <paramref name="offsets"/> (one per operand, at the start of a row) to the start of the next
    /// row, counting rows like an odometer in <paramref name="index"/> (length <see cref="Rank"/>, zeroed
    /// before the first row).
    /// </summary>
    public void NextRow(int[] index, int[] offsets)
    {
        for (int axis = Dims.Length - 2; axis >= 0; axis--)
        {
            index[axis]++;
            for (int k = 0; k < offsets.Length; k++) offsets[k] += Strides[k][axis];
            if (index[axis] < Dims[axis]) return;
            for (int k = 0; k < offsets.Length; k++) offsets[k] -= Strides[k][axis] * Dims[axis];
            index[axis] = 0;
        }
    }
}
