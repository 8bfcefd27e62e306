using System.Runtime.CompilerServices;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// Per-axis QuantizeLinear / DequantizeLinear: the tensor is viewed as <c>[outer, axisLength, inner]</c> in
/// memory order, and element <c>(o, a, i)</c> uses <c>scales[a]</c> and <c>zeroPoints[a]</c>. The arithmetic
/// is <see cref="EdgeQuantization"/>'s by construction: each run of <c>inner</c> elements that shares one
/// index along the axis is handed to the per-tensor method with that index's scale and zero point.
/// </summary>
public static class AxisQuantization
{
    /// <summary>float32 → int8, one scale and zero point per index along the axis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(ReadOnlySpan<float> input, Span<sbyte> output, ReadOnlySpan<float> scales, ReadOnlySpan<sbyte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        for (int row = 0, start = 0; row < outer * axisLength; row++, start += inner)
            EdgeQuantization.Quantize(input.Slice(start, inner), output.Slice(start, inner), scales[row % axisLength], zeroPoints[row % axisLength]);
    }

    /// <summary>float32 → uint8, one scale and zero point per index along the axis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(ReadOnlySpan<float> input, Span<byte> output, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        for (int row = 0, start = 0; row < outer * axisLength; row++, start += inner)
            EdgeQuantization.Quantize(input.Slice(start, inner), output.Slice(start, inner), scales[row % axisLength], zeroPoints[row % axisLength]);
    }

    /// <summary>int8 → float32, one scale and zero point per index along the axis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dequantize(ReadOnlySpan<sbyte> input, Span<float> output, ReadOnlySpan<float> scales, ReadOnlySpan<sbyte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        for (int row = 0, start = 0; row < outer * axisLength; row++, start += inner)
            EdgeQuantization.Dequantize(input.Slice(start, inner), output.Slice(start, inner), scales[row % axisLength], zeroPoints[row % axisLength]);
    }

    /// <summary>uint8 → float32, one scale and zero point per index along the axis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dequantize(ReadOnlySpan<byte> input, Span<float> output, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        for (int row = 0, start = 0; row < outer * axisLength; row++, start += inner)
            EdgeQuantization.Dequantize(input.Slice(start, inner), output.Slice(start, inner), scales[row % axisLength], zeroPoints[row % axisLength]);
    }

    /// <summary>int32 → float32 (e.g. a per-channel bias), one scale and zero point per index along the axis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dequantize(ReadOnlySpan<int> input, Span<float> output, ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints,
        int outer, int axisLength, int inner)
    {
        Check(input.Length, output.Length, scales.Length, zeroPoints.Length, outer, axisLength, inner);
        for (int row = 0, start = 0; row < outer * axisLength; row++, start += inner)
            EdgeQuantization.Dequantize(input.Slice(start, inner), output.Slice(start, inner), scales[row % axisLength], zeroPoints[row % axisLength]);
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
