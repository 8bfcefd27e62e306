using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>
/// IShiftAttention against its float definition: softmax of the dequantized scores in double, each
/// probability replaced by its log2 / log√2 level (2^−round(−log2 p), 2^−round(−2 log2 p)/2; zero beyond
/// 2^bits − 1 codes or below 2^−16), times the dequantized V, quantized once. The integer operator differs only
/// through I-BERT's exponent (a probability near a rounding threshold of the log can take the other code, a
/// factor √2 or 2 on that one term: up to 26 LSB on an output, in under 9 % of the outputs of any case, 0 LSB
/// elsewhere), so the errors are printed and the measured maxima asserted.
/// </summary>
public sealed class IShiftAttentionTests(ITestOutputHelper output)
{
    private static readonly QuantizationCase[] Cases =
    [
        new(0.05f, 0.02f, -3, 0.015f, 2),
        new(0.1f, 0.03f, 10, 0.02f, -5),
        new(0.25f, 0.05f, 0, 0.04f, 0),
    ];

    private sealed record QuantizationCase(float ScoreScale, float ValueScale, int ValueZeroPoint, float OutputScale, int OutputZeroPoint);

    [Theory]
    [InlineData("log2", 4, 22)]
    [InlineData("log2", 8, 22)]
    [InlineData("logsqrt2", 4, 26)]
    [InlineData("logsqrt2", 8, 26)]
    public void IShiftAttention_matches_the_float_definition(string logBase, int bits, int bound)
    {
        var log = new ErrorLog(output);
        var random = new Random(5);
        foreach (var c in Cases)
            foreach (int length in new[] { 2, 8, 17, 64 })
            {
                var errors = log.For($"s_x={c.ScoreScale} L={length}");
                const int rows = 12, width = 16;
                var scores = new int[rows * length];
                for (int i = 0; i < scores.Length; i++) scores[i] = random.Next(-128, 128);
                // Some rows clustered near their maximum (flat attention), some with one dominant score.
                for (int j = 0; j < length; j++) { scores[j] = random.Next(100, 128); scores[length + j] = j == 0 ? 127 : random.Next(-128, -100); }
                var values = new int[length * width];
                for (int i = 0; i < values.Length; i++) values[i] = random.Next(-128, 128);
                var parameters = TransformerReference.Parameters(ElementType.Int8, c.ValueScale, c.ValueZeroPoint);
                var outputParameters = TransformerReference.Parameters(ElementType.Int8, c.OutputScale, c.OutputZeroPoint);
                var attributes = IShiftAttention.Create("ibert", logBase, bits, c.ScoreScale, parameters, outputParameters);
                var node = Node("IShiftAttention", 2, attributes.Values);
                var actual = Values(Run(new IShiftAttention(), node,
                    [From(ElementType.Int8, [1, rows, length], scores), From(ElementType.Int8, [1, length, width], values)]));
                for (int r = 0; r < rows; r++)
                    errors.AddAll(Expected(scores[(r * length)..((r + 1) * length)], values, width, c, logBase, bits), actual[(r * width)..((r + 1) * width)]);
            }
        log.Write($"IShiftAttention {logBase}/{bits}");
        Assert.True(log.Max <= bound, $"max error {log.Max} LSB exceeds the measured bound {bound}");
    }

    [Fact]
    public void A_dominant_score_passes_the_value_row_through()
    {
        // p ≈ 1 for the first key (code 0, value 2^0), the others below 2^−16: Y is V's first row requantized.
        var scores = new int[] { 127, -128, -128, -128 };
        var values = Enumerable.Range(0, 4 * 8).Select(i => (i * 37) % 256 - 128).ToArray();
        var v = TransformerReference.Parameters(ElementType.Int8, 0.05f, 3);
        var y = TransformerReference.Parameters(ElementType.Int8, 0.05f, 3);
        foreach (var logBase in new[] { "log2", "logsqrt2" })
        {
            var node = Node("IShiftAttention", 2, IShiftAttention.Create("ibert", logBase, 4, 0.1f, v, y).Values);
            var actual = Values(Run(new IShiftAttention(), node, [From(ElementType.Int8, [1, 4], scores), From(ElementType.Int8, [4, 8], values)]));
            Assert.Equal(values[..8], actual);
        }
    }

    [Fact]
    public void Log_codes_are_exactly_the_rounded_logarithm()
    {
        var random = new Random(3);
        for (int i = 0; i < 200_000; i++)
        {
            long p = i < 64 ? 1L << (i % 31) : 1 + (long)(random.NextDouble() * ((1L << 30) - 1));
            double log2 = -Math.Log2(p / (double)(1 << 30));
            Assert.Equal((long)Math.Round(log2), IShiftAttention.Code(p, sqrt2Base: false));
            Assert.Equal((long)Math.Round(2 * log2), IShiftAttention.Code(p, sqrt2Base: true));
        }
    }

    [Fact]
    public void Mismatched_shapes_and_bad_attributes_are_rejected_by_name()
    {
        var p = TransformerReference.Parameters(ElementType.Int8, 0.05f, 0);
        var attributes = IShiftAttention.Create("ibert", "log2", 4, 0.1f, p, p);
        var node = Node("IShiftAttention", 2, attributes.Values);
        AssertRejected(new IShiftAttention(), node, [From(ElementType.Int8, [1, 2, 4], new int[8]), From(ElementType.Int8, [1, 3, 2], new int[6])], "rows");
        attributes["bits"] = Int("bits", 9);
        AssertRejected(new IShiftAttention(), Node("IShiftAttention", 2, attributes.Values),
            [From(ElementType.Int8, [2, 4], new int[8]), From(ElementType.Int8, [4, 2], new int[8])], "bits=9");
        Assert.Throws<ArgumentException>(() => IShiftAttention.Create("ibert", "log3", 4, 0.1f, p, p));
    }

    private static int[] Expected(int[] row, int[] values, int width, QuantizationCase c, string logBase, int bits)
    {
        int max = row.Max();
        var exponents = row.Select(x => Math.Exp((double)c.ScoreScale * (x - max))).ToArray();
        double sum = exponents.Sum();
        var result = new int[width];
        for (int d = 0; d < width; d++)
        {
            double acc = 0;
            for (int j = 0; j < row.Length; j++)
            {
                double p = exponents[j] / sum;
                double code = logBase == "log2" ? Math.Round(-Math.Log2(p)) : Math.Round(-2 * Math.Log2(p));
                double level = logBase == "log2" ? Math.Pow(2, -code) : Math.Pow(2, -code / 2);
                if (code >= 1 << bits || level < Math.Pow(2, -16.25)) continue;
                acc += level * c.ValueScale * (values[j * width + d] - c.ValueZeroPoint);
            }
            result[d] = TransformerReference.Quantize(acc, c.OutputScale, c.OutputZeroPoint, ElementType.Int8);
        }
        return result;
    }
}
