using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// The element types an operator's ONNX type constraint admits, cut down to the ones Octet tensors can
/// hold (float32, int8, uint8, int16, int32, int64, bool). Named after the ONNX constraint they stand for.
/// </summary>
internal static class ElementTypeSets
{
    /// <summary>tensor(float16/float/double/bfloat16): what Octet holds of them is float32.</summary>
    public static readonly ElementType[] Float = [ElementType.Float32];

    /// <summary>Every numeric type: float and all integers.</summary>
    public static readonly ElementType[] Numeric =
        [ElementType.Float32, ElementType.Int8, ElementType.UInt8, ElementType.Int16, ElementType.Int32, ElementType.Int64];

    /// <summary>Float and signed integers (Neg, Relu-14).</summary>
    public static readonly ElementType[] SignedNumeric =
        [ElementType.Float32, ElementType.Int8, ElementType.Int16, ElementType.Int32, ElementType.Int64];

    /// <summary>Float, int32, int64: ONNX's "high-precision numeric" types of opsets before 14.</summary>
    public static readonly ElementType[] FloatAndWideIntegers =
        [ElementType.Float32, ElementType.Int32, ElementType.Int64];

    /// <summary>Every type Octet tensors can hold.</summary>
    public static readonly ElementType[] All =
        [ElementType.Float32, ElementType.Int8, ElementType.UInt8, ElementType.Int16, ElementType.Int32, ElementType.Int64, ElementType.Bool];

    /// <summary>Index tensors (Gather's indices, Slice's starts/ends/axes/steps).</summary>
    public static readonly ElementType[] Indices = [ElementType.Int32, ElementType.Int64];
}
