namespace Octet.Compiler.Graph;

/// <summary>
/// Element types, numbered as ONNX's <c>TensorProto.DataType</c> so that conversion is a cast. Octet's
/// executors compute on <see cref="Float32"/>, <see cref="Int8"/>, <see cref="UInt8"/>, <see cref="Int16"/>
/// (16-bit quantized activations), <see cref="Int32"/>, <see cref="Int64"/> and <see cref="Bool"/>; <see cref="Float16"/> only appears in files and is widened to
/// float32 on load. The others exist so that error messages can name what a file contains.
/// </summary>
public enum ElementType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
}

public static class ElementTypes
{
    /// <summary>True for the element types tensors can hold in memory in Octet.</summary>
    public static bool IsSupported(this ElementType type) => type is
        ElementType.Float32 or ElementType.Int8 or ElementType.UInt8 or ElementType.Int16 or
        ElementType.Int32 or ElementType.Int64 or ElementType.Bool;

    public static bool IsInteger(this ElementType type) => type is
        ElementType.Int8 or ElementType.UInt8 or ElementType.Int16 or ElementType.Int32 or ElementType.Int64;

    /// <summary>Bytes per element for supported types (bool is stored as one byte).</summary>
    public static int SizeInBytes(this ElementType type) => type switch
    {
        ElementType.Float32 or ElementType.Int32 => 4,
        ElementType.Int64 => 8,
        ElementType.Int16 => 2,
        ElementType.Int8 or ElementType.UInt8 or ElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a supported element type"),
    };

    /// <summary>The CLR array element type that holds values of <paramref name="type"/>.</summary>
    public static Type ClrType(this ElementType type) => type switch
    {
        ElementType.Float32 => typeof(float),
        ElementType.Int8 => typeof(sbyte),
        ElementType.UInt8 => typeof(byte),
        ElementType.Int16 => typeof(short),
        ElementType.Int32 => typeof(int),
        ElementType.Int64 => typeof(long),
        ElementType.Bool => typeof(bool),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a supported element type"),
    };

    public static ElementType FromClrType(Type type) =>
        type == typeof(float) ? ElementType.Float32 :
        type == typeof(sbyte) ? ElementType.Int8 :
        type == typeof(byte) ? ElementType.UInt8 :
        type == typeof(short) ? ElementType.Int16 :
        type == typeof(int) ? ElementType.Int32 :
        type == typeof(long) ? ElementType.Int64 :
        type == typeof(bool) ? ElementType.Bool :
        throw new ArgumentOutOfRangeException(nameof(type), type, "no Octet element type for this CLR type");

    /// <summary>Lower-case name as ONNX documentation spells it (float, int8, …).</summary>
    public static string OnnxName(this ElementType type) => type switch
    {
        ElementType.Float32 => "float",
        ElementType.Float64 => "double",
        ElementType.Float16 => "float16",
        ElementType.BFloat16 => "bfloat16",
        _ => type.ToString().ToLowerInvariant(),
    };
}
