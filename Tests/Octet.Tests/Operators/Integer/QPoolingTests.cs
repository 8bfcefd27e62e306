using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QAveragePool and QGlobalAveragePool against a naive pooling written here. The one rounded step
/// <c>round_half_away(acc · M0 / (count · 2^(31 − shift)))</c> is checked EXACTLY against BigInteger arithmetic,
/// including negative sums and exact ties; the float mode EXACTLY against <c>(float)acc * scale / count</c> in
/// float32; both within ±1 LSB of the real-valued mean (dequantize, average in double, divide by s_y, round half
/// to even) — the multiplier is approximated (2^−31 relative, or a float32 scale and two float32 operations) and
/// ties go away from zero in the fixed-point mode, to even in the definition.
/// </summary>
public sealed class QPoolingTests(ITestOutputHelper output)
{
    /// <summary>n / d rounded half away from zero, by BigInteger.DivRem and a remainder comparison.</summary>
    private static BigInteger RoundHalfAway(BigInteger n, BigInteger d)
    {
        var q = BigInteger.DivRem(n, d, out var r); // truncates toward zero; r has n's sign
        if (2 * BigInteger.Abs(r) >= d) q += n.Sign;
        return q;
    }

    private static int FixedPointAverage(long acc, int count, int m0, int shift, int zeroPoint, int clampMin, int clampMax) =>
        (int)BigInteger.Clamp(RoundHalfAway((BigInteger)acc * m0, (BigInteger)count << (31 - shift)) + zeroPoint, clampMin, clampMax);

    [Fact]
    public void Rounded_division_matches_BigInteger_for_random_extreme_and_tied_operands()
    {
        // Exact, zero tolerance: numerators up to ±2^62 (acc · M0), denominators count · 2^(31 − shift) up to 2^94.
        var random = new Random(19);
        var cases = new List<(Int128 N, Int128 D)>();
        foreach (long n in new[] { 0L, 1, -1, 2, -2, 3, -3, 5, -5, long.MaxValue / 2, -(long.MaxValue / 2), (long)int.MinValue * int.MaxValue, (long)int.MaxValue * int.MaxValue })
            foreach (long d in new[] { 1L, 2, 3, 4, 7, 1L << 31, 9L << 40 })
                cases.Add((n, d));
        cases.Add(((Int128)long.MaxValue / 2, (Int128)3 << 90));
        for (int i = 0; i < 200_000; i++)
        {
            long n = (long)random.Next(int.MinValue, int.MaxValue) * random.Next(0, int.MaxValue);
            Int128 d = (Int128)random.Next(1, 10_000) << random.Next(0, 64);
            if (i % 4 == 0) n = (long)(d > long.MaxValue / 4 ? 1 : d) * random.Next(-1000, 1000) + (long)(d > long.MaxValue / 4 ? 0 : d / 2) * (i % 8 == 0 ? 1 : -1); // ties when d is even
            cases.Add((n, d));
        }
        int ties = 0;
        foreach (var (n, d) in cases)
        {
            var expected = RoundHalfAway((BigInteger)n, (BigInteger)d);
            if ((BigInteger.Abs((BigInteger)n) * 2) % (BigInteger)d == 0 && (BigInteger)n % (BigInteger)d != 0) ties++;
            Assert.True(expected == IntegerAverage.DivideRoundingHalfAwayFromZero(n, d), $"{n} / {d}: expected {expected}");
        }
        output.WriteLine($"rounded division: {cases.Count} cases, {ties} exact ties, all equal to BigInteger");
        Assert.True(ties > 10_000);
    }

    [Theory]
    // M = 1 (M0 = 2^30, shift 1), int8, zp 0: window sums with count 2 and 4 — halves go away from zero.
    [InlineData(-3, -4, -4)]   // −7 / 2 = −3.5 → −4
    [InlineData(3, 4, 4)]      // sum 7 / 2 = 3.5 → 4
    [InlineData(-1, -2, -2)]   // −3 / 2 = −1.5 → −2
    [InlineData(1, 2, 2)]      // 3 / 2 = 1.5 → 2
    [InlineData(-1, 0, -1)]    // −1 / 2 = −0.5 → −1
    [InlineData(1, 0, 1)]      // 1 / 2 = 0.5 → 1
    public void Average_ties_round_away_from_zero(sbyte first, sbyte second, int expected)
    {
        var node = Node("QAveragePool", 1, [.. FixedPoint(ElementType.Int8, 0, [1.0]), Ints("kernel_shape", 2)]);
        var y = Run(new QAveragePool(), node, [Tensor.Create(new Shape(1, 1, 2), new[] { first, second })]);
        int sum = first + second;
        Assert.Equal(expected, (int)y.As<sbyte>()[0]);
        Assert.Equal((int)RoundHalfAway(sum, 2), expected);
    }

    public sealed record PoolCase(int Kernel, int Stride, int Dilation, int[] Pads, bool CountIncludePad, bool CeilMode)
    {
        public override string ToString() =>
            $"kernel {Kernel}x{Kernel}, stride {Stride}, dilation {Dilation}, pads [{string.Join(",", Pads)}], count_include_pad={(CountIncludePad ? 1 : 0)}, ceil_mode={(CeilMode ? 1 : 0)}";
    }

    public static TheoryData<int, bool> PoolCases => new() { { 0, true }, { 0, false }, { 1, true }, { 1, false }, { 2, true }, { 2, false }, { 3, true } };

    private static PoolCase Describe(int index) => index switch
    {
        0 => new(2, 2, 1, [0, 0, 0, 0], false, false),
        1 => new(3, 1, 1, [1, 1, 1, 1], true, false),
        2 => new(3, 2, 1, [1, 0, 2, 1], false, true),
        _ => new(2, 1, 2, [1, 2, 1, 0], true, true),
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void QAveragePool_matches_the_exact_formula_and_the_real_valued_mean(int caseIndex, bool fixedPoint)
    {
        var c = Describe(caseIndex);
        var random = new Random(caseIndex * 2 + (fixedPoint ? 1 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        for (int trial = 0; trial < 40; trial++)
        {
            var type = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            int n = random.Next(1, 3), channels = random.Next(1, 4), h = random.Next(3, 10), w = random.Next(3, 10);
            var x = Random8(random, type, [n, channels, h, w]);
            var (min, max) = Range(type);
            int xZeroPoint = random.Next(min, max + 1), yZeroPoint = random.Next(min, max + 1);
            float xScale = RandomScale(random, 0.002, 0.05), yScale = xScale * RandomScale(random, 0.3, 2);
            if (trial % 5 == 0) yScale = xScale; // M = 1: averages of 2 or 4 values are often exact ties

            var (sums, counts, outH, outW) = NaivePool(Values(x), n, channels, h, w, xZeroPoint, c);
            var attributes = fixedPoint ? FixedPoint(type, yZeroPoint, [(double)xScale / yScale]) : FloatMode(type, yZeroPoint, [xScale / yScale]);
            attributes.AddRange([Ints("kernel_shape", c.Kernel, c.Kernel), Ints("strides", c.Stride, c.Stride), Ints("dilations", c.Dilation, c.Dilation),
                Ints("pads", c.Pads.Select(p => (long)p).ToArray()), Int("count_include_pad", c.CountIncludePad ? 1 : 0), Int("ceil_mode", c.CeilMode ? 1 : 0),
                Int("x_zero_point", xZeroPoint)]);
            var y = Run(new QAveragePool(), Node("QAveragePool", 1, attributes), [x]);
            Assert.Equal(new Shape(n, channels, outH, outW), y.Shape);
            var actual = Values(y);
            var (m0, shift) = QuantizationMath.ToFixedPoint((double)xScale / yScale);
            for (int i = 0; i < actual.Length; i++)
            {
                exact.Add(fixedPoint
                    ? FixedPointAverage(sums[i], counts[i], m0, shift, yZeroPoint, min, max)
                    : FloatFinish((float)sums[i] * (xScale / yScale) / counts[i], yZeroPoint, min, max), actual[i]);
                // The real mean: Σ s_x (x − zp) / count (padding counted as real 0 with count_include_pad).
                real.Add(RealDefinition((double)xScale * sums[i] / counts[i] / yScale, yZeroPoint, min, max), actual[i]);
            }
        }
        output.WriteLine($"QAveragePool {c} {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued mean {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    /// <summary>Window sums of x − zp and their counts by direct loops (2-D), with ONNX's output size rule.</summary>
    private static (long[] Sums, int[] Counts, int OutH, int OutW) NaivePool(int[] x, int n, int channels, int h, int w, int zeroPoint, PoolCase c)
    {
        int extent = (c.Kernel - 1) * c.Dilation + 1;
        int Size(int input, int begin, int end)
        {
            int span = input + begin + end - extent;
            int size = (c.CeilMode ? (span + c.Stride - 1) / c.Stride : span / c.Stride) + 1;
            if (c.CeilMode && (size - 1) * c.Stride >= input + begin) size--; // a last window starting in the end padding is dropped
            return size;
        }
        int outH = Size(h, c.Pads[0], c.Pads[2]), outW = Size(w, c.Pads[1], c.Pads[3]);
        var sums = new long[n * channels * outH * outW];
        var counts = new int[sums.Length];
        int o = 0;
        for (int plane = 0; plane < n * channels; plane++)
        for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++, o++)
        for (int ky = 0; ky < c.Kernel; ky++)
        for (int kx = 0; kx < c.Kernel; kx++)
        {
            int iy = oy * c.Stride - c.Pads[0] + ky * c.Dilation, ix = ox * c.Stride - c.Pads[1] + kx * c.Dilation;
            bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            bool inDeclaredPadding = iy >= -c.Pads[0] && iy < h + c.Pads[2] && ix >= -c.Pads[1] && ix < w + c.Pads[3];
            if (inside) sums[o] += x[(plane * h + iy) * w + ix] - zeroPoint;
            if (inside || (c.CountIncludePad && inDeclaredPadding)) counts[o]++;
        }
        return (sums, counts, outH, outW);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void QGlobalAveragePool_matches_the_exact_formula_and_the_real_valued_mean(bool fixedPoint)
    {
        var random = new Random(fixedPoint ? 23 : 29);
        var exact = new LsbErrors();
        var real = new LsbErrors();
        for (int trial = 0; trial < 200; trial++)
        {
            var type = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            int[] spatial = trial % 3 == 0 ? [random.Next(1, 30)] : trial % 3 == 1 ? [random.Next(1, 9), random.Next(1, 9)] : [2, random.Next(1, 5), random.Next(1, 5)];
            int n = random.Next(1, 3), channels = random.Next(1, 6), plane = spatial.Aggregate(1, (p, d) => p * d);
            var x = Random8(random, type, [n, channels, .. spatial]);
            var (min, max) = Range(type);
            int xZeroPoint = random.Next(min, max + 1), yZeroPoint = random.Next(min, max + 1);
            float xScale = RandomScale(random, 0.002, 0.05), yScale = xScale * RandomScale(random, 0.3, 2);
            if (trial % 5 == 0) yScale = xScale;
            var attributes = fixedPoint ? FixedPoint(type, yZeroPoint, [(double)xScale / yScale]) : FloatMode(type, yZeroPoint, [xScale / yScale]);
            attributes.Add(Int("x_zero_point", xZeroPoint));
            var y = Run(new QGlobalAveragePool(), Node("QGlobalAveragePool", 1, attributes), [x]);
            Assert.Equal(new Shape([n, channels, .. spatial.Select(_ => 1)]), y.Shape);
            var actual = Values(y);
            var xv = Values(x);
            var (m0, shift) = QuantizationMath.ToFixedPoint((double)xScale / yScale);
            for (int p = 0; p < n * channels; p++)
            {
                long sum = 0;
                for (int i = 0; i < plane; i++) sum += xv[p * plane + i] - xZeroPoint;
                exact.Add(fixedPoint ? FixedPointAverage(sum, plane, m0, shift, yZeroPoint, min, max)
                    : FloatFinish((float)sum * (xScale / yScale) / plane, yZeroPoint, min, max), actual[p]);
                real.Add(RealDefinition((double)xScale * sum / plane / yScale, yZeroPoint, min, max), actual[p]);
            }
        }
        output.WriteLine($"QGlobalAveragePool {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued mean {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    [Fact]
    public void QAveragePool_rejects_windows_that_cover_no_input_and_bad_attributes()
    {
        var x = Tensor.Zeros(ElementType.Int8, new Shape(1, 1, 1));
        // Input of 1 with 3 end pads, kernel 1, stride 2: the second window sits in the padding.
        AssertRejected(new QAveragePool(), Node("QAveragePool", 1, [.. FixedPoint(ElementType.Int8, 0, [1.0]), Ints("kernel_shape", 1), Ints("strides", 2), Ints("pads", 0, 3)]),
            [x], "covers no input value");
        AssertRejected(new QAveragePool(), Node("QAveragePool", 1, [.. FixedPoint(ElementType.Int8, 0, [1.0]), Ints("kernel_shape", 1), Int("count_include_pad", 2)]),
            [x], "count_include_pad=2");
        AssertRejected(new QAveragePool(), Node("QAveragePool", 1, FixedPoint(ElementType.Int8, 0, [1.0])), [x], "'kernel_shape' is missing");
        AssertRejected(new QAveragePool(), Node("QAveragePool", 1, [.. FixedPoint(ElementType.Int8, 0, [1.0, 2.0]), Ints("kernel_shape", 1)]), [x],
            "requantization is per tensor");
        AssertRejected(new QGlobalAveragePool(), Node("QGlobalAveragePool", 1, FixedPoint(ElementType.Int8, 0, [1.0])),
            [Tensor.Zeros(ElementType.Int8, new Shape(1, 2))], "rank 3 or more");
    }
}
