using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QConv against an independent, naive convolution written here (direct loops with bounds checks), on random
/// small 8-bit inputs and weights:
/// <list type="bullet">
/// <item>fixed-point: EXACT against BigInteger round_half_up(acc · M0 · 2^(shift − 31)) of the naive accumulator;
/// within ±1 LSB of the real-valued definition (dequantize in double, convolve, add bias · s_x · s_w, divide by
/// s_y, round half to even, + zp, clamp) — the multiplier is approximated to 2^−31 and ties go up, not to even.</item>
/// <item>float: EXACT against the float32 formula (float)acc * scale re-stated here with ONNX Runtime's
/// scale = x_scale * w_scale[m] / y_scale in float32; within ±1 LSB of the real-valued definition (float32
/// scale and product are rounded, which matters only within ~2^−23 relative of a half-way point).</item>
/// </list>
/// </summary>
public sealed class QConvTests(ITestOutputHelper output)
{
    private static readonly QConv Op = new();

    public sealed record ConvCase(ElementType XType, ElementType WType, int Group, int Stride, int Dilation, int[] Pads, bool Relu, bool PerChannelWeightZeroPoints);

    public static TheoryData<string, bool> Cases => new()
    {
        { "int8 x, int8 symmetric weights, pads 1", true }, { "int8 x, int8 symmetric weights, pads 1", false },
        { "uint8 x, uint8 weights with per-channel zero points, group 2, stride 2, dilation 2, asymmetric pads, relu", true },
        { "uint8 x, uint8 weights with per-channel zero points, group 2, stride 2, dilation 2, asymmetric pads, relu", false },
        { "int8 x, uint8 weights, depthwise", true }, { "int8 x, uint8 weights, depthwise", false },
    };

    private static ConvCase Describe(string name) => name switch
    {
        "int8 x, int8 symmetric weights, pads 1" => new(ElementType.Int8, ElementType.Int8, 1, 1, 1, [1, 1, 1, 1], false, false),
        "int8 x, uint8 weights, depthwise" => new(ElementType.Int8, ElementType.UInt8, 4, 1, 1, [0, 1, 2, 0], false, true),
        _ => new(ElementType.UInt8, ElementType.UInt8, 2, 2, 2, [2, 1, 0, 2], true, true),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_exact_integer_formula_and_the_real_valued_definition(string name, bool fixedPoint)
    {
        var c = Describe(name);
        var random = new Random(name.Length * 31 + (fixedPoint ? 1 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        for (int trial = 0; trial < 30; trial++)
        {
            int batch = random.Next(1, 3), channels = c.Group * random.Next(1, 3), outChannels = c.Group * random.Next(1, 4);
            int height = random.Next(3, 9), width = random.Next(3, 9), kh = random.Next(1, 4), kw = random.Next(1, 4);
            if (c.Group == 4) { channels = 4; outChannels = 4; }
            if ((kh - 1) * c.Dilation + 1 > height + c.Pads[0] + c.Pads[2] || (kw - 1) * c.Dilation + 1 > width + c.Pads[1] + c.Pads[3]) continue;
            var (xMin, xMax) = Range(c.XType);
            int xZeroPoint = random.Next(xMin, xMax + 1);
            var x = Random8(random, c.XType, [batch, channels, height, width]);
            var w = Random8(random, c.WType, [outChannels, channels / c.Group, kh, kw]);
            var (wMin, wMax) = Range(c.WType);
            var wZeroPoints = Enumerable.Range(0, outChannels)
                .Select(_ => c.PerChannelWeightZeroPoints ? random.Next(wMin, wMax + 1) : c.WType == ElementType.Int8 ? 0 : 128).ToArray();
            var bias = Enumerable.Range(0, outChannels).Select(_ => random.Next(-20000, 20000)).ToArray();
            float xScale = RandomScale(random, 0.002, 0.05);
            var wScales = Enumerable.Range(0, outChannels).Select(_ => RandomScale(random, 0.001, 0.02)).ToArray();

            var (accumulators, outH, outW) = NaiveConvolution(Values(x), [batch, channels, height, width], xZeroPoint,
                Values(w), [outChannels, channels / c.Group, kh, kw], wZeroPoints, bias, c);
            // The real result from dequantized values, in double.
            var reals = NaiveRealConvolution(Values(x), [batch, channels, height, width], xScale, xZeroPoint,
                Values(w), wScales, wZeroPoints, bias, outChannels, kh, kw, outH, outW, c);
            float yScale = (float)(reals.Max(Math.Abs) / 110 + 1e-6);
            if (trial % 5 == 0)
            {
                // Power-of-two scales make M a power of two, so exact ties occur (acc ≡ 2^(k−1) mod 2^k): the
                // fixed-point mode rounds them up, the definition to even — the source of 1-LSB differences.
                xScale = 1f / 32;
                for (int m = 0; m < outChannels; m++) wScales[m] = MathF.ScaleB(1f, -6 - m % 3);
                reals = NaiveRealConvolution(Values(x), [batch, channels, height, width], xScale, xZeroPoint,
                    Values(w), wScales, wZeroPoints, bias, outChannels, kh, kw, outH, outW, c);
                yScale = MathF.ScaleB(1f, (int)Math.Round(Math.Log2(reals.Max(Math.Abs) / 110 + 1e-6)));
            }
            var (yMin, yMax) = Range(c.XType);
            int yZeroPoint = random.Next(yMin / 4 + yMax / 4, yMax / 2 + 1);
            int clampMin = c.Relu ? yZeroPoint : yMin;

            var attributes = fixedPoint
                ? FixedPoint(c.XType, yZeroPoint, wScales.Select(s => (double)xScale * s / yScale).ToArray(), clampMin: clampMin)
                : FloatMode(c.XType, yZeroPoint, wScales.Select(s => xScale * s / yScale).ToArray(), clampMin: clampMin);
            attributes.AddRange([
                Int("x_zero_point", xZeroPoint), Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()), Int("group", c.Group),
                Ints("strides", c.Stride, c.Stride), Ints("dilations", c.Dilation, c.Dilation), Ints("pads", c.Pads.Select(p => (long)p).ToArray()),
                Ints("kernel_shape", kh, kw),
            ]);
            var y = Run(Op, Node("QConv", 3, attributes), [x, w, From(ElementType.Int32, [outChannels], bias)], constantInputs: true);
            Assert.Equal(new Shape(batch, outChannels, outH, outW), y.Shape);
            Assert.Equal(c.XType, y.ElementType);
            var actual = Values(y);

            int plane = outH * outW;
            for (int i = 0; i < actual.Length; i++)
            {
                int m = i / plane % outChannels;
                int expected;
                if (fixedPoint)
                {
                    var (m0, shift) = QuantizationMath.ToFixedPoint((double)xScale * wScales[m] / yScale);
                    expected = FixedPointOutput(accumulators[i], m0, shift, yZeroPoint, clampMin, yMax);
                }
                else expected = FloatPathOutput(accumulators[i], xScale * wScales[m] / yScale, yZeroPoint, clampMin, yMax);
                exact.Add(expected, actual[i]);
                real.Add(RealDefinition(reals[i] / yScale, yZeroPoint, clampMin, yMax), actual[i]);
            }
        }
        output.WriteLine($"QConv {name}, {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued definition {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
        Assert.True(real.Count > 1000, $"only {real.Count} outputs checked");
    }

    /// <summary>acc = B[m] + Σ (x − x_zp)(w − w_zp[m]) over taps inside the input, by direct loops (2-D).</summary>
    internal static (long[] Accumulators, int OutH, int OutW) NaiveConvolution(int[] x, int[] xShape, int xZeroPoint,
        int[] w, int[] wShape, int[] wZeroPoints, int[] bias, ConvCase c)
    {
        int n = xShape[0], channels = xShape[1], h = xShape[2], wd = xShape[3];
        int m = wShape[0], cpg = wShape[1], kh = wShape[2], kw = wShape[3];
        int outH = (h + c.Pads[0] + c.Pads[2] - ((kh - 1) * c.Dilation + 1)) / c.Stride + 1;
        int outW = (wd + c.Pads[1] + c.Pads[3] - ((kw - 1) * c.Dilation + 1)) / c.Stride + 1;
        var acc = new long[n * m * outH * outW];
        int mpg = m / c.Group;
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < m; oc++)
        for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++)
        {
            long sum = bias[oc];
            int g = oc / mpg;
            for (int ic = 0; ic < cpg; ic++)
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int iy = oy * c.Stride - c.Pads[0] + ky * c.Dilation, ix = ox * c.Stride - c.Pads[1] + kx * c.Dilation;
                // A padded position holds x_zero_point: (x − x_zp) = 0.
                int xv = iy < 0 || iy >= h || ix < 0 || ix >= wd ? xZeroPoint : x[((b * channels + g * cpg + ic) * h + iy) * wd + ix];
                sum += (long)(xv - xZeroPoint) * (w[((oc * cpg + ic) * kh + ky) * kw + kx] - wZeroPoints[oc]);
            }
            acc[((b * m + oc) * outH + oy) * outW + ox] = sum;
        }
        return (acc, outH, outW);
    }

    private static double[] NaiveRealConvolution(int[] x, int[] xShape, float xScale, int xZeroPoint, int[] w, float[] wScales,
        int[] wZeroPoints, int[] bias, int m, int kh, int kw, int outH, int outW, ConvCase c)
    {
        int n = xShape[0], channels = xShape[1], h = xShape[2], wd = xShape[3], cpg = channels / c.Group, mpg = m / c.Group;
        var y = new double[n * m * outH * outW];
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < m; oc++)
        for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++)
        {
            // Real bias: B · s_x · s_w; real inputs: s_x · (x − zp), padding is real 0.
            double sum = bias[oc] * ((double)xScale * wScales[oc]);
            int g = oc / mpg;
            for (int ic = 0; ic < cpg; ic++)
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int iy = oy * c.Stride - c.Pads[0] + ky * c.Dilation, ix = ox * c.Stride - c.Pads[1] + kx * c.Dilation;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                double xr = (double)xScale * (x[((b * channels + g * cpg + ic) * h + iy) * wd + ix] - xZeroPoint);
                double wr = (double)wScales[oc] * (w[((oc * cpg + ic) * kh + ky) * kw + kx] - wZeroPoints[oc]);
                sum += xr * wr;
            }
            y[((b * m + oc) * outH + oy) * outW + ox] = sum;
        }
        return y;
    }

    [Fact]
    public void Padding_contributes_nothing_and_bias_is_added_once()
    {
        // By hand: x = [[1, 2], [3, 4]] (uint8, zp 1 → [[0, 1], [2, 3]]), 3x3 all-ones kernel (zp 0), pads 1, B = 10.
        // Each output = 10 + sum of the shifted values in its 3x3 neighbourhood (all four): 16. M = 1 (M0 = 2^30, shift 1).
        var node = Node("QConv", 3, [.. FixedPoint(ElementType.UInt8, 0, [1.0]), Int("x_zero_point", 1), Ints("pads", 1, 1, 1, 1)]);
        var y = Run(Op, node, [
            Tensor.Create(new Shape(1, 1, 2, 2), new byte[] { 1, 2, 3, 4 }),
            Tensor.Create(new Shape(1, 1, 3, 3), Enumerable.Repeat((byte)1, 9).ToArray()),
            Tensor.Create(new Shape(1), new[] { 10 })]);
        Assert.Equal(new byte[] { 16, 16, 16, 16 }, y.As<byte>());
    }

    [Fact]
    public void One_spatial_axis_and_no_bias()
    {
        // x = [5, 7, 9] (int8, zp 1 → [4, 6, 8]), w = [1, -1] (zp 0): [4 − 6, 6 − 8] = [−2, −2]; M = 0.5 → −1 each
        // (−1 exactly, no tie); y_zp 3 → 2.
        var node = Node("QConv", 2, [.. FixedPoint(ElementType.Int8, 3, [0.5]), Int("x_zero_point", 1)]);
        var y = Run(Op, node, [
            Tensor.Create(new Shape(1, 1, 3), new sbyte[] { 5, 7, 9 }),
            Tensor.Create(new Shape(1, 1, 2), new sbyte[] { 1, -1 })]);
        Assert.Equal(new sbyte[] { 2, 2 }, y.As<sbyte>());
    }

    [Fact]
    public void Accumulates_in_int32_with_wraparound_like_OnnxRuntime()
    {
        // A worst-case bound above 2^31 is not an error (real models such as shufflenet-v2-int8 have one):
        // the accumulator is int32 and wraps, as ONNX Runtime's and the ONNX spec's integer convolutions do.
        // 40,000 taps of 255 · 255 = 2,601,000,000, which wraps to 2,601,000,000 − 2^32 = −1,693,967,296;
        // with M = 2^-30 that requantizes to round(−1.5776…) = −2.
        var node = Node("QConv", 2, FixedPoint(ElementType.Int8, 0, [Math.Pow(2, -30)]));
        var x = Tensor.Create(new Shape(1, 40_000, 1, 1), Enumerable.Repeat((byte)255, 40_000).ToArray());
        var w = Tensor.Create(new Shape(1, 40_000, 1, 1), Enumerable.Repeat((byte)255, 40_000).ToArray());
        var y = Run(Op, node, [x, w], constantInputs: true);
        Assert.Equal(new sbyte[] { -2 }, y.As<sbyte>());
    }

    [Theory]
    [InlineData("w_zero_point", "expected 1 (per tensor) or 3")]
    [InlineData("multiplier", "expected 1 (per tensor) or 3")]
    [InlineData("bias", "bias B has shape [2]")]
    [InlineData("x_zero_point", "outside the int8 range")]
    [InlineData("group", "group=2 does not divide")]
    public void Rejects_inconsistent_attributes_and_inputs(string problem, string fragment)
    {
        var attributes = FixedPoint(ElementType.Int8, 0, [0.1, 0.2, 0.3]);
        attributes.Add(Ints("w_zero_point", problem == "w_zero_point" ? [0, 0] : [0]));
        if (problem == "multiplier") attributes[attributes.FindIndex(a => a.Name == "multiplier")] = Ints("multiplier", 1 << 30, 1 << 30);
        if (problem == "x_zero_point") attributes.Add(Int("x_zero_point", 128));
        if (problem == "group") attributes.Add(Int("group", 2));
        var x = Tensor.Zeros(ElementType.Int8, new Shape(1, 3, 4, 4));
        var w = Tensor.Zeros(ElementType.Int8, new Shape(3, 3, 1, 1));
        var bias = Tensor.Zeros(ElementType.Int32, new Shape(problem == "bias" ? 2 : 3));
        AssertRejected(Op, Node("QConv", 3, attributes), [x, w, bias], fragment);
    }
}
