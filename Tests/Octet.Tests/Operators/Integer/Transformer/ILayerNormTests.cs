using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>
/// ILayerNorm against LayerNormalization's float definition — dequantize, mean and (population) variance,
/// (x − μ) / √(var + ε) · γ + β in double, quantize — on random rows and adversarial ones (all equal, one
/// large, extremes, values one step apart, every 8-bit value), with random γ (some negative) and β.
/// </summary>
public sealed class ILayerNormTests(ITestOutputHelper output)
{
    private const int Bound = 1;

    public static TheoryData<ElementType, ElementType> Types => new()
    {
        { ElementType.Int8, ElementType.Int8 }, { ElementType.UInt8, ElementType.Int8 }, { ElementType.Int8, ElementType.UInt8 },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void ILayerNorm_matches_the_float_definition(ElementType xType, ElementType yType)
    {
        var log = new ErrorLog(output);
        var random = new Random(5);
        var (xMin, xMax) = Range(xType);
        foreach (int channels in new[] { 8, 64, 256, 384, 768 })
        foreach (var (scale, epsilon) in new[] { (0.02f, 1e-5f), (0.1f, 1e-12f), (0.5f, 1e-5f) })
        {
            int xZeroPoint = random.Next(xMin + 20, xMax - 20);
            var gamma = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 1.6 - 0.3)).ToArray();
            var beta = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 0.6 - 0.3)).ToArray();
            // The output range covers γ·z + β for |z| up to about 4 (calibration on random rows finds roughly this).
            float reach = 4 * gamma.Max(Math.Abs) + beta.Max(Math.Abs);
            var outputParameters = QuantizationMath.FromRange(-reach, reach * (yType == ElementType.UInt8 ? 0.8f : 1f), yType, symmetric: false);
            var input = QuantizationParameters.PerTensor(xType, scale, xZeroPoint);
            var node = Node("ILayerNorm", 1, ILayerNorm.Create(input, outputParameters, gamma, beta, epsilon).Values);
            var rows = TestRows(xType, channels, random);
            var tensor = From(xType, [rows.Count, channels], rows.SelectMany(r => r).ToArray());
            var actual = Values(Run(new ILayerNorm(), node, [tensor]));
            var errors = log.For($"C={channels} s_x={scale} ε={epsilon}");
            for (int r = 0; r < rows.Count; r++)
                errors.AddAll(Expected(rows[r], scale, xZeroPoint, gamma, beta, epsilon, outputParameters), actual[(r * channels)..((r + 1) * channels)]);
        }
        log.Write($"ILayerNorm {xType}→{yType}");
        Assert.True(log.Max <= Bound, $"max error {log.Max} LSB exceeds the measured bound {Bound}");
    }

    private static int[] Expected(int[] row, float scale, int zeroPoint, float[] gamma, float[] beta, float epsilon, QuantizationParameters y)
    {
        var x = row.Select(q => (double)scale * (q - zeroPoint)).ToArray();
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();
        double deviation = Math.Sqrt(variance + epsilon);
        return x.Select((v, c) => TransformerReference.Quantize((v - mean) / deviation * gamma[c] + beta[c], y.Scale, y.ZeroPoint, y.StorageType)).ToArray();
    }

    private static List<int[]> TestRows(ElementType type, int channels, Random random)
    {
        var (min, max) = Range(type);
        var rows = new List<int[]>();
        for (int i = 0; i < 16; i++) rows.Add(Enumerable.Range(0, channels).Select(_ => random.Next(min, max + 1)).ToArray());
        for (int i = 0; i < 16; i++)
        {
            // Gaussian-looking rows of small spread around a random centre: the typical residual stream.
            int centre = random.Next(min + 30, max - 30);
            double spread = 1 + random.NextDouble() * 20;
            rows.Add(Enumerable.Range(0, channels).Select(_ =>
                (int)Math.Clamp(Math.Round(centre + spread * (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2), min, max)).ToArray());
        }
        rows.Add(Enumerable.Repeat(random.Next(min, max + 1), channels).ToArray());                          // all equal
        rows.Add(Enumerable.Range(0, channels).Select(c => c == channels / 3 ? max : min).ToArray());        // one large
        rows.Add(Enumerable.Range(0, channels).Select(c => c == 0 ? min : max).ToArray());                    // one small
        rows.Add(Enumerable.Range(0, channels).Select(c => c % 2 == 0 ? max : min).ToArray());                // extremes
        rows.Add(Enumerable.Range(0, channels).Select(c => c % 2 == 0 ? 3 : 4).ToArray());                    // one step apart
        rows.Add(Enumerable.Range(0, channels).Select(c => c == 5 ? 1 : 0).ToArray());                        // one step, once
        rows.Add(Enumerable.Range(0, channels).Select(c => min + c * 255 / Math.Max(1, channels - 1)).ToArray()); // ramp over the whole range
        return rows;
    }
}
