using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Calibration;
using Xunit;

namespace Octet.Tests.Quantization.Calibration;

/// <summary>The fixed-range histogram and the percentile method, against order statistics computed by sorting.</summary>
public sealed class HistogramAndPercentileTests
{
    [Fact]
    public void Histogram_bins_values_counts_zeros_and_clamps_strays()
    {
        var h = new Histogram(-2, 2, 4); // bins [-2,-1) [-1,0) [0,1) [1,2]
        h.Add([-2f, -1.5f, -1f, -0.25f, 0f, 0f, 0.5f, 1f, 2f, 5f, -7f]);
        Assert.Equal(new long[] { 3, 2, 3, 3 }, h.Counts);
        Assert.Equal(11, h.Total);
        Assert.Equal(2, h.Zeros);
        Assert.Equal(-1.0, h.Edge(1));
        Assert.Equal(2.0, h.Edge(4));
        Assert.Equal(0.5, h.Center(2));
        Assert.Equal(1.0, h.BinWidth);
    }

    [Fact]
    public void Absolute_histogram_bins_magnitudes()
    {
        var h = new Histogram(0, 4, 4);
        h.AddAbsolute([-3.5f, 3.5f, -0.5f, 0f, 4f]);
        Assert.Equal(new long[] { 2, 0, 0, 3 }, h.Counts);
        Assert.Equal(1, h.Zeros);
    }

    [Fact]
    public void Zero_width_range_puts_everything_in_the_first_bin()
    {
        var h = new Histogram(0, 0, 8);
        h.AddAbsolute([0f, 0f, 0f]);
        Assert.Equal(3, h.Counts[0]);
        Assert.Equal(3, h.Zeros);
    }

    [Fact]
    public void Symmetric_percentile_is_the_bin_edge_at_or_just_above_the_order_statistic_of_abs_x()
    {
        // |x| = 1, 2, …, 100000 with random signs: the 99th percentile of |x| is exactly 99000.
        var random = new Random(7);
        var values = Enumerable.Range(1, 100_000).Select(v => random.Next(2) == 0 ? (float)v : -(float)v).ToArray();
        var statistics = Observe(values);
        var (min, max) = PercentileCalibration.Range(statistics, 99, symmetric: true);
        double width = 100_000.0 / ActivationObserver.HistogramBins;
        Assert.Equal(-max, min);
        Assert.InRange(max, 99_000, 99_000 + width);
        // Conservative: at most 1 % of |x| lies beyond the threshold.
        Assert.True(values.Count(v => Math.Abs(v) > max) <= 1000);
    }

    [Fact]
    public void Asymmetric_percentile_clips_half_the_budget_from_each_tail()
    {
        // x = -50000 … 49999, shuffled; 99 % kept → 0.5 % (500 values) clipped per tail.
        var random = new Random(11);
        var values = Enumerable.Range(-50_000, 100_000).Select(v => (float)v).OrderBy(_ => random.Next()).ToArray();
        var sorted = values.OrderBy(v => v).ToArray();
        var statistics = Observe(values);
        var (min, max) = PercentileCalibration.Range(statistics, 99, symmetric: false);
        double width = 99_999.0 / ActivationObserver.HistogramBins;
        float lowOrder = sorted[500], highOrder = sorted[^501]; // -49500 and 49499
        Assert.InRange(min, lowOrder - width, lowOrder);
        Assert.InRange(max, highOrder, highOrder + width);
        Assert.True(values.Count(v => v < min) <= 500);
        Assert.True(values.Count(v => v > max) <= 500);
    }

    [Fact]
    public void Percentile_100_is_the_observed_range()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * 7 - 2)).ToArray();
        var statistics = Observe(values);
        Assert.Equal((values.Min(), values.Max()), PercentileCalibration.Range(statistics, 100, symmetric: false));
        var (min, max) = PercentileCalibration.Range(statistics, 100, symmetric: true);
        Assert.Equal(values.Min(), min);
        Assert.Equal(values.Max(), max, 1e-5f);
    }

    [Fact]
    public void Symmetric_percentile_ignores_a_rare_outlier_and_keeps_the_observed_bounds()
    {
        // 10^5 values uniform in [0, 1) and one at -1000: 99.99 % of |x| is below ~1, so the outlier is clipped;
        // the range never extends past the observed maximum.
        var random = new Random(5);
        var values = Enumerable.Range(0, 100_000).Select(_ => (float)random.NextDouble()).Append(-1000f).ToArray();
        var (min, max) = PercentileCalibration.Range(Observe(values), 99.99, symmetric: true);
        double width = 1000.0 / ActivationObserver.HistogramBins;
        // The threshold on |x| is the edge of the bin holding the largest uniform values (bins are ~0.49 wide):
        // it clips the outlier to about -1.46, and the top stays at the observed maximum.
        Assert.Equal(values.Max(), max);
        Assert.InRange(min, -(1 + width), -1);
    }

    /// <summary>Both passes of the observer over one tensor holding <paramref name="values"/>, fed in chunks.</summary>
    internal static TensorStatistics Observe(float[] values)
    {
        var observer = new ActivationObserver(["t"]);
        for (int pass = 0; pass < 2; pass++)
        {
            for (int start = 0; start < values.Length; start += 1000)
            {
                var chunk = values[start..Math.Min(values.Length, start + 1000)];
                observer.Observe("t", Tensor.Create(new Shape(chunk.Length), chunk));
            }
            if (pass == 0) observer.StartHistogramPass();
        }
        return observer.Statistics["t"];
    }
}
