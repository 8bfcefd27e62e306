using Octet.Runtime;
using Xunit;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// The float32 runtime primitives against their scalar specifications. Element-wise primitives (one IEEE
/// operation per element) must match bit for bit at every SIMD width; dot products sum in a different order
/// per width, so they are compared within the rounding bound of a reordered sum (2·k·ε·Σ|aᵢbᵢ|, ε = 2⁻²⁴),
/// and the row-blocked forms must match the single dot product exactly (same arithmetic, shared loads).
/// </summary>
public sealed class FloatRuntimeTests
{
    // Lengths around every vector width (4, 8, 16) and their tails.
    public static TheoryData<int> Lengths => new() { 0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 1000, 4099 };

    private static float[] RandomValues(int seed, int length, float scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static void AssertBitsEqual(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot_at_every_width_is_within_the_reordering_bound_of_the_scalar_specification(int length)
    {
        var a = RandomValues(1, length);
        var b = RandomValues(2, length);
        float scalar = FloatDot.DotScalar(a, b);
        double exact = 0, magnitude = 0;
        for (int i = 0; i < length; i++)
        {
            exact += (double)a[i] * b[i];
            magnitude += Math.Abs((double)a[i] * b[i]);
        }
        double bound = 2 * Math.Max(length, 1) * Math.Pow(2, -24) * magnitude + 1e-30;
        foreach (var (name, value) in new[] { ("scalar", scalar), ("Dot", FloatDot.Dot(a, b)), ("128", length >= 4 ? FloatDot.Dot128(a, b) : scalar),
                     ("256", length >= 8 ? FloatDot.Dot256(a, b) : scalar), ("512", length >= 16 ? FloatDot.Dot512(a, b) : scalar) })
            Assert.True(Math.Abs(value - exact) <= bound, $"{name}: {value:R} vs exact {exact:R} (bound {bound:G3})");
    }

    [Fact]
    public void Dot_of_exactly_representable_sums_is_exact_at_every_width()
    {
        // Small integers: every partial sum is exact in float, so any order gives the same bits.
        var a = Enumerable.Range(0, 100).Select(i => (float)(i % 7 - 3)).ToArray();
        var b = Enumerable.Range(0, 100).Select(i => (float)(i % 5 - 2)).ToArray();
        float expected = FloatDot.DotScalar(a, b);
        Assert.Equal(expected, FloatDot.Dot128(a, b));
        Assert.Equal(expected, FloatDot.Dot256(a, b));
        Assert.Equal(expected, FloatDot.Dot512(a, b));
        Assert.Equal(expected, FloatDot.Dot(a, b));
    }

    [Theory]
    [InlineData(3, 5, 5)]
    [InlineData(16, 7, 20)]
    [InlineData(40, 9, 40)]
    [InlineData(27, 13, 31)]
    public void DotRows_equals_Dot_per_row_bit_for_bit(int length, int rows, int stride)
    {
        var x = RandomValues(3, length);
        var matrix = RandomValues(4, (rows - 1) * stride + length);
        var expected = Enumerable.Range(0, rows).Select(r => FloatDot.Dot(x, matrix.AsSpan(r * stride, length))).ToArray();
        var actual = new float[rows];
        FloatDot.DotRows(x, matrix, stride, actual);
        AssertBitsEqual(expected, actual);

        var accumulated = RandomValues(5, rows);
        var expectedSum = accumulated.Select((v, r) => v + expected[r]).ToArray();
        FloatDot.AccumulateDotRows(x, matrix, stride, accumulated);
        AssertBitsEqual(expectedSum, accumulated);
    }

    [Fact]
    public void DotRows_refuses_a_matrix_too_short_for_its_rows()
    {
        var x = new float[16];
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => FloatDot.DotRows(x, new float[16 * 4 - 1], 16, new float[4]));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Binary_operations_are_bit_identical_to_scalar_for_every_operand_form(int length)
    {
        var a = RandomValues(6, length);
        var b = RandomValues(7, length);
        for (int i = 0; i < length; i += 5) b[i] = 0; // zero divisors: ±∞ and NaN must match too
        float s = 0.3f;
        var ops = new (Func<float, float, float> Scalar, Action<float[], float[], float[]> Spans, Action<float[], float, float[]> Right, Action<float, float[], float[]> Left)[]
        {
            ((p, q) => p + q, (x, y, z) => FloatElementwise.Add(x, y, z), (x, y, z) => FloatElementwise.Add(x, y, z), (x, y, z) => FloatElementwise.Add(x, y, z)),
            ((p, q) => p - q, (x, y, z) => FloatElementwise.Subtract(x, y, z), (x, y, z) => FloatElementwise.Subtract(x, y, z), (x, y, z) => FloatElementwise.Subtract(x, y, z)),
            ((p, q) => p * q, (x, y, z) => FloatElementwise.Multiply(x, y, z), (x, y, z) => FloatElementwise.Multiply(x, y, z), (x, y, z) => FloatElementwise.Multiply(x, y, z)),
            ((p, q) => p / q, (x, y, z) => FloatElementwise.Divide(x, y, z), (x, y, z) => FloatElementwise.Divide(x, y, z), (x, y, z) => FloatElementwise.Divide(x, y, z)),
        };
        foreach (var op in ops)
        {
            var y = new float[length];
            op.Spans(a, b, y);
            AssertBitsEqual(a.Select((v, i) => op.Scalar(v, b[i])).ToArray(), y);
            op.Right(a, s, y);
            AssertBitsEqual(a.Select(v => op.Scalar(v, s)).ToArray(), y);
            op.Left(s, b, y);
            AssertBitsEqual(b.Select(v => op.Scalar(s, v)).ToArray(), y);
            // In place: the output is the first operand's memory.
            var inPlace = (float[])a.Clone();
            op.Spans(inPlace, b, inPlace);
            AssertBitsEqual(a.Select((v, i) => op.Scalar(v, b[i])).ToArray(), inPlace);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MultiplyAdd_is_bit_identical_to_its_scalar_specification(int length)
    {
        var x = RandomValues(8, length);
        var y = RandomValues(9, length);
        var expected = (float[])y.Clone();
        FloatElementwise.MultiplyAddScalar(x, -0.7f, expected);
        FloatElementwise.MultiplyAdd(x, -0.7f, y);
        AssertBitsEqual(expected, y);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Vectorized_activations_are_bit_identical_to_scalar_including_nan_and_negative_zero(int length)
    {
        var x = RandomValues(10, length, 4);
        if (length > 2) { x[0] = float.NaN; x[1] = -0f; x[2] = float.NegativeInfinity; }
        var y = new float[length];

        FloatActivation.Relu(x, y);
        var expected = new float[length];
        FloatActivation.UnaryScalar(new FloatActivation.ReluOp(), x, expected);
        AssertBitsEqual(expected, y);
        AssertBitsEqual(x.Select(v => v < 0 ? 0f : v).ToArray(), y); // the reference operator's formula

        FloatActivation.LeakyRelu(x, 0.1f, y);
        AssertBitsEqual(x.Select(v => v < 0 ? 0.1f * v : v).ToArray(), y);

        FloatActivation.Clip(x, -1.5f, 2f, y);
        AssertBitsEqual(x.Select(v => FloatActivation.Clip(v, -1.5f, 2f)).ToArray(), y);
        AssertBitsEqual(x.Select(v => v < -1.5f ? -1.5f : v > 2f ? 2f : v).ToArray(), y);

        // min > max: every element becomes max (what the reference's two comparisons give).
        FloatActivation.Clip(x, 3f, -3f, y);
        AssertBitsEqual(x.Select(v => float.IsNaN(v) ? v : -3f).ToArray(), y);

        // In place.
        var inPlace = (float[])x.Clone();
        FloatActivation.Relu(inPlace, inPlace);
        AssertBitsEqual(expected, inPlace);
    }

    [Fact]
    public void Transcendental_activations_use_the_reference_formulas()
    {
        var x = RandomValues(11, 257, 30).Append(100f).Append(-100f).ToArray();
        var y = new float[x.Length];
        FloatActivation.Exp(x, y);
        AssertBitsEqual(x.Select(MathF.Exp).ToArray(), y);
        FloatActivation.Tanh(x, y);
        AssertBitsEqual(x.Select(MathF.Tanh).ToArray(), y);
        FloatActivation.Sigmoid(x, y);
        AssertBitsEqual(x.Select(v => v >= 0 ? 1f / (1f + MathF.Exp(-v)) : MathF.Exp(v) / (1f + MathF.Exp(v))).ToArray(), y);
        Assert.Equal(0f, FloatActivation.Sigmoid(-1000f));
        Assert.Equal(1f, FloatActivation.Sigmoid(1000f));
    }

    [Fact]
    public void Softmax_group_sums_to_one_along_a_strided_column_and_leaves_other_elements_alone()
    {
        // A 3 x 4 matrix; softmax of column 1 (stride 4), in place.
        var x = RandomValues(12, 12, 5);
        var y = (float[])x.Clone();
        FloatSoftmax.Group(y.AsSpan(1), y.AsSpan(1), 3, 4);
        double sum = 0;
        for (int r = 0; r < 3; r++) sum += y[1 + 4 * r];
        Assert.Equal(1.0, sum, 6);
        for (int i = 0; i < 12; i++)
            if (i % 4 != 1) Assert.Equal(x[i], y[i]);
        double max = Math.Max(x[1], Math.Max(x[5], x[9]));
        double denominator = Math.Exp(x[1] - max) + Math.Exp(x[5] - max) + Math.Exp(x[9] - max);
        Assert.Equal((float)(Math.Exp(x[5] - (float)max) / denominator), y[5], 6);
    }
}
