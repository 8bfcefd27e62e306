using System.Runtime.CompilerServices;

namespace Octet.Runtime.Int8;

/// <summary>
/// The one rounded step of QAveragePool and QGlobalAveragePool: from a window's sum of <c>x − x_zero_point</c>
/// over <c>count</c> values to the output. The specification is the compiler's <c>IntegerAverage</c>.
/// </summary>
public static class Average
{
    /// <summary>
    /// Fixed-point mode: <c>clamp(round_half_away(acc · M0 / (count · 2^(31 − shift))) + zeroPoint, min, max)</c>,
    /// one exact division, so dividing by the count and rescaling round once.
    /// </summary>
    /// <param name="sum">Σ (x − x_zero_point) over the window.</param>
    /// <param name="count">The divisor (≥ 1).</param>
    /// <param name="multiplier">M0.</param>
    /// <param name="shift">The exponent: M = M0 · 2^(shift − 31).</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound.</param>
    /// <param name="max">The upper clamp bound.</param>
    public static int FixedPoint(int sum, int count, int multiplier, int shift, int zeroPoint, int min, int max)
    {
        // The usual case in 64-bit integers: |sum · M0| < 2^62, and while the denominator count · 2^r stays below 2^62
        // the rounded quotient (2·|n| + d) / (2·d) fits ulong throughout. Int128 division is a software routine some
        // ten times slower, which made a 1280-channel global average pool cost as much as a convolution.
        int rightShift = 31 - shift;
        if (count >= 1 && (uint)rightShift <= 61u && (ulong)count < 1UL << (62 - rightShift))
        {
            long product = (long)sum * multiplier;
            ulong denominator = (ulong)count << rightShift;
            ulong quotient = (2 * (ulong)Math.Abs(product) + denominator) / (2 * denominator);
            return Requantization.OffsetAndClamp(product < 0 ? -(long)quotient : (long)quotient, zeroPoint, min, max);
        }
        return FixedPointWide(sum, count, multiplier, shift, zeroPoint, min, max);
    }

    /// <summary>The specification of <see cref="FixedPoint"/>, in Int128 for every shift.</summary>
    internal static int FixedPointWide(int sum, int count, int multiplier, int shift, int zeroPoint, int min, int max)
    {
        Int128 numerator = (Int128)sum * multiplier;
        // The denominator reaches count · 2^94 for the smallest shifts: Int128 holds it (shift ≥ −32 in valid plans).
        Int128 denominator = (Int128)count << (31 - shift);
        Int128 magnitude = (2 * Int128.Abs(numerator) + denominator) / (2 * denominator);
        long rounded = (long)(numerator < 0 ? -magnitude : magnitude);
        return Requantization.OffsetAndClamp(rounded, zeroPoint, min, max);
    }

    /// <summary>Float mode: <c>RoundAndClamp((float)sum * scale / count)</c>, left to right in float32.</summary>
    /// <param name="sum">Σ (x − x_zero_point) over the window.</param>
    /// <param name="count">The divisor (≥ 1).</param>
    /// <param name="scale">The float32 scale s_x / s_y.</param>
    /// <param name="zeroPoint">The output zero point.</param>
    /// <param name="min">The lower clamp bound.</param>
    /// <param name="max">The upper clamp bound.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Float(int sum, int count, float scale, int zeroPoint, int min, int max) =>
        Requantization.RoundAndClamp((float)sum * scale / count, zeroPoint, min, max);
}
