using System.Runtime.CompilerServices;

namespace Octet.Runtime.Int8;

/// <summary>
/// The last step of every integer operator with a quantized output: from an int32 accumulator to an 8-bit value
/// of the output type, in either requantization mode. The specification is the compiler's <c>Requantizer</c>
/// (<c>Requantize</c>, <c>OffsetAndClamp</c>, <c>RoundAndClamp</c>); these give the identical integers.
/// </summary>
public static class Requantization
{
    /// <summary>Fixed-point mode: <c>clamp(MultiplyByFixedPoint(acc, M0, shift) + zeroPoint, min, max)</c>.</summary>
    /// <param name="accumulator">The int32 accumulator.</param>
    /// <param name="multiplier">M0.</param>
    /// <param name="shift">The exponent: M = M0 · 2^(shift − 31).</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound (the type's minimum, or higher for a fused ReLU/Clip).</param>
    /// <param name="max">The upper clamp bound.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FixedPoint(int accumulator, int multiplier, int shift, int zeroPoint, int min, int max) =>
        OffsetAndClamp(Int8.FixedPoint.MultiplyByFixedPoint(accumulator, multiplier, shift), zeroPoint, min, max);

    /// <summary>Float mode: <c>RoundAndClamp((float)acc * scale)</c>, one float32 multiply as ONNX Runtime's MLAS does.</summary>
    /// <param name="accumulator">The int32 accumulator.</param>
    /// <param name="scale">The float32 scale.</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound.</param>
    /// <param name="max">The upper clamp bound.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Float(int accumulator, float scale, int zeroPoint, int min, int max) =>
        RoundAndClamp((float)accumulator * scale, zeroPoint, min, max);

    /// <summary>The integer paths' last step: <c>clamp(value + zeroPoint, min, max)</c> without overflow.</summary>
    /// <param name="value">The rescaled value.</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound.</param>
    /// <param name="max">The upper clamp bound.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OffsetAndClamp(long value, int zeroPoint, int min, int max)
    {
        long shifted = value + zeroPoint;
        return shifted < min ? min : shifted > max ? max : (int)shifted;
    }

    /// <summary>
    /// The float paths' last step, in MLAS's order: clamp to <c>[min − zeroPoint, max − zeroPoint]</c> in float32,
    /// round half to even, add the zero point (and clamp again, which only matters for NaN).
    /// </summary>
    /// <param name="value">The scaled value, before the zero point.</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound.</param>
    /// <param name="max">The upper clamp bound.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RoundAndClamp(float value, int zeroPoint, int min, int max)
    {
        float clamped = Math.Clamp(value, (float)(min - zeroPoint), (float)(max - zeroPoint));
        return Math.Clamp((int)MathF.Round(clamped, MidpointRounding.ToEven) + zeroPoint, min, max);
    }
}
