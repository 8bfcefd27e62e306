using System.Collections;

namespace Octet.Compiler.Graph;

/// <summary>
/// A static tensor shape. Every dimension is known: dynamic dimensions are bound (by the user or by the
/// batch default) before a <see cref="Shape"/> is made. Immutable, compared by value.
/// </summary>
public sealed class Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    /// <summary>
    /// The most elements one tensor may have. Far above any shared model's largest tensor, far below what
    /// would exhaust memory: a file that declares more is rejected instead of attempted.
    /// </summary>
    public const long MaxElements = 1L << 28;

    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape [{string.Join(",", dims)}]");
        _dims = (int[])dims.Clone();
        long count = 1;
        foreach (var d in _dims)
        {
            count *= d;
            if (count > MaxElements)
                throw new Diagnostics.OctetException(
                    $"shape [{string.Join(",", dims)}] has more than {MaxElements:N0} elements, the most Octet allows in one tensor");
        }
        ElementCount = count;
    }

    public static Shape Scalar { get; } = new();

    /// <summary>Makes a shape from 64-bit dims as ONNX stores them, checking each fits and the total is sane.</summary>
    public static Shape FromDims(IReadOnlyList<long> dims, string what)
    {
        var result = new int[dims.Count];
        decimal count = 1;
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i] < 0) throw new Diagnostics.OctetException($"{what}: dimension {i} is negative ({dims[i]})");
            count *= dims[i];
            if (dims[i] > int.MaxValue || count > MaxElements)
                throw new Diagnostics.OctetException(
                    $"{what}: shape [{string.Join(",", dims)}] has {count:N0} elements; Octet allows at most {MaxElements:N0} in one tensor");
            result[i] = (int)dims[i];
        }
        return new Shape(result);
    }

    public int Rank => _dims.Length;
    public long ElementCount { get; }
    public int this[int index] => _dims[index];
    public int Count => _dims.Length;
    public ReadOnlySpan<int> Dims => _dims;
    public int[] ToArray() => (int[])_dims.Clone();
    public long[] ToLongArray() => Array.ConvertAll(_dims, d => (long)d);

    /// <summary>Row-major strides in elements.</summary>
    public int[] Strides()
    {
        var strides = new int[_dims.Length];
        int s = 1;
        for (int i = _dims.Length - 1; i >= 0; i--) { strides[i] = s; s *= _dims[i]; }
        return strides;
    }

    /// <summary>Resolves a possibly negative axis (ONNX convention) against this rank, or throws naming it.</summary>
    public int NormalizeAxis(long axis, string what = "axis") => NormalizeAxis(axis, Rank, what);

    public static int NormalizeAxis(long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1))
            throw new ArgumentOutOfRangeException(what, $"{what} {axis} is out of range for rank {rank}");
        return (int)a;
    }

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    /// <summary><c>[1,3,224,224]</c>; a scalar is <c>[]</c>.</summary>
    public override string ToString() => "[" + string.Join(",", _dims) + "]";

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dims).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();
}
