using Octet.Runtime;
using Xunit;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// The outer-product float32 kernel <see cref="FloatPanelGemm"/>. Every SIMD path adds each output's products in the
/// specification's order with one fused multiply-add each, so each path (Vector512, Vector256, Vector128, whatever
/// this machine accelerates) must give the scalar specification's bits exactly. The specification itself is checked
/// against the exact (double) product within the rounding bound of K fused steps, (K + 1)·ε·(|start| + Σ|aₚbₚ|)
/// with ε = 2⁻²⁴ (each step rounds once, by at most ε of a partial sum no larger than that total).
/// </summary>
public sealed class FloatPanelGemmTests
{
    private static float[] RandomValues(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    // Rows around the 6-row tile (7 and 8 run as 4 + 3 and 4 + 4) and the 12-row tile of one-vector panels, columns
    // around one to four vectors of 4, 8 and 16 lanes and a 1000-column layer's 40-column tail, K around the 512 block
    // (one, two and three blocks).
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 5, 7, 3 }, { 6, 8, 16 }, { 7, 9, 17 }, { 12, 16, 25 }, { 13, 17, 31 }, { 2, 31, 8 }, { 6, 32, 64 },
        { 11, 33, 100 }, { 3, 40, 255 }, { 8, 65, 256 }, { 7, 20, 257 }, { 4, 24, 600 }, { 0, 3, 5 }, { 3, 0, 5 }, { 3, 4, 0 },
        { 9, 48, 511 }, { 14, 64, 512 }, { 8, 70, 513 }, { 13, 1000, 520 }, { 7, 130, 1100 }, { 2, 200, 1025 },
        { 25, 16, 1030 }, { 12, 70, 600 }, { 31, 5, 40 },
    };

    private static readonly int[] Widths = [512, 256, 128];

    /// <summary>(low, high) pairs: no clamp, Relu, a Clip like Relu6.</summary>
    private static readonly (float Low, float High)[] Clamps =
        [(float.NegativeInfinity, float.PositiveInfinity), (0f, float.PositiveInfinity), (-0.25f, 0.5f)];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_vector_width_gives_the_specifications_bits_with_bias_accumulation_clamps_and_strides(int rows, int n, int k)
    {
        int lda = k + 3, ldc = n + 2;
        var a = RandomValues(1, Math.Max(0, rows * lda));
        var b = RandomValues(2, n * k);
        var bias = RandomValues(4, n);
        var start = RandomValues(3, Math.Max(0, rows * ldc));
        foreach (var (low, high) in Clamps)
        {
            foreach (int mode in new[] { 0, 1, 2 }) // 0: from zero, 1: from the bias, 2: accumulate into C
            {
                ReadOnlySpan<float> startBias = mode == 1 ? bias : ReadOnlySpan<float>.Empty;
                var spec = (float[])start.Clone();
                FloatPanelGemm.MultiplyScalar(a, lda, rows, b, k, n, startBias, low, high, spec, ldc, mode == 2);
                var viaDispatch = (float[])start.Clone();
                FloatPanelGemm.Multiply(a, lda, rows, b, k, n, startBias, low, high, viaDispatch, ldc, mode == 2);
                Assert.Equal(Bits(spec), Bits(viaDispatch));
                // B packed once (what generated constructors do) reads the same panels in the same order.
                var viaPacked = (float[])start.Clone();
                FloatPanelGemm.Multiply(a, lda, rows, FloatPanelGemm.Pack(b, k, n), startBias, low, high, viaPacked, ldc, mode == 2);
                Assert.True(Bits(spec).SequenceEqual(Bits(viaPacked)), $"packed weights, mode {mode}, clamp [{low}, {high}]: differs from the specification");
                foreach (int width in Widths)
                {
                    var c = (float[])start.Clone();
                    FloatPanelGemm.MultiplyWithWidth(width, a, lda, rows, b, k, n, startBias, low, high, c, ldc, mode == 2);
                    Assert.True(Bits(spec).SequenceEqual(Bits(c)), $"width {width}, mode {mode}, clamp [{low}, {high}]: differs from the specification");
                }
                // Padding between rows of C is never written.
                for (int r = 0; r < rows; r++)
                    for (int j = n; j < ldc; j++) Assert.Equal(start[r * ldc + j], spec[r * ldc + j]);
            }
        }
    }

    [Fact]
    public void Every_panel_width_and_row_tile_gives_the_specifications_bits()
    {
        // Every column count up to a 64-column panel and past it (the last panel's 1–4 vectors, whole or with an edge)
        // times every row count up to two tiles and one (the 6-row tiles, the 4 + 3, 4 + 4 remainders and the 12-row
        // tile of one-vector panels), cycling
        // through the starts, clamps and a K that crosses the 512 block every few shapes.
        int shape = 0;
        for (int n = 1; n <= 70; n++)
        {
            for (int rows = 1; rows <= 13; rows++, shape++)
            {
                int k = shape % 17 == 0 ? 515 : 1 + shape % 7;
                int lda = k + 1, ldc = n + 3, mode = shape % 3;
                var (low, high) = Clamps[shape % Clamps.Length];
                var a = RandomValues(shape, rows * lda);
                var b = RandomValues(shape + 1, n * k);
                var bias = RandomValues(shape + 2, n);
                var start = RandomValues(shape + 3, rows * ldc);
                ReadOnlySpan<float> startBias = mode == 1 ? bias : ReadOnlySpan<float>.Empty;
                var spec = (float[])start.Clone();
                FloatPanelGemm.MultiplyScalar(a, lda, rows, b, k, n, startBias, low, high, spec, ldc, mode == 2);
                var viaPacked = (float[])start.Clone();
                FloatPanelGemm.Multiply(a, lda, rows, FloatPanelGemm.Pack(b, k, n), startBias, low, high, viaPacked, ldc, mode == 2);
                Assert.True(Bits(spec).SequenceEqual(Bits(viaPacked)), $"packed weights, {rows}x{k}x{n}, mode {mode}: differs from the specification");
                foreach (int width in Widths)
                {
                    var c = (float[])start.Clone();
                    FloatPanelGemm.MultiplyWithWidth(width, a, lda, rows, b, k, n, startBias, low, high, c, ldc, mode == 2);
                    Assert.True(Bits(spec).SequenceEqual(Bits(c)), $"width {width}, {rows}x{k}x{n}, mode {mode}: differs from the specification");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_specification_is_within_the_fused_rounding_bound_of_the_exact_product(int rows, int n, int k)
    {
        int lda = k + 1, ldc = n;
        var a = RandomValues(5, Math.Max(0, rows * lda));
        var b = RandomValues(6, n * k);
        var bias = RandomValues(7, n);
        var c = new float[rows * ldc];
        FloatPanelGemm.MultiplyScalar(a, lda, rows, b, k, n, bias, float.NegativeInfinity, float.PositiveInfinity, c, ldc, accumulate: false);
        const double epsilon = 1.0 / (1 << 24);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double exact = bias[j], magnitude = Math.Abs(bias[j]);
                for (int p = 0; p < k; p++)
                {
                    double product = (double)a[r * lda + p] * b[j * k + p];
                    exact += product;
                    magnitude += Math.Abs(product);
                }
                double bound = (k + 1) * epsilon * magnitude + 1e-30;
                Assert.True(Math.Abs(c[r * ldc + j] - exact) <= bound, $"C[{r},{j}] = {c[r * ldc + j]}, exact {exact}, bound {bound}");
            }
        }
    }

    [Fact]
    public void Clamping_matches_FloatActivation_including_NaN_and_negative_zero()
    {
        // K = 0: each output is its start, so the clamp alone decides it.
        float[] starts = [float.NaN, -0f, 0f, -1f, 2f, 0.3f, float.NegativeInfinity, float.PositiveInfinity, -0.3f];
        int n = starts.Length;
        foreach (var (low, high) in Clamps)
        {
            var expected = new float[n];
            FloatActivation.Clip(starts, low, high, expected);
            foreach (int width in Widths.Append(0))
            {
                var c = new float[n];
                FloatPanelGemm.MultiplyWithWidth(width, new float[1], 0, 1, [], 0, n, starts, low, high, c, n, accumulate: false);
                Assert.Equal(Bits(expected), Bits(c));
            }
        }
    }

    [Fact]
    public void Small_integer_products_are_exact()
    {
        // Sums of small integers are exact in float, so the kernel must equal the integer product.
        int rows = 9, n = 37, k = 300;
        var random = new Random(8);
        var a = Enumerable.Range(0, rows * k).Select(_ => (float)random.Next(-8, 9)).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => (float)random.Next(-8, 9)).ToArray();
        var c = new float[rows * n];
        FloatPanelGemm.Multiply(a, k, rows, b, k, n, ReadOnlySpan<float>.Empty, float.NegativeInfinity, float.PositiveInfinity, c, n, accumulate: false);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++)
            {
                long sum = 0;
                for (int p = 0; p < k; p++) sum += (long)a[r * k + p] * (long)b[j * k + p];
                Assert.Equal(sum, (long)c[r * n + j]);
            }
    }

    [Fact]
    public void Bad_sizes_and_a_bias_with_accumulation_are_rejected_with_a_message()
    {
        var a = new float[12];
        var b = new float[12];
        var c = new float[16];
        var inf = float.PositiveInfinity;
        Assert.Contains("A holds", Assert.Throws<ArgumentException>(() => FloatPanelGemm.Multiply(a, 4, 4, b, 4, 3, [], -inf, inf, c, 4, false)).Message);
        Assert.Contains("B holds", Assert.Throws<ArgumentException>(() => FloatPanelGemm.Multiply(a, 4, 3, b, 4, 4, [], -inf, inf, c, 4, false)).Message);
        Assert.Contains("C holds", Assert.Throws<ArgumentException>(() => FloatPanelGemm.Multiply(a, 4, 3, b, 4, 3, [], -inf, inf, c, 7, false)).Message);
        Assert.Contains("bias holds", Assert.Throws<ArgumentException>(() => FloatPanelGemm.Multiply(a, 4, 3, b, 4, 3, new float[2], -inf, inf, c, 4, false)).Message);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => FloatPanelGemm.Multiply(a, 4, 3, b, 4, 3, new float[3], -inf, inf, c, 4, true)).Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(169, 1000)]
    [InlineData(7, 13)]
    [InlineData(49, 4)]
    [InlineData(3, 40)]   // one group of four sums (32 channels), then one of eight channels
    [InlineData(5, 70)]   // two groups of 32, then six channels one at a time
    public void Global_average_gives_the_specifications_bits(int positions, int channels)
    {
        var x = RandomValues(9, positions * channels).Select(v => v * 100).ToArray();
        var expected = new float[channels];
        FloatGlobalAverage.AverageNhwcScalar(x, positions, channels, expected);
        var y = new float[channels];
        FloatGlobalAverage.AverageNhwc(x, positions, channels, y);
        Assert.Equal(Bits(expected), Bits(y));
        // The specification is the reference's formula: a double sum in position order, divided once.
        for (int k = 0; k < channels; k++)
        {
            double sum = 0;
            for (int p = 0; p < positions; p++) sum += x[p * channels + k];
            Assert.Equal(BitConverter.SingleToInt32Bits((float)(sum / positions)), BitConverter.SingleToInt32Bits(expected[k]));
        }
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
