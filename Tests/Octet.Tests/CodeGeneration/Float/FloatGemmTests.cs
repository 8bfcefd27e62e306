using Octet.Generator.Emit.Float;
using Octet.Generator.Plan;
using Octet.Runtime;
using Xunit;
using static Octet.Tests.CodeGeneration.Float.FloatKernelHarness;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// The register-blocked float32 product against NK-packed weights (<see cref="FloatGemm.MultiplyNK"/>) and the
/// Conv paths built on it. The SIMD kernel sums each output's K products in a different order from the scalar
/// specification, so outputs are compared with the exact (double) dot product within the rounding bound of a
/// reordered float sum, 2·k·ε·Σ|aₚbₚ| (ε = 2⁻²⁴); sums of small integers are exact in any order and must match the
/// specification bit for bit.
/// </summary>
public sealed class FloatGemmTests
{
    private static float[] RandomValues(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    // Row and column counts around the 4×4 block (edges of 1–3), K around every vector width and its tails.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 3, 5, 7 }, { 4, 4, 8 }, { 5, 3, 16 }, { 7, 9, 17 }, { 8, 8, 25 }, { 9, 6, 31 }, { 4, 13, 33 },
        { 13, 10, 64 }, { 6, 7, 100 }, { 2, 4, 577 }, { 0, 3, 5 }, { 3, 0, 5 }, { 3, 4, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyNK_is_within_the_reordering_bound_of_the_exact_product_with_strides_and_accumulation(int rows, int n, int k)
    {
        int lda = k + 3, ldc = n + 2;
        var a = RandomValues(1, Math.Max(0, rows * lda));
        var b = RandomValues(2, n * k);
        var start = RandomValues(3, Math.Max(0, rows * ldc));
        foreach (bool accumulate in new[] { false, true })
        {
            var c = (float[])start.Clone();
            FloatGemm.MultiplyNK(a, lda, rows, b, k, n, c, ldc, accumulate);
            var spec = (float[])start.Clone();
            FloatGemm.MultiplyNKScalar(a, lda, rows, b, k, n, spec, ldc, accumulate);
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < ldc; j++)
                {
                    int at = r * ldc + j;
                    if (j >= n)
                    {
                        // Padding between rows of C is never written.
                        Assert.Equal(start[at], c[at]);
                        continue;
                    }
                    double exact = accumulate ? start[at] : 0, magnitude = accumulate ? Math.Abs(start[at]) : 0;
                    for (int p = 0; p < k; p++)
                    {
                        double product = (double)a[r * lda + p] * b[j * k + p];
                        exact += product;
                        magnitude += Math.Abs(product);
                    }
                    double bound = 2 * (k + 1) * Math.Pow(2, -24) * magnitude + 1e-30;
                    Assert.True(Math.Abs(c[at] - exact) <= bound, $"row {r}, column {j}: {c[at]:R} vs exact {exact:R} (bound {bound:G3})");
                    Assert.True(Math.Abs(spec[at] - exact) <= bound, $"specification row {r}, column {j}: {spec[at]:R} vs exact {exact:R}");
                }
            }
        }
    }

    [Fact]
    public void MultiplyNK_of_exactly_representable_sums_matches_the_specification_bit_for_bit()
    {
        const int rows = 11, n = 10, k = 59;
        var a = Enumerable.Range(0, rows * k).Select(i => (float)(i % 7 - 3)).ToArray();
        var b = Enumerable.Range(0, n * k).Select(i => (float)(i % 5 - 2)).ToArray();
        var expected = new float[rows * n];
        var actual = new float[rows * n];
        FloatGemm.MultiplyNKScalar(a, k, rows, b, k, n, expected, n, accumulate: false);
        FloatGemm.MultiplyNK(a, k, rows, b, k, n, actual, n, accumulate: false);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(7, 6)]  // A the larger matrix: row blocks outer
    [InlineData(5, 11)] // B the larger matrix: column blocks outer
    public void An_output_does_not_depend_on_where_its_row_and_column_fall_in_a_block(int rows, int n)
    {
        // 4×4 blocks and the edge kernel use the same arithmetic, so computing one output alone gives the same bits.
        const int k = 45;
        var a = RandomValues(4, rows * k);
        var b = RandomValues(5, n * k);
        var all = new float[rows * n];
        FloatGemm.MultiplyNK(a, k, rows, b, k, n, all, n, accumulate: false);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                var one = new float[1];
                FloatGemm.MultiplyNK(a.AsSpan(r * k, k), k, 1, b.AsSpan(j * k, k), k, 1, one, 1, accumulate: false);
                Assert.True(BitConverter.SingleToInt32Bits(one[0]) == BitConverter.SingleToInt32Bits(all[r * n + j]),
                    $"row {r}, column {j}: alone {one[0]:R}, in the product {all[r * n + j]:R}");
            }
        }
    }

    [Fact]
    public void MultiplyNK_rejects_spans_too_short_for_the_stated_sizes()
    {
        var a = new float[2 * 8];
        var b = new float[3 * 8];
        var c = new float[2 * 3];
        Assert.Throws<ArgumentException>(() => FloatGemm.MultiplyNK(a, 8, 3, b, 8, 3, c, 3, false));
        Assert.Throws<ArgumentException>(() => FloatGemm.MultiplyNK(a, 8, 2, b, 8, 4, new float[8], 4, false));
        Assert.Throws<ArgumentException>(() => FloatGemm.MultiplyNK(a, 8, 2, b, 8, 3, new float[5], 3, false));
        Assert.Throws<ArgumentException>(() => FloatGemm.MultiplyNK(a, 4, 2, b, 8, 3, c, 3, false));
    }

    private const double ConvTolerance = 1e-5; // relative to the output range, as FloatConvKernelTests states

    [Fact]
    public void Conv_whose_im2col_rows_fill_the_stack_buffer_in_several_chunks_per_output_row()
    {
        // 3·3·300 = 2700 floats per im2col row: three output pixels per 32 KB chunk, so a 7-wide output row takes
        // chunks of 3, 3 and 1 pixels; padding puts zero taps at both edges.
        var inputs = new Operand?[]
        {
            new("x", Random(1, 1, 300, 5, 7), "NHWC"),
            new("w", Random(2, 9, 300, 3, 3), "OHWI"),
            new("b", Random(3, 9)),
        };
        AssertAgrees(Run(new FloatConvEmitter(), "Conv", 13, inputs, "NHWC", [Ints("pads", 1, 1, 1, 1), Int("group", 1)]), ConvTolerance);
    }

    [Fact]
    public void Conv_with_a_filter_too_large_for_the_stack_buffer_uses_the_per_pixel_path()
    {
        // 3·3·1000 floats per filter exceed the 32 KB im2col buffer.
        var inputs = new Operand?[]
        {
            new("x", Random(1, 1, 1000, 3, 3), "NHWC"),
            new("w", Random(2, 5, 1000, 3, 3), "OHWI"),
        };
        AssertAgrees(Run(new FloatConvEmitter(), "Conv", 13, inputs, "NHWC", [Ints("pads", 1, 1, 1, 1), Int("group", 1)]), ConvTolerance);
    }

    [Fact]
    public void Pointwise_conv_over_a_batch_reads_each_image_in_place()
    {
        var inputs = new Operand?[]
        {
            new("x", Random(1, 3, 20, 5, 6), "NHWC"),
            new("w", Random(2, 7, 20, 1, 1), "OHWI", PlanStorage.Weights),
        };
        AssertAgrees(Run(new FloatConvEmitter(), "Conv", 13, inputs, "NHWC", [Int("group", 1)]), ConvTolerance);
    }
}
