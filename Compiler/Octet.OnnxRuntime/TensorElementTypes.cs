namespace Octet.OnnxRuntime;

/// <summary>
/// Which managed array holds each element type. Every type listed here has the same size and bit layout
/// in .NET as in ONNX Runtime (bool is one byte holding 0 or 1 in both), so tensors move as raw bytes.
/// </summary>
public static class TensorElementTypes
{
    /// <summary>The CLR element type for <paramref name="type"/>, or null if this binding cannot hold it.</summary>
    public static Type? ClrType(this TensorElementType type) => type switch
    {
        TensorElementType.Float => typeof(float),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.UInt16 => typeof(ushort),
        TensorElementType.Int16 => typeof(short),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.Bool => typeof(bool),
        TensorElementType.Float16 => typeof(Half),
        TensorElementType.Double => typeof(double),
        TensorElementType.UInt32 => typeof(uint),
        TensorElementType.UInt64 => typeof(ulong),
        _ => null,
    };

    /// <summary>The element type whose tensors are held in arrays of <paramref name="clrType"/>, if any.</summary>
    public static TensorElementType? FromClrType(Type clrType)
    {
        foreach (TensorElementType type in Enum.GetValues<TensorElementType>())
        {
            if (type.ClrType() == clrType)
                return type;
        }
        return null;
    }

    /// <summary>Bytes per element for the types <see cref="ClrType"/> supports.</summary>
    internal static int SizeOf(this TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 1,
        TensorElementType.UInt16 or TensorElementType.Int16 or TensorElementType.Float16 => 2,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double => 8,
        _ => throw new NotSupportedException($"tensor element type {type} is not supported by this binding"),
    };
}
