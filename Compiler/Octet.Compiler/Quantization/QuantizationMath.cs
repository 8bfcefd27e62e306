using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization;

/// <summary>
/// The arithmetic every quantization stage shares, written once: choosing scale and zero point from a
/// range, quantizing a value, and turning a real multiplier into a fixed-point (M0, shift) pair. See
/// docs/integer-arithmetic.md for where each convention comes from.
/// </summary>
public static class QuantizationMath
{
    /// <summary>
    /// Scale and zero point for the real range [min, max], as ONNX Runtime's quantization tool chooses them:
    /// the range is widened to include 0 (so 0 is exactly representable: zero padding, ReLU), then
    /// scale = (max − min) / (qmax − qmin) and zp = round_half_even(qmin − min / scale). Symmetric ranges use
    /// ±max(|min|, |max|) with zp = 0 (int8, int16) or 128 (uint8). Symmetric int8 uses [−127, 127] and symmetric
    /// int16 [−32767, 32767] (TFLite's 16x8 scheme) so that negation never overflows. A degenerate range (all
    /// zeros) gets scale 1.
    /// </summary>
    public static QuantizationParameters FromRange(float min, float max, ElementType type, bool symmetric)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || min > max)
            throw new ArgumentException($"invalid range [{min}, {max}]");
        min = MathF.Min(min, 0);
        max = MathF.Max(max, 0);
        var (qmin, qmax) = type switch
        {
            ElementType.Int8 => (symmetric ? -127 : -128, 127),
            ElementType.UInt8 => (0, 255),
            ElementType.Int16 => (symmetric ? -32767 : -32768, 32767),
            _ => throw new ArgumentException($"activations and weights are quantized to int8, uint8 or int16, not {type}"),
        };
        if (symmetric)
        {
            float absMax = MathF.Max(MathF.Abs(min), MathF.Abs(max));
            min = -absMax;
            max = absMax;
        }
        float scale = (max - min) / (qmax - qmin);
        // An all-zero range: any scale represents it exactly; 1 with zero at 0 (128 for symmetric uint8).
        if (!(scale > 0) || !float.IsFinite(scale))
            return QuantizationParameters.PerTensor(type, 1f, symmetric && type == ElementType.UInt8 ? 128 : 0);
        int zeroPoint = symmetric
            ? (type == ElementType.UInt8 ? 128 : 0)
            : (int)Math.Clamp(MathF.Round(qmin - min / scale, MidpointRounding.ToEven), qmin, qmax);
        return QuantizationParameters.PerTensor(type, scale, zeroPoint);
    }

    /// <summary>ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zp), the division in float32.</summary>
    public static int Quantize(float x, float scale, int zeroPoint, int qmin, int qmax)
    {
        float q = MathF.Round(x / scale, MidpointRounding.ToEven);
        // Compare in float before converting: NaN and huge values must saturate, not wrap.
        float shifted = q + zeroPoint;
        if (float.IsNaN(shifted)) return Math.Clamp(zeroPoint, qmin, qmax);
        if (shifted <= qmin) return qmin;
        if (shifted >= qmax) return qmax;
        return (int)shifted;
    }

    /// <summary>
    /// A positive real multiplier M &lt; 2^31 as M0 · 2^(shift − 31) with M0 in [2^30, 2^31): the dyadic form
    /// integer-only requantization multiplies by (frexp, then round half away from zero, as gemmlowp and
    /// TFLite do). Returns (0, 0) for M = 0.
    /// </summary>
    public static (int Multiplier, int Shift) ToFixedPoint(double m)
    {
        if (m < 0 || double.IsNaN(m) || double.IsInfinity(m)) throw new ArgumentOutOfRangeException(nameof(m), m, "multiplier must be finite and non-negative");
        if (m == 0) return (0, 0);
        int exponent = (int)Math.Floor(Math.Log2(m)) + 1;
        double q = m / Math.Pow(2, exponent); // in [0.5, 1)
        // Correct the rare off-by-one of Log2 near powers of two.
        while (q >= 1) { q /= 2; exponent++; }
        while (q < 0.5) { q *= 2; exponent--; }
        long m0 = (long)Math.Round(q * (1L << 31), MidpointRounding.AwayFromZero);
        if (m0 == 1L << 31) { m0 /= 2; exponent++; }
        if (exponent > 31) throw new ArgumentOutOfRangeException(nameof(m), m, "multiplier too large for fixed-point requantization");
        return ((int)m0, exponent);
    }

    /// <summary>
    /// Integer-only requantization of an int32 accumulator by M0 · 2^(shift − 31) with a single rounding,
    /// ties toward +∞: (acc · M0 + 2^(30 − shift)) >> (31 − shift). The 64-bit product is exact for every
    /// int32 acc and M0 &lt; 2^31, so the result is the correctly rounded value of acc · M.
    /// </summary>
    public static int MultiplyByFixedPoint(int acc, int multiplier, int shift)
    {
        int rightShift = 31 - shift;
        long product = (long)acc * multiplier;
        // |product| < 2^62, so shifting right by 63 or more leaves |value| < 1/2, which rounds to 0; computing
        // it would overflow the rounding constant and wrap the shift count.
        if (rightShift >= 63) return 0;
        if (rightShift <= 0)
        {
            // Left shifts saturate: anything that does not fit in int32 clamps (shifts ≥ 32 always do unless 0).
            if (product == 0) return 0;
            if (-rightShift >= 32) return product > 0 ? int.MaxValue : int.MinValue;
            Int128 shifted = (Int128)product << -rightShift;
            return shifted > int.MaxValue ? int.MaxValue : shifted < int.MinValue ? int.MinValue : (int)shifted;
        }
        long rounded = (product + (1L << (rightShift - 1))) >> rightShift;
        return (int)Math.Clamp(rounded, int.MinValue, int.MaxValue);
    }
}
