using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>
/// ILayerNorm with int16 input and/or output against LayerNormalization's float definition (dequantize, mean and
/// population variance, (x − μ)/√(var + ε) · γ + β in double, quantize half to even), as
/// <see cref="ILayerNormTests"/> does at 8 bits: random rows over the whole int16 range, residual-like rows (a
/// small spread around a centre), all equal, one large, extremes, one step apart, a full-range ramp; C up to the
/// int16 limit of 1,290, which is enforced.
/// </summary>
public sealed class Int16LayerNormTests(ITestOutputHelper output)
{
    private const int Bound = 1;

    public static TheoryData<ElementType, ElementType> Types => new()
    {
        { ElementType.Int16, ElementType.Int16 }, { ElementType.Int16, ElementType.Int8 }, { ElementType.Int8, ElementType.Int16 },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void ILayerNorm_with_16_bit_activations_matches_the_float_definition(ElementType xType, ElementType yType)
    {
        var log = new ErrorLog(output);
        var random = new Random(1290);
        foreach (int channels in new[] { 8, 64, 384, 768, 1290 })
        foreach (var (stream, epsilon) in new[] { (1e-4f, 1e-5f), (3e-3f, 1e-12f), (0.02f, 1e-5f) })
        {
            // An int16 step is a 256th of an 8-bit step of the same range.
            float scale = xType == ElementType.Int16 ? stream : stream * 256;
            int xZeroPoint = xType == ElementType.Int16 ? 0 : random.Next(-100, 100);
            var gamma = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 1.6 - 0.3)).ToArray();
            var beta = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 0.6 - 0.3)).ToArray();
            float reach = 4 * gamma.Max(Math.Abs) + beta.Max(Math.Abs);
            var outputParameters = yType == ElementType.Int16
                ? QuantizationParameters.PerTensor(ElementType.Int16, reach / 32767, 0)
                : QuantizationMath.FromRange(-reach, reach, yType, symmetric: false);
            var input = QuantizationParameters.PerTensor(xType, scale, xZeroPoint);
            var node = Node("ILayerNorm", 1, ILayerNorm.Create(input, outputParameters, gamma, beta, epsilon).Values);
            var rows = TestRows(xType, channels, random);
            var tensor = Int16Values.From(xType, [rows.Count, channels], rows.SelectMany(r => r).ToArray());
            var actual = Int16Values.Values(Run(new ILayerNorm(), node, [tensor]));
            var errors = log.For($"C={channels} s_x={scale} ε={epsilon}");
            for (int r = 0; r < rows.Count; r++)
                errors.AddAll(Expected(rows[r], scale, xZeroPoint, gamma, beta, epsilon, outputParameters), actual[(r * channels)..((r + 1) * channels)]);
        }
        log.Write($"ILayerNorm {xType}→{yType}");
        Assert.True(log.Max <= Bound, $"max error {log.Max} LSB exceeds the measured bound {Bound}");
    }

    [Fact]
    public void More_than_1290_channels_of_an_int16_input_are_refused_naming_the_node()
    {
        var gamma = Enumerable.Repeat(1f, 1291).ToArray();
        var wide = QuantizationParameters.PerTensor(ElementType.Int16, 1e-3f, 0);
        var error = Assert.Throws<ArgumentException>(() => ILayerNorm.Create(wide, wide, gamma, null, 1e-5f));
        Assert.Contains("1 to 1290 channels", error.Message);
        // Attributes built for an 8-bit input (where 1,291 channels are fine), then given an int16 tensor.
        var narrow = QuantizationParameters.PerTensor(ElementType.Int8, 1e-3f, 0);
        var node = Node("ILayerNorm", 1, ILayerNorm.Create(narrow, wide, gamma, null, 1e-5f).Values);
        AssertRejected(new ILayerNorm(), node, [Int16Values.From(ElementType.Int16, [1, 1291], new int[1291])], "at most 1290 for an int16 input");
        Assert.Equal(4, Run(new ILayerNorm(), Node("ILayerNorm", 1, ILayerNorm.Create(wide, wide, gamma[..1290], null, 1e-5f).Values),
            [Int16Values.Random(new Random(1), ElementType.Int16, [4, 1290])]).Shape[0]);
    }

    private static int[] Expected(int[] row, float scale, int zeroPoint, float[] gamma, float[] beta, float epsilon, QuantizationParameters y)
    {
        var x = row.Select(q => (double)scale * (q - zeroPoint)).ToArray();
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();
        double deviation = Math.Sqrt(variance + epsilon);
        return x.Select((v, c) => Int16Values.Quantize((v - mean) / deviation * gamma[c] + beta[c], y.Scale, y.ZeroPoint, y.StorageType)).ToArray();
    }

    private static List<int[]> TestRows(ElementType type, int channels, Random random)
    {
        var (min, max) = Int16Values.Range(type);
        int span = max - min;
        var rows = new List<int[]>();
        for (int i = 0; i < 12; i++) rows.Add(Enumerable.Range(0, channels).Select(_ => random.Next(min, max + 1)).ToArray());
        for (int i = 0; i < 12; i++)
        {
            // Residual-stream-like rows: a small spread (a few to a few hundred steps) around a random centre.
            int centre = random.Next(min + span / 8, max - span / 8);
            double spread = 1 + random.NextDouble() * span / 200;
            rows.Add(Enumerable.Range(0, channels).Select(_ =>
                (int)Math.Clamp(Math.Round(centre + spread * (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2), min, max)).ToArray());
        }
        rows.Add(Enumerable.Repeat(random.Next(min, max + 1), channels).ToArray());                          // all equal
        rows.Add(Enumerable.Range(0, channels).Select(c => c == channels / 3 ? max : min).ToArray());        // one large
        rows.Add(Enumerable.Range(0, channels).Select(c => c == 0 ? min : max).ToArray());                    // one small
        rows.Add(Enumerable.Range(0, channels).Select(c => c % 2 == 0 ? max : min).ToArray());                // extremes
        rows.Add(Enumerable.Range(0, channels).Select(c => c % 2 == 0 ? 3 : 4).ToArray());                    // one step apart
        rows.Add(Enumerable.Range(0, channels).Select(c => c == 5 ? 1 : 0).ToArray());                        // one step, once
        rows.Add(Enumerable.Range(0, channels).Select(c => (int)(min + (long)c * span / Math.Max(1, channels - 1))).ToArray()); // ramp over the whole range
        return rows;
    }
}
