using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QGemm / QMatMul with an int16 A (int64 accumulation, exact; 128-bit requantization) and QGemm / QConv with an
/// int16 output, against exact integer arithmetic (<see cref="BigInteger"/>: bit for bit) and against the real
/// definition acc · s_a · s_w / s_y rounded half to even (≤ 1 LSB).
/// </summary>
public sealed class Int16LinearTests(ITestOutputHelper output)
{
    /// <summary>
    /// K = 4096 with rows at the int16 extremes: the accumulators reach ~1.7 · 10^10, far beyond int32, so an
    /// int32 (wrapping) accumulator would give other outputs — the test checks it would.
    /// </summary>
    [Theory]
    [InlineData(ElementType.Int16, 0, ElementType.Int16, false)]
    [InlineData(ElementType.Int16, 0, ElementType.Int8, false)]
    [InlineData(ElementType.Int16, 0, ElementType.UInt8, false)]
    [InlineData(ElementType.Int16, 37, ElementType.Int16, true)]
    [InlineData(ElementType.Int16, -1200, ElementType.Int8, true)]
    public void QGemm_with_an_int16_input_accumulates_exactly_in_int64(ElementType aType, int aZeroPoint, ElementType yType, bool folded)
    {
        const int depth = 4096, columns = 6;
        var random = new Random(depth + aZeroPoint);
        var rows = new List<int[]>
        {
            Enumerable.Repeat(32767, depth).ToArray(),
            Enumerable.Repeat(-32768, depth).ToArray(),
            Enumerable.Range(0, depth).Select(k => k % 2 == 0 ? 32767 : -32768).ToArray(),
            Enumerable.Range(0, depth).Select(_ => random.Next(-32768, 32768)).ToArray(),
            Enumerable.Range(0, depth).Select(_ => random.Next(-300, 301)).ToArray(), // a small row: fine output steps matter
            Enumerable.Repeat(aZeroPoint, depth).ToArray(),
        };
        // Rows of every magnitude, so most outputs land inside the output range rather than on its clamp.
        for (int i = 0; i < 40; i++)
        {
            int spread = 1 << random.Next(4, 16);
            rows.Add(Enumerable.Range(0, depth).Select(_ => Math.Clamp(aZeroPoint + random.Next(-spread, spread), -32768, 32767)).ToArray());
        }
        int[] wZeroPoints = [0, 0, 3, -5, 0, 1];
        var weights = new int[depth * columns];
        for (int k = 0; k < depth; k++)
            for (int n = 0; n < columns; n++)
                weights[k * columns + n] = n switch { 0 => 127, 1 => -128, _ => random.Next(-128, 128) };
        var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-2_000_000, 2_000_001)).ToArray();
        var aValues = rows.SelectMany(r => r).ToArray();

        // Exact accumulators, and what a wrapping int32 accumulator would hold.
        var exact = new BigInteger[rows.Count * columns];
        bool int32WouldWrap = false;
        for (int r = 0; r < rows.Count; r++)
            for (int n = 0; n < columns; n++)
            {
                BigInteger acc = bias[n];
                int wrapped = bias[n];
                for (int k = 0; k < depth; k++)
                {
                    int product = (rows[r][k] - aZeroPoint) * (weights[k * columns + n] - wZeroPoints[n]);
                    acc += product;
                    wrapped = unchecked(wrapped + product);
                }
                exact[r * columns + n] = acc;
                int32WouldWrap |= acc != wrapped;
            }
        Assert.True(int32WouldWrap, "the test must exercise accumulators beyond int32");

        float aScale = 0.00021f;
        var wScales = Enumerable.Range(0, columns).Select(_ => RandomScale(random, 0.002, 0.01)).ToArray();
        // Output steps that map each column's largest |acc| to ~90 % of the output range.
        var (yMin, yMax) = Int16Values.Range(yType);
        int yZeroPoint = yType == ElementType.UInt8 ? 128 : yType == ElementType.Int8 ? -2 : 5;
        double largest = exact.Max(a => Math.Abs((double)a));
        double yScale = largest * aScale * wScales.Max() / (0.9 * (yMax - yMin) / 2);
        var multipliers = wScales.Select(s => aScale * (double)s / yScale).ToArray();

        var storedBias = (int[])bias.Clone();
        if (folded)
            for (int n = 0; n < columns; n++)
            {
                long sum = 0;
                for (int k = 0; k < depth; k++) sum += weights[k * columns + n] - wZeroPoints[n];
                storedBias[n] = checked((int)(bias[n] - (long)aZeroPoint * sum));
            }
        var attributes = new List<Compiler.Graph.Attribute>(Int16Values.FixedPoint(yType, yZeroPoint, multipliers))
        {
            Int("a_zero_point", aZeroPoint), Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()),
        };
        if (folded) attributes.Add(Int(FoldedBias.AttributeName, 1));
        var node = Node("QGemm", 3, attributes);
        var y = Int16Values.Values(Run(new QGemm(), node,
            [Int16Values.From(aType, [rows.Count, depth], aValues), From(ElementType.Int8, [depth, columns], weights), From(ElementType.Int32, [columns], storedBias)]));

        var errors = new LsbErrors();
        var pairs = multipliers.Select(QuantizationMath.ToFixedPoint).ToArray();
        for (int r = 0; r < rows.Count; r++)
            for (int n = 0; n < columns; n++)
            {
                var acc = exact[r * columns + n];
                var fixedPoint = ExactFixedPoint(acc, pairs[n].Multiplier, pairs[n].Shift);
                Assert.Equal((int)BigInteger.Clamp(fixedPoint + yZeroPoint, yMin, yMax), y[r * columns + n]);
                errors.Add(Int16Values.Quantize((double)acc * aScale * wScales[n], yScale, yZeroPoint, yType), y[r * columns + n]);
            }
        output.WriteLine($"QGemm int16 A (K = {depth}, a_zp = {aZeroPoint}, folded = {folded}) → {yType}: bit-exact against BigInteger; against the real definition {errors}");
        Assert.True(errors.Max <= 1, $"max error {errors.Max} LSB");
    }

    private static BigInteger ExactFixedPoint(BigInteger acc, int m0, int shift)
    {
        var product = acc * m0;
        int exponent = shift - 31;
        if (exponent >= 0) return product << exponent;
        return FloorDivide(2 * product + (BigInteger.One << -exponent), BigInteger.One << (1 - exponent));
    }

    [Fact]
    public void QGemm_with_an_8_bit_input_writes_an_int16_output()
    {
        var random = new Random(8);
        const int rows = 5, depth = 300, columns = 7;
        var a = Random8(random, ElementType.UInt8, [rows, depth]);
        var w = Random8(random, ElementType.Int8, [depth, columns], -127, 127);
        var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-5000, 5000)).ToArray();
        const int aZeroPoint = 120;
        var multipliers = Enumerable.Range(0, columns).Select(_ => 0.05 + random.NextDouble() * 0.2).ToArray();
        var node = Node("QGemm", 3, [.. Int16Values.FixedPoint(ElementType.Int16, -9, multipliers), Int("a_zero_point", aZeroPoint), Ints("w_zero_point", 0)]);
        var y = Int16Values.Values(Run(new QGemm(), node, [a, w, From(ElementType.Int32, [columns], bias)]));
        var aValues = Values(a);
        var wValues = Values(w);
        var pairs = multipliers.Select(QuantizationMath.ToFixedPoint).ToArray();
        var errors = new LsbErrors();
        for (int r = 0; r < rows; r++)
            for (int n = 0; n < columns; n++)
            {
                long acc = bias[n];
                for (int k = 0; k < depth; k++) acc += (long)(aValues[r * depth + k] - aZeroPoint) * wValues[k * columns + n];
                Assert.Equal(FixedPointOutput(acc, pairs[n].Multiplier, pairs[n].Shift, -9, short.MinValue, short.MaxValue), y[r * columns + n]);
                errors.Add(Int16Values.Quantize(acc * multipliers[n], 1, -9, ElementType.Int16), y[r * columns + n]);
            }
        output.WriteLine($"QGemm uint8 A → int16 Y: {errors}");
        Assert.True(errors.Max <= 1);
    }

    [Fact]
    public void QConv_writes_an_int16_output()
    {
        // 1x1 convolution over 2 channels: acc = Σ_c (x − zp) · w, checked by hand-independent loops.
        var random = new Random(9);
        var x = Random8(random, ElementType.Int8, [1, 2, 3, 3]);
        var w = Random8(random, ElementType.Int8, [3, 2, 1, 1], -127, 127);
        var node = Node("QConv", 2, [.. Int16Values.FixedPoint(ElementType.Int16, 0, [3.1, 7.9, 0.6]), Int("x_zero_point", 4)]);
        var y = Int16Values.Values(Run(new QConv(), node, [x, w]));
        var xv = Values(x);
        var wv = Values(w);
        double[] multipliers = [3.1, 7.9, 0.6];
        for (int m = 0; m < 3; m++)
            for (int p = 0; p < 9; p++)
            {
                long acc = 0;
                for (int c = 0; c < 2; c++) acc += (long)(xv[c * 9 + p] - 4) * wv[m * 2 + c];
                var (m0, shift) = QuantizationMath.ToFixedPoint(multipliers[m]);
                Assert.Equal(FixedPointOutput(acc, m0, shift, 0, short.MinValue, short.MaxValue), y[m * 9 + p]);
            }
        Assert.Contains(y, v => v is > 127 or < -128); // the int16 range is used, not an 8-bit clamp
    }

    [Fact]
    public void QMatMul_takes_an_int16_input_only_with_a_constant_B()
    {
        var random = new Random(10);
        var a = Int16Values.Random(random, ElementType.Int16, [2, 3, 2000]);
        var b = Random8(random, ElementType.Int8, [2000, 4]);
        var node = Node("QMatMul", 2, [.. Int16Values.FixedPoint(ElementType.Int16, 0, [1e-4]), Int("a_zero_point", 0), Int("b_zero_point", 0)]);
        AssertRejected(new QMatMul(), node, [a, b], "B is not a constant");
        var y = Int16Values.Values(Run(new QMatMul(), node, [a, b], constantInputs: true));
        var av = Int16Values.Values(a);
        var bv = Values(b);
        var (m0, shift) = QuantizationMath.ToFixedPoint(1e-4);
        for (int r = 0; r < 6; r++)
            for (int n = 0; n < 4; n++)
            {
                long acc = 0;
                for (int k = 0; k < 2000; k++) acc += (long)av[r * 2000 + k] * bv[k * 4 + n];
                Assert.Equal(FixedPointOutput(acc, m0, shift, 0, short.MinValue, short.MaxValue), y[r * 4 + n]);
            }
    }

    [Fact]
    public void QConv_keeps_an_8_bit_input()
    {
        var x = Int16Values.From(ElementType.Int16, [1, 1, 1, 1], [5]);
        var w = From(ElementType.Int8, [1, 1, 1, 1], [1]);
        AssertRejected(new QConv(), Node("QConv", 2, Int16Values.FixedPoint(ElementType.Int8, 0, [1.0])), [x, w], "expected int8 or uint8");
    }
}
