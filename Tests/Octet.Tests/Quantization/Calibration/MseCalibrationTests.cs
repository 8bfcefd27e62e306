using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Xunit;
using static Octet.Tests.Quantization.Calibration.HistogramAndPercentileTests;

namespace Octet.Tests.Quantization.Calibration;

/// <summary>
/// The MSE method: its error integral against hand values and numerical integration, and its chosen range
/// against a brute-force search that quantizes the raw samples for every candidate.
/// </summary>
public sealed class MseCalibrationTests
{
    [Fact]
    public void Integral_over_whole_periods_is_scale_squared_over_twelve_per_unit()
    {
        // Grid 0, 0.25, …, 1: inside it, e(x) is a sawtooth of period 0.25 and mean square 0.25²/12.
        Assert.Equal(1 * 0.0625 / 12, MseCalibration.IntegratedSquaredError(0, 1, 0, 1, 0.25), 12);
        Assert.Equal(0.5 * 0.0625 / 12, MseCalibration.IntegratedSquaredError(0.125, 0.625, 0, 1, 0.25), 12);
        // Beyond the grid the error is the distance to its end: ∫ from 1 to 2 of (x − 1)² = 1/3; below: ∫ from −2 to 0 of x² = 8/3.
        Assert.Equal(1.0 / 3, MseCalibration.IntegratedSquaredError(1, 2, 0, 1, 0.25), 12);
        Assert.Equal(8.0 / 3, MseCalibration.IntegratedSquaredError(-2, 0, 0, 1, 0.25), 12);
        // First half period above the lowest level: ∫ from 0 to 0.125 of x² = 0.125³/3.
        Assert.Equal(Math.Pow(0.125, 3) / 3, MseCalibration.IntegratedSquaredError(0, 0.125, 0, 1, 0.25), 12);
    }

    [Theory]
    [InlineData(-0.37, 0.91, -0.5, 0.75, 0.05)]
    [InlineData(0.3, 2.9, 0, 2.55, 0.01)]
    [InlineData(-3.3, -2.1, -2.56, 2.54, 0.02)]
    public void Integral_matches_numerical_integration(double a, double b, double low, double high, double scale)
    {
        const int steps = 2_000_000;
        double h = (b - a) / steps, sum = 0;
        for (int k = 0; k < steps; k++)
        {
            double x = a + (k + 0.5) * h;
            double q = Math.Clamp(low + Math.Round((x - low) / scale) * scale, low, high);
            sum += (x - q) * (x - q) * h;
        }
        Assert.Equal(sum, MseCalibration.IntegratedSquaredError(a, b, low, high, scale), 1e-8);
    }

    [Theory]
    [InlineData(ElementType.Int8, false)]
    [InlineData(ElementType.Int8, true)]
    [InlineData(ElementType.UInt8, false)]
    public void Chosen_range_is_as_good_as_the_best_candidate_on_the_raw_samples(ElementType type, bool symmetric)
    {
        // Heavy-tailed (Laplace) values with two far outliers. With this many values, clipping the outliers
        // (cost 30² + 15²) is cheaper than the coarser grid that keeping them needs (≈ 400000 · (65/255)²/12).
        var random = new Random(21);
        var values = Enumerable.Range(0, 400_000).Select(_ =>
        {
            double u = random.NextDouble() - 0.5;
            return (float)(-Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
        }).Concat([40f, -25f]).ToArray();
        var statistics = Observe(values);
        var (min, max) = MseCalibration.Range(statistics, type, symmetric);

        // Brute force over the same candidate thresholds, each evaluated on every raw value.
        float absMax = values.Max(Math.Abs);
        double best = double.PositiveInfinity;
        for (int k = 128; k <= 2048; k += 16)
        {
            float t = absMax * k / 2048;
            best = Math.Min(best, RawSquaredError(values, MathF.Max(values.Min(), -t), MathF.Min(values.Max(), t), type, symmetric));
        }
        double chosen = RawSquaredError(values, min, max, type, symmetric);
        Assert.True(chosen <= best * 1.02, $"chosen range [{min}, {max}] has error {chosen}, the best candidate {best}");
        Assert.True(max < 20, $"the outliers should be clipped, got max {max}");
    }

    [Fact]
    public void Uniform_values_are_clipped_where_the_calculus_says()
    {
        // x uniform on [0, 1), uint8 grid over [0, T]: error ≈ T · (T/255)²/12 inside plus (1 − T)³/3 clipped.
        // d/dT = 0 gives 1 − T = T·√(3/(12·255²)), T ≈ 0.99804 — clipping a little beats keeping every value.
        var random = new Random(13);
        var values = Enumerable.Range(0, 200_000).Select(_ => (float)random.NextDouble()).ToArray();
        var (min, max) = MseCalibration.Range(Observe(values), ElementType.UInt8, symmetric: false);
        Assert.Equal(values.Min(), min);
        Assert.InRange(max, 0.9970, 0.9990);
    }

    /// <summary>Σ (x − dequantize(quantize(x)))² with ONNX QuantizeLinear semantics.</summary>
    private static double RawSquaredError(float[] values, float min, float max, ElementType type, bool symmetric)
    {
        var p = QuantizationMath.FromRange(min, max, type, symmetric);
        double sum = 0;
        foreach (float x in values)
        {
            double d = x - (QuantizationMath.Quantize(x, p.Scale, p.ZeroPoint, p.QMin, p.QMax) - p.ZeroPoint) * (double)p.Scale;
            sum += d * d;
        }
        return sum;
    }
}
