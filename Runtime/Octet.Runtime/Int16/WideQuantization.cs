using System.Runtime.CompilerServices;
using Octet.Runtime.DataMovement;

namespace Octet.Runtime.Int16;

/// <summary>
/// Per-tensor QuantizeLinear / DequantizeLinear with an int16 side, exactly as ONNX defines them (the int16 forms of
/// <see cref="EdgeQuantization"/>, same rules): quantize <c>q = saturate(round_half_to_even(x / scale) + zeroPoint)</c>
/// with the division in float32 and NaN to the type's minimum; dequantize <c>x = (float)(q − zeroPoint) · scale</c> in
/// float32 (q − zeroPoint is at most 2^16 in magnitude, exact as a float32). Used for an int16 tensor dequantized at a
/// model's output (the class head of a transformer with a 16-bit stream) or quantized at its input.
/// </summary>
public static class WideQuantization
{
    /// <summary>float32 → int16. <paramref name="output"/> must be at least as long as <paramref name="input"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(ReadOnlySpan<float> input, Span<short> output, float scale, int zeroPoint)
    {
        output = output[..input.Length];
        for (int i = 0; i < input.Length; i++)
            output[i] = (short)EdgeQuantization.QuantizeValue(input[i], scale, zeroPoint, short.MinValue, short.MaxValue);
    }

    /// <summary>int32 → int16 (QuantizeLinear accepts int32 x; it is converted to float32 before the division).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(ReadOnlySpan<int> input, Span<short> output, float scale, int zeroPoint)
    {
        output = output[..input.Length];
        for (int i = 0; i < input.Length; i++)
            output[i] = (short)EdgeQuantization.QuantizeValue(input[i], scale, zeroPoint, short.MinValue, short.MaxValue);
    }

    /// <summary>int16 → float32. <paramref name="output"/> must be at least as long as <paramref name="input"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dequantize(ReadOnlySpan<short> input, Span<float> output, float scale, int zeroPoint)
    {
        output = output[..input.Length];
        for (int i = 0; i < input.Length; i++) output[i] = (input[i] - zeroPoint) * scale;
    }
}
