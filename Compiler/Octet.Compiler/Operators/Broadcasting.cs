using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators;

/// <summary>
/// Multidirectional (numpy-style) broadcasting as ONNX defines it: shapes are right-aligned, and each
/// dimension pair must be equal or contain a 1.
/// </summary>
public static class Broadcasting
{
    /// <summary>The broadcast result shape, or null when the shapes are incompatible.</summary>
    public static Shape? TryBroadcast(params Shape[] shapes)
    {
        int rank = shapes.Max(s => s.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int d = 1;
            foreach (var s in shapes)
            {
                int k = i - (rank - s.Rank);
                if (k < 0) continue;
                int sd = s[k];
                if (sd == d || sd == 1) continue;
                if (d == 1) { d = sd; continue; }
                return null;
            }
            dims[i] = d;
        }
        return new Shape(dims);
    }

    /// <summary>The broadcast shape of a node's inputs, or an error naming the node and the shapes.</summary>
    public static Shape Broadcast(InferenceContext context, params int[] inputIndices)
    {
        var shapes = inputIndices.Select(context.InputShape).ToArray();
        return TryBroadcast(shapes) ?? throw context.Error(
            $"input shapes {string.Join(" and ", shapes.Select(s => s.ToString()))} cannot be broadcast together");
    }

    /// <summary>
    /// For each element of <paramref name="output"/> (row-major), the flat index of the element of
    /// <paramref name="input"/> that broadcasts to it.
    /// </summary>
    public static int[] SourceIndices(Shape input, Shape output)
    {
        int rank = output.Rank;
        var inStrides = new int[rank];
        var inputStrides = input.Strides();
        for (int i = 0; i < rank; i++)
        {
            int k = i - (rank - input.Rank);
            inStrides[i] = k < 0 || input[k] == 1 ? 0 : inputStrides[k];
        }
        var map = new int[output.ElementCount];
        var index = new int[rank];
        int src = 0;
        for (int flat = 0; flat < map.Length; flat++)
        {
            map[flat] = src;
            // Advance the multi-index like an odometer, keeping the source offset in step.
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                index[axis]++;
                src += inStrides[axis];
                if (index[axis] < output[axis]) break;
                src -= inStrides[axis] * index[axis];
                index[axis] = 0;
            }
        }
        return map;
    }
}
