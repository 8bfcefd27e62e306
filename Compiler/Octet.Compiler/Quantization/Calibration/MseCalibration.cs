using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// The MSE method: the clipping threshold whose quantization has the least expected squared error over
/// the tensor's histogram. Candidates are the thresholds T = k · max|x| / 2048 for k = 128 … 2048 (the
/// entropy method's candidates); each gives the range [max(min, −T), min(max, T)], quantized with the
/// config's actual activation type and symmetry (<see cref="QuantizationMath.FromRange"/>), so the error
/// accounts for the zero point and for an asymmetric range's 256 levels.
/// <para>
/// The error is integrated exactly under the assumption that values are spread evenly within each of the
/// 2048 bins of the signed histogram: inside the range the error is a sawtooth of period scale (mean square
/// scale²/12 over whole periods), outside it grows as the square of the distance to the range's end.
/// Evaluating at bin centers instead would misjudge small thresholds, where a quantization step is
/// narrower than a bin. Values exactly 0 are left out: 0 is exactly representable in every candidate.
/// The first threshold with the least error (the smallest) is chosen.
/// </para>
/// </summary>
public static class MseCalibration
{
    public const int FirstCandidateBins = 128;

    public static (float Min, float Max) Range(TensorStatistics statistics, ElementType type, bool symmetric)
    {
        var signed = statistics.Signed ?? throw new InvalidOperationException($"tensor '{statistics.Name}' has no histogram");
        float absMax = statistics.AbsMax;
        if (absMax == 0) return (statistics.Min, statistics.Max);
        int candidates = ActivationObserver.HistogramBins;
        double best = double.PositiveInfinity;
        (float, float) bestRange = (statistics.Min, statistics.Max);
        for (int k = FirstCandidateBins; k <= candidates; k++)
        {
            float threshold = k == candidates ? absMax : (float)((double)absMax * k / candidates);
            var range = (MathF.Max(statistics.Min, -threshold), MathF.Min(statistics.Max, threshold));
            var parameters = QuantizationMath.FromRange(range.Item1, range.Item2, type, symmetric);
            double error = ExpectedSquaredError(signed, parameters);
            if (error < best)
            {
                best = error;
                bestRange = range;
            }
        }
        return bestRange;
    }

    /// <summary>
    /// Σ over bins of count · mean over the bin of (x − dequantize(quantize(x)))², values uniform within
    /// each bin and exact zeros excluded. The sum of squared errors, not the mean: only comparisons matter.
    /// </summary>
    public static double ExpectedSquaredError(Histogram histogram, QuantizationParameters parameters)
    {
        double scale = parameters.Scale;
        double low = scale * (parameters.QMin - parameters.ZeroPoint);
        double high = scale * (parameters.QMax - parameters.ZeroPoint);
        // The grid is the storage type's full range, as QuantizeLinear clamps: symmetric int8 also has level -128.
        int zeroBin = histogram.Low <= 0 && histogram.High >= 0 ? histogram.BinOf(0) : -1;
        double width = histogram.BinWidth;
        double total = 0;
        for (int b = 0; b < histogram.BinCount; b++)
        {
            double count = histogram.Counts[b] - (b == zeroBin ? histogram.Zeros : 0);
            if (count <= 0) continue;
            if (width == 0)
            {
                double e = PointError(histogram.Low, low, high, scale);
                total += count * e * e;
                continue;
            }
            double a = histogram.Edge(b), z = histogram.Edge(b + 1);
            total += count * IntegratedSquaredError(a, z, low, high, scale) / (z - a);
        }
        return total;
    }

    private static double PointError(double x, double low, double high, double scale)
    {
        if (x <= low) return x - low;
        if (x >= high) return x - high;
        double y = (x - low) / scale;
        return scale * (y - Math.Round(y));
    }

    /// <summary>∫ from a to b of (x − Q(x))² dx for the grid low, low + scale, …, high with clamping outside it.</summary>
    public static double IntegratedSquaredError(double a, double b, double low, double high, double scale)
    {
        double result = 0;
        if (a < low)
        {
            double end = Math.Min(b, low);
            result += (Cube(end - low) - Cube(a - low)) / 3;
        }
        if (b > high)
        {
            double start = Math.Max(a, high);
            result += (Cube(b - high) - Cube(start - high)) / 3;
        }
        double u = Math.Max(a, low), v = Math.Min(b, high);
        if (u < v) result += scale * scale * scale * (Sawtooth((v - low) / scale) - Sawtooth((u - low) / scale));
        return result;
    }

    /// <summary>∫ from 0 to y of (t − round(t))² dt: 1/12 per whole period, plus the part of the current one.</summary>
    private static double Sawtooth(double y)
    {
        double n = Math.Floor(y + 0.5);
        double f = y - n;
        return n / 12 + f * f * f / 3;
    }

    private static double Cube(double x) => x * x * x;
}
