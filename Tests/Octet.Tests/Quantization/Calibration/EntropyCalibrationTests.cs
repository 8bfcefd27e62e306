using Octet.Compiler.Quantization.Calibration;
using Xunit;
using static Octet.Tests.Quantization.Calibration.HistogramAndPercentileTests;

namespace Octet.Tests.Quantization.Calibration;

/// <summary>
/// The KL-divergence threshold search, against a brute-force oracle written here from the method's
/// description (TensorRT's GTC 2017 slides, ONNX Runtime's calibrate.py): it builds P and Q bin by bin
/// for every candidate and sums p̂ ln(p̂ / q̂) directly, where the implementation uses prefix sums.
/// </summary>
public sealed class EntropyCalibrationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Matches_the_brute_force_oracle_on_heavy_tailed_data(int seed)
    {
        var values = Laplace(seed, 200_000, scale: 1).Concat(Enumerable.Repeat(0f, 30_000)).ToArray();
        var absolute = Observe(values).Absolute!;
        Assert.Equal(OracleThreshold(absolute), EntropyCalibration.Threshold(absolute));
    }

    [Fact]
    public void Matches_the_oracle_when_clipping_would_empty_a_level()
    {
        // Few, spread-out values: many empty bins, so some candidates put clipped mass where Q is zero.
        var random = new Random(9);
        var values = Enumerable.Range(0, 400).Select(_ => (float)Math.Pow(random.NextDouble(), 4) * 100).ToArray();
        var absolute = Observe(values).Absolute!;
        Assert.Equal(OracleThreshold(absolute), EntropyCalibration.Threshold(absolute));
    }

    [Fact]
    public void Clips_a_far_outlier_of_a_gaussian()
    {
        // N(0, 1) with a few values at ±50: the threshold lands in the Gaussian's tail, nowhere near 50.
        var random = new Random(4);
        var values = Enumerable.Range(0, 300_000).Select(_ => (float)Gaussian(random)).Concat([50f, -50f, 49f]).ToArray();
        var statistics = Observe(values);
        double threshold = EntropyCalibration.Threshold(statistics.Absolute!);
        Assert.InRange(threshold, 2.0, 10.0);
        var (min, max) = EntropyCalibration.Range(statistics);
        Assert.Equal(-threshold, min, 1e-5);
        Assert.Equal(threshold, max, 1e-5);
    }

    [Fact]
    public void Exact_zeros_do_not_move_the_threshold()
    {
        // ReLU output: the positive half of a Gaussian plus as many exact zeros. Same bins either way.
        var random = new Random(8);
        var positive = Enumerable.Range(0, 100_000).Select(_ => (float)Math.Abs(Gaussian(random))).ToArray();
        var withZeros = positive.Concat(new float[100_000]).ToArray();
        Assert.Equal(EntropyCalibration.Threshold(Observe(positive).Absolute!), EntropyCalibration.Threshold(Observe(withZeros).Absolute!));
    }

    [Fact]
    public void All_zero_tensor_gets_a_zero_range()
    {
        var statistics = Observe(new float[1000]);
        Assert.Equal((0f, 0f), EntropyCalibration.Range(statistics));
    }

    [Fact]
    public void Range_never_exceeds_the_observed_values()
    {
        // A ReLU-like tensor: nothing below 0, so the range's lower end is 0, not -T.
        var values = Laplace(2, 50_000, 1).Select(v => Math.Max(v, 0)).ToArray();
        var (min, max) = EntropyCalibration.Range(Observe(values));
        Assert.Equal(0f, min);
        Assert.True(max <= values.Max());
    }

    /// <summary>
    /// The method written out plainly: for i = 128 … n bins, P = bins[0, i) with the counts of bins ≥ i added
    /// to P[i−1]; Q = bins[0, i) merged into 128 levels of ⌊i/128⌋ bins (the last level takes the rest), each
    /// level's total spread evenly over its bins where P ≠ 0; both normalized; KL = Σ p ln(p/q) over p > 0,
    /// infinite if some q = 0 there. Exact zeros are removed from bin 0 first. Returns the upper edge of the
    /// first candidate with the least KL.
    /// </summary>
    private static double OracleThreshold(Histogram histogram)
    {
        int n = histogram.BinCount;
        var bins = histogram.Counts.Select(c => (double)c).ToArray();
        bins[0] -= histogram.Zeros;
        double bestKl = double.PositiveInfinity;
        int bestI = n;
        for (int i = 128; i <= n; i++)
        {
            var p = new double[i];
            Array.Copy(bins, p, i);
            for (int j = i; j < n; j++) p[i - 1] += bins[j];

            var q = new double[i];
            int width = i / 128;
            for (int level = 0; level < 128; level++)
            {
                int start = level * width, end = level == 127 ? i : start + width;
                double levelTotal = 0;
                int nonzero = 0;
                for (int j = start; j < end; j++)
                {
                    levelTotal += bins[j];
                    if (p[j] != 0) nonzero++;
                }
                for (int j = start; j < end; j++) q[j] = p[j] != 0 ? levelTotal / nonzero : 0;
            }

            double sumP = p.Sum(), sumQ = q.Sum();
            double kl = 0;
            for (int j = 0; j < i; j++)
            {
                if (p[j] == 0) continue;
                if (q[j] == 0) { kl = double.PositiveInfinity; break; }
                double pj = p[j] / sumP, qj = q[j] / sumQ;
                kl += pj * Math.Log(pj / qj);
            }
            // Ties within rounding noise (the implementation sums in another order) resolve to the first.
            if (kl < bestKl - 1e-12)
            {
                bestKl = kl;
                bestI = i;
            }
        }
        return histogram.Edge(bestI);
    }

    private static float[] Laplace(int seed, int count, double scale)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            double u = random.NextDouble() - 0.5;
            return (float)(-scale * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
        }).ToArray();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
