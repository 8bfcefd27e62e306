using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// Widening and narrowing between float32 and the 8-bit integer types for kernels that compute on floats.
/// Dispatches on the element type, never on the array's runtime type: the CLR lets a byte[] pass as an sbyte[]
/// (and the reverse), so a pattern match on array types can misread uint8 data as int8.
/// </summary>
internal static class SmallIntegers
{
    /// <summary>The values of a float32, int8 or uint8 tensor as floats (exact for the integer types).</summary>
    public static float[] ToFloats(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Float32 => tensor.As<float>(),
        ElementType.Int8 => Array.ConvertAll(tensor.As<sbyte>(), v => (float)v),
        ElementType.UInt8 => Array.ConvertAll(tensor.As<byte>(), v => (float)v),
        _ => throw new InvalidOperationException($"expected a float, int8 or uint8 tensor, got {tensor}"),
    };

    /// <summary>A tensor of <paramref name="type"/> from float values: integers rounded half to even, then saturated.</summary>
    public static Tensor FromFloats(ElementType type, Shape shape, float[] values) => type switch
    {
        ElementType.Float32 => Tensor.Create(shape, values),
        ElementType.Int8 => Tensor.Create(shape, Array.ConvertAll(values, v => (sbyte)Math.Clamp(MathF.Round(v), sbyte.MinValue, sbyte.MaxValue))),
        ElementType.UInt8 => Tensor.Create(shape, Array.ConvertAll(values, v => (byte)Math.Clamp(MathF.Round(v), byte.MinValue, byte.MaxValue))),
        _ => throw new InvalidOperationException($"cannot make a {type.OnnxName()} tensor from floats"),
    };
}
