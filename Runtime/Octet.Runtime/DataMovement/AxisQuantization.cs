namespace Octet.Runtime.DataMovement;

/// <summary>
/// Per-axis QuantizeLinear / DequantizeLinear: the tensor is viewed as <c>[outer, axisLength, inner]</c> in
/// memory order, and element <c>(o, a, i)</c> uses <c>scales[a]</c> and <c>zeroPoints[a]</c>. The arithmetic
/// is <see cref="EdgeQuantization"/>'s, value for value.
/// </summary>
public static class AxisQuantization
{
    /// <summary>float32 → int8, one scale and zero point per index along the axis.</summary>
    public static void Quantize(ReadOnlySpan<float> input, Span<sbyte> output, ReadOnlySpan<float> scales, ReadOnlySpan<sbyte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        int index = 0;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axisLength; a++)
            {
                float scale = scales[a];
                int zeroPoint = zeroPoints[a];
                for (int i = 0; i < inner; i++, index++)
                    output[index] = (sbyte)EdgeQuantization.QuantizeValue(input[index], scale, zeroPoint, sbyte.MinValue, sbyte.MaxValue);
            }
    }

    /// <summary>float32 → uint8, one scale and zero point per index along the axis.</summary>
    public static void Quantize(ReadOnlySpan<float> input, Span<byte> output, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        int index = 0;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axisLength; a++)
            {
                float scale = scales[a];
                int zeroPoint = zeroPoints[a];
                for (int i = 0; i < inner; i++, index++)
                    output[index] = (byte)EdgeQuantization.QuantizeValue(input[index], scale, zeroPoint, byte.MinValue, byte.MaxValue);
            }
    }

    /// <summary>int8 → float32, one scale and zero point per index along the axis.</summary>
    public static void Dequantize(ReadOnlySpan<sbyte> input, Span<float> output, ReadOnlySpan<float> scales, ReadOnlySpan<sbyte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        int index = 0;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axisLength; a++)
            {
                float scale = scales[a];
                int zeroPoint = zeroPoints[a];
                for (int i = 0; i < inner; i++, index++) output[index] = (input[index] - zeroPoint) * scale;
            }
    }

    /// <summary>uint8 → float32, one scale and zero point per index along the axis.</summary>
    public static void Dequantize(ReadOnlySpan<byte> input, Span<float> output, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        int index = 0;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axisLength; a++)
            {
                float scale = scales[a];
                int zeroPoint = zeroPoints[a];
                for (int i = 0; i < inner; i++, index++) output[index] = (input[index] - zeroPoint) * scale;
            }
    }

    /// <summary>int32 → float32 (e.g. a per-channel bias), one scale and zero point per index along the axis.</summary>
    public static void Dequantize(ReadOnlySpan<int> input, Span<float> output, ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        int index = 0;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axisLength; a++)
            {
                float scale = scales[a];
                int zeroPoint = zeroPoints[a];
                for (int i = 0; i < inner; i++, index++) output[index] = ((long)input[index] - zeroPoint) * scale;
            }
    }

    private static void Check(int input, int output, int scales, int zeroPoints, int outer, int axisLength, int inner)
    {
        long count = (long)outer * axisLength * inner;
        if (input != count || output < count)
            throw new ArgumentException($"the data has {input} elements (output {output}); expected {outer} x {axisLength} x {inner} = {count}");
        if (scales != axisLength || zeroPoints != axisLength)
            throw new ArgumentException($"{scales} scales and {zeroPoints} zero points for an axis of {axisLength}");
    }
}
