namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// The percentile method: clip the rarest (100 − p) % of the values.
/// <list type="bullet">
/// <item>Symmetric activations: on |x|. The threshold T is the p-th percentile of |x| and the range is
/// [−T, T]. A symmetric grid is fixed by max |x| alone, so |x| is the one quantity to clip, and which sign
/// the rare large values have does not matter.</item>
/// <item>Asymmetric activations: on both tails of x, (100 − p) / 2 % from each. The two ends of an
/// asymmetric range move independently, so each tail is clipped on its own; splitting the budget evenly is
/// what ONNX Runtime's tool does. A tail with no rare values (a ReLU output's minimum 0) is not clipped,
/// because the first bin already holds more than the budget.</item>
/// </list>
/// The percentile is read from a 2048-bin histogram, conservatively: the threshold is the bin edge at or
/// beyond the exact percentile, so at most (100 − p) % of the values (per tail: half of it) lie outside the
/// range, and the range is never wider than [min, max]. It is therefore at most one bin width
/// (range / 2048) from the exact order statistic.
/// </summary>
public static class PercentileCalibration
{
    public static (float Min, float Max) Range(TensorStatistics statistics, double percentile, bool symmetric)
    {
        if (!(percentile > 0 && percentile <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be in (0, 100]");
        if (symmetric)
        {
            var absolute = statistics.Absolute ?? throw new InvalidOperationException($"tensor '{statistics.Name}' has no histogram");
            float threshold = (float)UpperQuantile(absolute, percentile / 100);
            return (MathF.Max(statistics.Min, -threshold), MathF.Min(statistics.Max, threshold));
        }
        var signed = statistics.Signed ?? throw new InvalidOperationException($"tensor '{statistics.Name}' has no histogram");
        double tail = (100 - percentile) / 200;
        float low = (float)LowerQuantile(signed, tail);
        float high = (float)UpperQuantile(signed, 1 - tail);
        return (MathF.Max(statistics.Min, low), MathF.Min(statistics.Max, high));
    }

    /// <summary>The smallest bin edge with at least <paramref name="fraction"/> of the values at or below it.</summary>
    public static double UpperQuantile(Histogram histogram, double fraction)
    {
        double target = fraction * histogram.Total;
        long cumulative = 0;
        for (int b = 0; b < histogram.BinCount; b++)
        {
            cumulative += histogram.Counts[b];
            if (cumulative >= target && cumulative > 0) return histogram.Edge(b + 1);
        }
        return histogram.High;
    }

    /// <summary>The largest bin edge with at most <paramref name="fraction"/> of the values below it.</summary>
    public static double LowerQuantile(Histogram histogram, double fraction)
    {
        double budget = fraction * histogram.Total;
        long cumulative = 0;
        for (int b = 0; b < histogram.BinCount; b++)
        {
            // Values below Edge(b) are those in bins before b.
            if (cumulative + histogram.Counts[b] > budget) return histogram.Edge(b);
            cumulative += histogram.Counts[b];
        }
        return histogram.High;
    }
}
