using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// What the quantization operators share: the rounding and saturation step that turns a real value into an
/// 8-bit integer, reading scales and zero points, and the checks on their types and shapes.
/// </summary>
/// <remarks>
/// Rounding is half to even (as <c>numpy.rint</c>, which the ONNX reference uses, and as the ONNX specs
/// say). A NaN quantizes to the type's minimum: that is what the ONNX reference produces on x86 (NaN cast
/// to int32 is <c>INT_MIN</c>, then clipped); the specs leave it undefined.
/// </remarks>
internal static class QuantizedValues
{
    /// <summary>True for the quantized element types Octet holds: int8 and uint8.</summary>
    public static bool IsEightBit(ElementType type) => type is ElementType.Int8 or ElementType.UInt8;

    /// <summary>
    /// <c>saturate(round_half_to_even(scaled) + zeroPoint)</c> for a value already divided by its scale
    /// (in float32, the precision of the scale).
    /// </summary>
    public static T Quantize<T>(float scaled, int zeroPoint) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (float.IsNaN(scaled)) return T.MinValue;
        // The sum is exact in double; CreateSaturating clamps it (and ±infinity) to T's range.
        return T.CreateSaturating((double)MathF.Round(scaled, MidpointRounding.ToEven) + zeroPoint);
    }

    /// <summary>As <see cref="Quantize{T}(float, int)"/> for a value computed in double precision.</summary>
    public static T Quantize<T>(double scaled, int zeroPoint) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (double.IsNaN(scaled)) return T.MinValue;
        return T.CreateSaturating(Math.Round(scaled, MidpointRounding.ToEven) + zeroPoint);
    }

    /// <summary>True for int8, uint8 and int16: the types a quantized activation can have.</summary>
    public static bool IsQuantizedActivationType(ElementType type) => type is ElementType.Int8 or ElementType.UInt8 or ElementType.Int16;

    /// <summary>The values of an int8, uint8, int16 or int32 tensor as int32 (a copy).</summary>
    /// <remarks>
    /// Dispatches on the element type, never on the array's type: the CLR lets a <c>byte[]</c> pass as an
    /// <c>sbyte[]</c> (<c>is sbyte[]</c> is true for it), so a pattern match on the array would read uint8 as int8.
    /// </remarks>
    public static int[] Widen(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Int8 => Array.ConvertAll((sbyte[])tensor.Data, v => (int)v),
        ElementType.UInt8 => Array.ConvertAll((byte[])tensor.Data, v => (int)v),
        ElementType.Int16 => Array.ConvertAll((short[])tensor.Data, v => (int)v),
        ElementType.Int32 => (int[])((int[])tensor.Data).Clone(),
        _ => throw new InvalidOperationException($"{tensor.ElementType.OnnxName()} is not a quantized integer type"),
    };

    /// <summary>The single value of a per-tensor zero point (0 when the input is omitted).</summary>
    public static int ZeroPoint(Tensor? zeroPoint) => zeroPoint is null ? 0 : Widen(zeroPoint)[0];

    /// <summary>The single value of a per-tensor scale.</summary>
    public static float Scale(Tensor scale) => scale.As<float>()[0];

    /// <summary>A scalar, or a 1-D tensor of one element: what ONNX calls per-tensor (per-layer) quantization.</summary>
    public static bool IsPerTensor(Shape shape) => shape.Rank == 0 || (shape.Rank == 1 && shape[0] == 1);

    /// <summary>
    /// Requires input <paramref name="index"/> to be int8 or uint8, or also int16 when
    /// <paramref name="int16Allowed"/> (ONNX's QuantizeLinear/DequantizeLinear from opset 21, and ONNX Runtime's
    /// com.microsoft forms).
    /// </summary>
    public static void ExpectQuantizedType(InferenceContext context, int index, string name, bool int16Allowed)
    {
        var type = context.InputType(index);
        if (IsEightBit(type) || (int16Allowed && type == ElementType.Int16)) return;
        throw context.Error($"{name} (input {index}, '{context.Node.Inputs[index]}') is {type.OnnxName()}; expected int8 or uint8" +
                            (int16Allowed ? " or int16" : type == ElementType.Int16 ? " (int16 needs opset 21, or the com.microsoft domain)" : ""));
    }

    /// <summary>Requires input <paramref name="index"/> to be a float32 scale.</summary>
    public static void ExpectScaleType(InferenceContext context, int index, string name)
    {
        var type = context.InputType(index);
        if (type != ElementType.Float32)
            throw context.Error($"{name} (input {index}, '{context.Node.Inputs[index]}') is {type.OnnxName()}; " +
                                "Octet supports float scales only");
    }

    /// <summary>Requires input <paramref name="index"/> to be int8 or uint8 (a quantized tensor or its zero point).</summary>
    public static void ExpectEightBit(InferenceContext context, int index, string name)
    {
        var type = context.InputType(index);
        if (!IsEightBit(type))
            throw context.Error($"{name} (input {index}, '{context.Node.Inputs[index]}') is {type.OnnxName()}; " +
                                "expected int8 or uint8");
    }

    /// <summary>
    /// Requires input <paramref name="index"/> to be a quantized activation of the integer plan: int8, uint8 or
    /// int16 (the 16-bit activations of integer-only transformers).
    /// </summary>
    public static void ExpectActivation(InferenceContext context, int index, string name)
    {
        var type = context.InputType(index);
        if (!IsQuantizedActivationType(type))
            throw context.Error($"{name} (input {index}, '{context.Node.Inputs[index]}') is {type.OnnxName()}; " +
                                "expected int8 or uint8 (or int16)");
    }

    /// <summary>Requires a present zero point to have the element type of the tensor it belongs to.</summary>
    public static void ExpectSameType(InferenceContext context, int zeroPointIndex, int tensorIndex, string zeroPointName, string tensorName)
    {
        if (!context.HasInput(zeroPointIndex)) return;
        var zeroPointType = context.InputType(zeroPointIndex);
        var tensorType = context.InputType(tensorIndex);
        if (zeroPointType != tensorType)
            throw context.Error($"{zeroPointName} (input {zeroPointIndex}) is {zeroPointType.OnnxName()} but {tensorName} " +
                                $"(input {tensorIndex}) is {tensorType.OnnxName()}; they must have the same type");
    }

    /// <summary>Requires a present input to be per-tensor: a scalar or a single-element 1-D tensor.</summary>
    public static void ExpectPerTensor(InferenceContext context, int index, string name)
    {
        if (!context.HasInput(index)) return;
        var shape = context.InputShape(index);
        if (!IsPerTensor(shape))
            throw context.Error($"{name} (input {index}, '{context.Node.Inputs[index]}') has shape {shape}; " +
                                "expected a scalar (per-tensor quantization)");
    }

    /// <summary>
    /// Requires between <paramref name="min"/> and <paramref name="max"/> inputs, and every input below
    /// <paramref name="min"/> present except the <paramref name="optional"/> ones.
    /// </summary>
    public static void ExpectInputCount(InferenceContext context, int min, int max, params int[] optional)
    {
        if (context.InputCount < min || context.InputCount > max)
            throw context.Error(min == max ? $"takes {min} inputs, got {context.InputCount}"
                : $"takes {min} to {max} inputs, got {context.InputCount}");
        for (int i = 0; i < min; i++)
            if (!context.HasInput(i) && Array.IndexOf(optional, i) < 0)
                throw context.Error($"input {i} is required but missing");
    }
}
