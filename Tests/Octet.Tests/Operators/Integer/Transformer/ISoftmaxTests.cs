using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>
/// ISoftmax against softmax's float definition: dequantize the row, softmax in double, quantize to steps of
/// 1/256. Rows: every 8-bit value in one row, random rows of transformer lengths (over the whole type and
/// clustered near the maximum, where probabilities are large), and adversarial rows.
/// </summary>
public sealed class ISoftmaxTests(ITestOutputHelper output)
{
    /// <summary>Realistic attention-logit scales: int8 logits spanning about ±2.5 to ±32.</summary>
    private static readonly float[] Scales = [0.02f, 0.05f, 0.1f, 0.25f];

    /// <summary>The error bounds measured over the rows below, asserted so a regression shows (see docs/integer-transformers.md).</summary>
    public static TheoryData<string, ElementType, ElementType, int> Cases => new()
    {
        { ISoftmax.ShiftmaxMethod, ElementType.Int8, ElementType.UInt8, ShiftmaxBound },
        { ISoftmax.ShiftmaxMethod, ElementType.UInt8, ElementType.Int8, ShiftmaxBound },
        { ISoftmax.IbertMethod, ElementType.Int8, ElementType.UInt8, IbertBound },
        { ISoftmax.IbertMethod, ElementType.UInt8, ElementType.Int8, IbertBound },
    };

    private const int ShiftmaxBound = 5;
    private const int IbertBound = 1;

    [Theory]
    [MemberData(nameof(Cases))]
    public void ISoftmax_matches_the_float_definition(string method, ElementType xType, ElementType yType, int bound)
    {
        var log = new ErrorLog(output);
        foreach (float scale in Scales)
        {
            var errors = log.For($"s_x={scale}");
            var attributes = ISoftmax.Create(method, scale, yType);
            var node = Node("ISoftmax", 1, attributes.Values);
            foreach (var rows in TestRows(xType, new Random(17)))
            {
                var (count, length) = (rows.Count, rows[0].Length);
                var input = From(xType, [count, length], rows.SelectMany(r => r).ToArray());
                var actual = Values(Run(new ISoftmax(), node, [input]));
                for (int r = 0; r < count; r++)
                    errors.AddAll(Expected(rows[r], scale, yType), actual[(r * length)..((r + 1) * length)]);
            }
        }
        log.Write($"ISoftmax {method} {xType}→{yType}");
        Assert.True(log.Max <= bound, $"max error {log.Max} LSB exceeds the measured bound {bound}");
    }

    /// <summary>Softmax of the dequantized row in double, quantized with scale 1/256 and the output type's zero point.</summary>
    private static int[] Expected(int[] row, float scale, ElementType yType)
    {
        int max = row.Max();
        var exponents = row.Select(v => Math.Exp((double)scale * (v - max))).ToArray(); // the zero point cancels
        double sum = exponents.Sum();
        return exponents.Select(e => TransformerReference.Quantize(e / sum, 1.0 / 256, ISoftmax.OutputZeroPoint(yType), yType)).ToArray();
    }

    /// <summary>Batches of rows of one length each.</summary>
    private static IEnumerable<List<int[]>> TestRows(ElementType type, Random random)
    {
        var (min, max) = Range(type);
        // The whole input range in one row, in order and shuffled.
        var all = Enumerable.Range(min, 256).ToArray();
        yield return [all, all.OrderBy(_ => random.Next()).ToArray()];
        foreach (int length in new[] { 2, 8, 64, 197, 768 })
        {
            var rows = new List<int[]>();
            for (int i = 0; i < 24; i++)
                rows.Add(Enumerable.Range(0, length).Select(_ => random.Next(min, max + 1)).ToArray());
            // Clustered below a random maximum: several large probabilities competing.
            for (int i = 0; i < 24; i++)
            {
                int top = random.Next(min + 40, max + 1), spread = random.Next(1, 40);
                rows.Add(Enumerable.Range(0, length).Select(_ => top - random.Next(0, spread + 1)).ToArray());
            }
            rows.Add(Enumerable.Repeat(max, length).ToArray());                                    // all equal (top)
            rows.Add(Enumerable.Repeat(min, length).ToArray());                                    // all equal (bottom)
            rows.Add(Enumerable.Range(0, length).Select(i => i == length / 2 ? max : min).ToArray()); // one large
            rows.Add(Enumerable.Range(0, length).Select(i => i == 0 ? max : max - 1).ToArray());     // one slightly larger
            rows.Add(Enumerable.Range(0, length).Select(i => i % 2 == 0 ? max : min).ToArray());     // extremes alternating
            rows.Add(Enumerable.Range(0, length).Select(i => i < 2 ? max : max - 8).ToArray());      // two maxima
            yield return rows;
        }
    }
}
