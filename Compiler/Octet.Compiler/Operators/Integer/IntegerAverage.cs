namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// The one rounded step of QAveragePool and QGlobalAveragePool: from a window's sum <c>acc</c> of
/// <c>x − x_zero_point</c> over <c>count</c> values to the output, in either requantization mode.
/// </summary>
/// <remarks>
/// fixed-point: <c>y = clamp(round_half_away(acc · M / count) + y_zp)</c> with M = M0 · 2^(shift − 31), formed
/// as one exact integer division of <c>acc · M0</c> by <c>count · 2^(31 − shift)</c> (Int128: the denominator
/// reaches 2^94) — so dividing by the count and rescaling cost a single rounding, not two.
/// <para>float: <c>y = clamp(round_half_even((float)acc * scale / count) + y_zp)</c>, left to right in float32.</para>
/// </remarks>
internal static class IntegerAverage
{
    /// <summary>The output value for one window (<paramref name="count"/> ≥ 1).</summary>
    public static int Average(Requantizer requantizer, int accumulator, int count)
    {
        if (requantizer.Mode == RequantizationMode.Float)
            return requantizer.RoundAndClamp((float)accumulator * requantizer.Scale(0) / count);
        Int128 numerator = (Int128)accumulator * requantizer.Multiplier(0);
        Int128 denominator = (Int128)count << (31 - requantizer.Shift(0));
        return requantizer.OffsetAndClamp(DivideRoundingHalfAwayFromZero(numerator, denominator));
    }

    /// <summary><c>n / d</c> rounded to the nearest integer, ties away from zero; <paramref name="denominator"/> &gt; 0.</summary>
    public static long DivideRoundingHalfAwayFromZero(Int128 numerator, Int128 denominator)
    {
        // floor((2|n| + d) / 2d) is |n| / d rounded half up; the sign is put back after, which makes ties go away from 0.
        Int128 magnitude = (2 * Int128.Abs(numerator) + denominator) / (2 * denominator);
        return (long)(numerator < 0 ? -magnitude : magnitude);
    }
}
