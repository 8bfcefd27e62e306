namespace Octet.OnnxRuntime;

/// <summary>
/// A named tensor passed to or returned from <see cref="InferenceSession.Run(IReadOnlyCollection{NamedOnnxValue})"/>:
/// its element type, its shape, and its elements in row-major order in a managed array whose type matches
/// the element type (<c>float[]</c> for Float, <c>byte[]</c> for UInt8, <c>sbyte[]</c> for Int8,
/// <c>int[]</c>, <c>long[]</c>, <c>bool[]</c>, …; see <see cref="TensorElementTypes.ClrType"/>).
/// </summary>
public sealed class NamedOnnxValue
{
    private NamedOnnxValue(string name, TensorElementType elementType, long[] shape, Array data)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }

    public TensorElementType ElementType { get; }

    public long[] Shape { get; }

    /// <summary>The elements, row-major; the array's element type is <c>ElementType.ClrType()</c>.</summary>
    public Array Data { get; }

    /// <summary>A tensor of <typeparamref name="T"/> elements; the element type follows from <typeparamref name="T"/>.</summary>
    public static NamedOnnxValue CreateFromTensor<T>(string name, T[] data, params long[] shape) where T : unmanaged =>
        CreateFromArray(name, data, shape);

    /// <summary>A tensor whose element type follows from the array's type (float[] → Float, sbyte[] → Int8, …).</summary>
    public static NamedOnnxValue CreateFromArray(string name, Array data, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        Type clrType = data.GetType().GetElementType()!;
        if (data.Rank != 1 || TensorElementTypes.FromClrType(clrType) is not { } elementType)
            throw new ArgumentException($"tensor '{name}': {data.GetType().Name} cannot hold a tensor; use a one-dimensional array of a numeric type or bool", nameof(data));

        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"tensor '{name}': shape [{string.Join(",", shape)}] has a negative dimension", nameof(shape));
            count = checked(count * dim);
        }
        if (count != data.Length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(",", shape)}] needs {count} elements, the array has {data.Length}", nameof(data));

        return new NamedOnnxValue(name, elementType, (long[])shape.Clone(), data);
    }

    /// <summary>The elements as <typeparamref name="T"/>[] (not a copy); throws if the element type differs.</summary>
    public T[] AsArray<T>() where T : unmanaged =>
        // Compare exact types: the runtime lets an sbyte[] pass as byte[] (and int[] as uint[]) in a cast.
        Data.GetType() == typeof(T[])
            ? (T[])Data
            : throw new InvalidCastException($"tensor '{Name}' holds {ElementType} elements ({Data.GetType().Name}), not {typeof(T).Name}");

    public override string ToString() => $"{Name}: {ElementType}[{string.Join(",", Shape)}]";
}
