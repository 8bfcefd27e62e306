namespace Octet.Compiler.Graph;

/// <summary>
/// A tensor's values in memory: an element type, a static shape, and a row-major array whose CLR type
/// matches the element type (<c>float[]</c>, <c>sbyte[]</c>, <c>byte[]</c>, <c>short[]</c>, <c>int[]</c>, <c>long[]</c>,
/// <c>bool[]</c>). Used for constants in the graph and for values in the reference executors.
/// Treat the array as immutable once a tensor is shared.
/// </summary>
public sealed class Tensor
{
    private Tensor(ElementType elementType, Shape shape, Array data)
    {
        if (data.Length != shape.ElementCount)
            throw new ArgumentException($"tensor of shape {shape} needs {shape.ElementCount} elements, got {data.Length}");
        ElementType = elementType;
        Shape = shape;
        Data = data;
    }

    public ElementType ElementType { get; }
    public Shape Shape { get; }
    public Array Data { get; }
    public long ElementCount => Shape.ElementCount;

    public static Tensor Create<T>(Shape shape, T[] data) where T : unmanaged =>
        new(ElementTypes.FromClrType(typeof(T)), shape, data);

    public static Tensor Create(ElementType type, Shape shape, Array data)
    {
        if (data.GetType().GetElementType() != type.ClrType())
            throw new ArgumentException($"{type} tensor needs a {type.ClrType().Name}[] array, got {data.GetType().Name}");
        return new Tensor(type, shape, data);
    }

    /// <summary>A zero-filled tensor.</summary>
    public static Tensor Zeros(ElementType type, Shape shape) =>
        new(type, shape, Array.CreateInstance(type.ClrType(), checked((int)shape.ElementCount)));

    public static Tensor Scalar<T>(T value) where T : unmanaged => Create(Shape.Scalar, new[] { value });

    /// <summary>The data as <typeparamref name="T"/>[]; throws if the element type differs.</summary>
    public T[] As<T>() where T : unmanaged =>
        // An exact type check: the CLR lets an sbyte[] pass a cast to byte[] (and int[] to uint[]).
        Data.GetType() == typeof(T[]) ? (T[])Data
        : throw new InvalidCastException($"tensor holds {ElementType.OnnxName()}, not {typeof(T).Name}");

    public Span<T> Span<T>() where T : unmanaged => As<T>();

    /// <summary>Same data, new shape (element counts must agree). Shares the array.</summary>
    public Tensor Reshape(Shape shape) => new(ElementType, shape, Data);

    // The conversions below switch on ElementType, never on the array's CLR type: the CLR lets a byte[]
    // pass a type test for sbyte[] (and int[] for uint[]), so matching on arrays would misread uint8 data.

    /// <summary>The values widened to int64: for shape-like inputs (Reshape's shape, Slice's starts, …).</summary>
    public long[] ToInt64Array() => ElementType switch
    {
        ElementType.Int64 => (long[])Data,
        ElementType.Int32 => Array.ConvertAll((int[])Data, v => (long)v),
        ElementType.Int8 => Array.ConvertAll((sbyte[])Data, v => (long)v),
        ElementType.UInt8 => Array.ConvertAll((byte[])Data, v => (long)v),
        ElementType.Int16 => Array.ConvertAll((short[])Data, v => (long)v),
        ElementType.Bool => Array.ConvertAll((bool[])Data, v => v ? 1L : 0L),
        ElementType.Float32 => Array.ConvertAll((float[])Data, v => (long)v),
        _ => throw new InvalidOperationException($"cannot read {ElementType} as integers"),
    };

    /// <summary>The values converted to float32 (a copy unless already float).</summary>
    public float[] ToFloatArray() => ElementType switch
    {
        ElementType.Float32 => (float[])Data,
        ElementType.Int64 => Array.ConvertAll((long[])Data, v => (float)v),
        ElementType.Int32 => Array.ConvertAll((int[])Data, v => (float)v),
        ElementType.Int8 => Array.ConvertAll((sbyte[])Data, v => (float)v),
        ElementType.UInt8 => Array.ConvertAll((byte[])Data, v => (float)v),
        ElementType.Int16 => Array.ConvertAll((short[])Data, v => (float)v),
        ElementType.Bool => Array.ConvertAll((bool[])Data, v => v ? 1f : 0f),
        _ => throw new InvalidOperationException($"cannot read {ElementType} as floats"),
    };

    /// <summary>The value at a flat index as double, for summaries and comparisons across types.</summary>
    public double GetAsDouble(long index) => ElementType switch
    {
        ElementType.Float32 => ((float[])Data)[index],
        ElementType.Int64 => ((long[])Data)[index],
        ElementType.Int32 => ((int[])Data)[index],
        ElementType.Int8 => ((sbyte[])Data)[index],
        ElementType.UInt8 => ((byte[])Data)[index],
        ElementType.Int16 => ((short[])Data)[index],
        ElementType.Bool => ((bool[])Data)[index] ? 1 : 0,
        _ => throw new InvalidOperationException($"cannot read {ElementType}"),
    };

    public override string ToString() => $"{ElementType.OnnxName()}{Shape}";
}
