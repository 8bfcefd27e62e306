using Octet.Runtime;
using Xunit;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// <see cref="FloatDirectConv"/> (convolution read in place from NHWC) and <see cref="FloatIm2Col"/> (the patch rows
/// of the GEMM path). The direct kernel's SIMD paths add each output's products in the specification's order with one
/// fused multiply-add each, so every vector width must give the specification's bits. The specification itself is
/// checked against a double-precision convolution within (taps + 1)·ε·(|bias| + Σ|x·w|), ε = 2⁻²⁴ (one rounding per
/// fused step). im2col is a copy: its rows must hold exactly the input's values, and zeros in the padding.
/// </summary>
public sealed class FloatDirectConvTests
{
    private static float[] RandomValues(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    // batch, inH, inW, channels, M, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, padBottom, padRight
    public static TheoryData<int[]> Layers => new()
    {
        new[] { 1, 28, 28, 1, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 },   // mnist-8's first layer
        new[] { 2, 9, 13, 2, 5, 3, 3, 2, 1, 1, 2, 1, 0, 1, 3 },    // batch, strides, dilation, asymmetric pads, M not a vector
        new[] { 1, 7, 20, 3, 16, 3, 4, 1, 3, 2, 1, 0, 2, 2, 0 },
        new[] { 1, 4, 4, 1, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 },     // kernel larger than the input
        new[] { 1, 6, 30, 4, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 },
        new[] { 1, 23, 23, 3, 64, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0 },  // squeezenet1.0's first layer, smaller: four vectors per tile
        new[] { 1, 15, 17, 3, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },  // three vectors; an interior of 15: three tiles of five
        new[] { 2, 11, 14, 1, 40, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 },  // two whole vectors and a partial one (on 512 bits)
        new[] { 1, 9, 20, 2, 64, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0 },
        new[] { 1, 8, 9, 3, 20, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0 },    // an interior of 7: tiles of four and three
        new[] { 1, 6, 34, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },  // squeezenet1.0's 3×3 expand (16 → 64): a 9,216-float panel
        // Tiles down the border columns need six output rows whose kernel column lies inside the input.
        new[] { 1, 5, 12, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },   // 5 rows (3 inside): tiles of three down the border columns
        new[] { 1, 6, 12, 4, 16, 3, 3, 1, 1, 1, 1, 0, 1, 0, 1 },   // 6 rows, pad 0 along H: one tile down each border column
        new[] { 1, 8, 10, 5, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },   // 6 rows inside: one band, corners alone
        new[] { 1, 9, 7, 3, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },    // 7 rows inside: bands of four and three; an interior of 5 columns: every column down
        new[] { 1, 15, 15, 8, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },  // 13 rows inside: bands of five, four and four
        new[] { 1, 5, 6, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },    // 4 interior columns, 3 rows: a short tile along each row, short ones down
        new[] { 1, 4, 3, 2, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },    // 1 interior column, 2 rows: every column down in tiles of two
        new[] { 1, 13, 13, 7, 9, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0 },   // pads 0: no border column, nothing goes down
        new[] { 2, 15, 11, 32, 72, 3, 3, 2, 1, 1, 1, 2, 1, 2, 1 }, // batch 2, stride 2 along H, pads 2 and 1; a block of four vectors and a partial one
        new[] { 1, 20, 9, 6, 100, 3, 3, 1, 2, 2, 1, 2, 2, 2, 2 },  // dilation 2 along H, stride 2 along W, pads 2: two blocks and a partial vector
        new[] { 1, 14, 6, 2, 8, 3, 5, 1, 1, 1, 2, 0, 2, 0, 2 },    // dilation 2 along W: no interior column, every column down (8 outputs: 256 bits)
        new[] { 1, 27, 8, 3, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 },   // strides 2: 13 rows inside, 3 interior columns
        new[] { 1, 9, 27, 32, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, // squeezenet1.0's 27² × 32 → 128, fewer rows: two blocks
        new[] { 1, 13, 13, 48, 192, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, // squeezenet1.0's 13² × 48 → 192: three blocks
    };

    private static (int OutH, int OutW) OutputSize(int[] l) =>
        ((l[1] + l[11] + l[13] - ((l[5] - 1) * l[9] + 1)) / l[7] + 1, (l[2] + l[12] + l[14] - ((l[6] - 1) * l[10] + 1)) / l[8] + 1);

    [Theory]
    [MemberData(nameof(Layers))]
    public void Every_vector_width_gives_the_specifications_bits_and_the_specification_is_within_its_rounding_bound(int[] l)
    {
        int batch = l[0], inH = l[1], inW = l[2], c = l[3], m = l[4], kh = l[5], kw = l[6];
        var (outH, outW) = OutputSize(l);
        var x = RandomValues(1, batch * inH * inW * c);
        var w = RandomValues(2, m * kh * kw * c);
        var bias = RandomValues(3, m);
        foreach (var (low, high) in new[] { (float.NegativeInfinity, float.PositiveInfinity), (0f, float.PositiveInfinity) })
        {
            var spec = new float[batch * outH * outW * m];
            FloatDirectConv.NhwcScalar(x, batch, inH, inW, c, w, m, kh, kw, l[7], l[8], l[9], l[10], l[11], l[12], bias, low, high, spec, outH, outW);
            var dispatched = new float[spec.Length];
            FloatDirectConv.Nhwc(x, batch, inH, inW, c, w, m, kh, kw, l[7], l[8], l[9], l[10], l[11], l[12], bias, low, high, dispatched, outH, outW);
            Assert.Equal(Bits(spec), Bits(dispatched));
            foreach (int width in new[] { 512, 256, 128 })
            {
                var y = new float[spec.Length];
                FloatDirectConv.NhwcWithWidth(width, x, batch, inH, inW, c, w, m, kh, kw, l[7], l[8], l[9], l[10], l[11], l[12], bias, low, high, y, outH, outW);
                Assert.True(Bits(spec).SequenceEqual(Bits(y)), $"width {width}: differs from the specification");
            }
            foreach (int width in new[] { 512, 256, 128, 0 })
            {
                // Filters packed once (as a generated constructor does) for each path: the same tiles, the same bits.
                var packed = FloatDirectConv.PackForWidth(width, w, m, kh, kw, c);
                var y = new float[spec.Length];
                FloatDirectConv.Nhwc(x, batch, inH, inW, c, packed, l[7], l[8], l[9], l[10], l[11], l[12], bias, low, high, y, outH, outW);
                Assert.True(Bits(spec).SequenceEqual(Bits(y)), $"packed for width {width}: differs from the specification");
            }
            var machinePacked = new float[spec.Length];
            FloatDirectConv.Nhwc(x, batch, inH, inW, c, FloatDirectConv.Pack(w, m, kh, kw, c), l[7], l[8], l[9], l[10], l[11], l[12], bias, low, high, machinePacked, outH, outW);
            Assert.Equal(Bits(spec), Bits(machinePacked));
            if (low == 0f) continue;
            const double epsilon = 1.0 / (1 << 24);
            for (int n = 0; n < batch; n++)
            for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++)
            for (int j = 0; j < m; j++)
            {
                double exact = bias[j], magnitude = Math.Abs(bias[j]);
                for (int a = 0; a < kh; a++)
                for (int b = 0; b < kw; b++)
                {
                    int ih = oh * l[7] - l[11] + a * l[9], iw = ow * l[8] - l[12] + b * l[10];
                    if (ih < 0 || ih >= inH || iw < 0 || iw >= inW) continue;
                    for (int ch = 0; ch < c; ch++)
                    {
                        double product = (double)x[((n * inH + ih) * inW + iw) * c + ch] * w[((j * kh + a) * kw + b) * c + ch];
                        exact += product;
                        magnitude += Math.Abs(product);
                    }
                }
                float actual = spec[((n * outH + oh) * outW + ow) * m + j];
                Assert.True(Math.Abs(actual - exact) <= (kh * kw * c + 1) * epsilon * magnitude + 1e-30, $"y[{n},{oh},{ow},{j}] = {actual}, exact {exact}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Im2col_rows_hold_the_inputs_values_and_zeros_in_the_padding_for_any_chunk(int[] l)
    {
        int batch = l[0], inH = l[1], inW = l[2], c = l[3], kh = l[5], kw = l[6];
        var (outH, outW) = OutputSize(l);
        var x = RandomValues(4, batch * inH * inW * c);
        int filter = kh * kw * c, total = batch * outH * outW;
        // A chunk starting mid-row, to check the counters that step from pixel to pixel.
        int first = Math.Min(total - 1, outW / 2 + 1), count = total - first;
        var patch = Enumerable.Repeat(float.NaN, count * filter).ToArray();
        FloatIm2Col.GatherNhwc(x, inH, inW, c, outH, outW, kh, kw, l[7], l[8], l[9], l[10], l[11], l[12], first, count, patch);
        for (int i = 0; i < count; i++)
        {
            int q = first + i, n = q / (outH * outW), oh = q / outW % outH, ow = q % outW;
            for (int a = 0; a < kh; a++)
            for (int b = 0; b < kw; b++)
            for (int ch = 0; ch < c; ch++)
            {
                int ih = oh * l[7] - l[11] + a * l[9], iw = ow * l[8] - l[12] + b * l[10];
                float expected = ih < 0 || ih >= inH || iw < 0 || iw >= inW ? 0f : x[((n * inH + ih) * inW + iw) * c + ch];
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(patch[i * filter + (a * kw + b) * c + ch]));
            }
        }
    }

    [Fact]
    public void Layers_beyond_the_weight_panel_and_short_tensors_are_rejected_with_a_message()
    {
        var x = new float[16];
        var w = new float[8 * 9];
        var y = new float[16 * 8];
        var inf = float.PositiveInfinity;
        // 4,096 filters of 3×3×32: a 1,179,648-float panel, beyond the 2²⁰ this kernel packs.
        Assert.Contains("weight panel", Assert.Throws<ArgumentException>(() =>
            FloatDirectConv.Nhwc(x, 1, 4, 4, 32, w, 4096, 3, 3, 1, 1, 1, 1, 1, 1, [], -inf, inf, y, 4, 4)).Message);
        Assert.Contains("weight panel", Assert.Throws<ArgumentException>(() => FloatDirectConv.Pack(w, 4096, 3, 3, 32)).Message);
        Assert.Contains("input channels", Assert.Throws<ArgumentException>(() =>
            FloatDirectConv.Nhwc(x, 1, 4, 4, 2, FloatDirectConv.Pack(w, 8, 3, 3, 1), 1, 1, 1, 1, 1, 1, [], -inf, inf, y, 4, 4)).Message);
        Assert.Contains("y holds", Assert.Throws<ArgumentException>(() =>
            FloatDirectConv.Nhwc(x, 1, 4, 4, 1, w, 8, 3, 3, 1, 1, 1, 1, 1, 1, [], -inf, inf, new float[10], 4, 4)).Message);
        Assert.Contains("patch holds", Assert.Throws<ArgumentException>(() =>
            FloatIm2Col.GatherNhwc(x, 4, 4, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 16, new float[10])).Message);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
