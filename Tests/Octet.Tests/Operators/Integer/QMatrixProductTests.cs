using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QGemm and QMatMul against naive matrix products written here. Tolerances as for QConv:
/// fixed-point EXACT against BigInteger round_half_up(acc · M0 · 2^(shift − 31)), float EXACT against the
/// float32 formula (float)acc * scale; both within ±1 LSB of the real-valued definition (dequantize, multiply in
/// double, divide by s_y, round half to even) because the multiplier is approximated (2^−31 relative in
/// fixed-point, a float32 scale and product in float mode) and fixed-point ties go up rather than to even.
/// </summary>
public sealed class QMatrixProductTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ElementType.Int8, ElementType.Int8, true)]
    [InlineData(ElementType.Int8, ElementType.Int8, false)]
    [InlineData(ElementType.UInt8, ElementType.UInt8, true)]
    [InlineData(ElementType.UInt8, ElementType.Int8, false)]
    public void QGemm_matches_the_exact_formula_and_the_real_valued_definition(ElementType aType, ElementType wType, bool fixedPoint)
    {
        var random = new Random((int)aType * 10 + (int)wType + (fixedPoint ? 100 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        for (int trial = 0; trial < 40; trial++)
        {
            int[] leading = trial % 5 == 0 ? [] : trial % 2 == 0 ? [random.Next(1, 4)] : [2, random.Next(1, 4)];
            int depth = random.Next(1, 40), columns = random.Next(1, 12);
            int rows = leading.Aggregate(1, (p, d) => p * d);
            var a = Random8(random, aType, [.. leading, depth]);
            var w = Random8(random, wType, [depth, columns]);
            var (aMin, aMax) = Range(aType);
            var (wMin, wMax) = Range(wType);
            int aZeroPoint = random.Next(aMin, aMax + 1);
            var wZeroPoints = Enumerable.Range(0, columns).Select(_ => random.Next(wMin, wMax + 1)).ToArray();
            var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-30000, 30000)).ToArray();
            float aScale = RandomScale(random, 0.002, 0.05);
            var wScales = Enumerable.Range(0, columns).Select(_ => RandomScale(random, 0.001, 0.02)).ToArray();
            bool powersOfTwo = trial % 4 == 1; // M a power of two: exact ties occur (fixed-point rounds them up, the definition to even)
            if (powersOfTwo)
            {
                aScale = 1f / 32;
                for (int n = 0; n < columns; n++) wScales[n] = MathF.ScaleB(1f, -6 - n % 3);
            }

            var av = Values(a);
            var wv = Values(w);
            var accumulators = new long[rows * columns];
            var reals = new double[rows * columns];
            for (int r = 0; r < rows; r++)
            for (int n = 0; n < columns; n++)
            {
                long acc = bias[n];
                double sum = bias[n] * ((double)aScale * wScales[n]);
                for (int k = 0; k < depth; k++)
                {
                    acc += (long)(av[r * depth + k] - aZeroPoint) * (wv[k * columns + n] - wZeroPoints[n]);
                    sum += (double)aScale * (av[r * depth + k] - aZeroPoint) * ((double)wScales[n] * (wv[k * columns + n] - wZeroPoints[n]));
                }
                accumulators[r * columns + n] = acc;
                reals[r * columns + n] = sum;
            }
            float yScale = (float)(reals.Max(Math.Abs) / 100 + 1e-6);
            if (powersOfTwo) yScale = MathF.ScaleB(1f, (int)Math.Round(Math.Log2(yScale)));
            var yType = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = (yMin + yMax + 1) / 2 + random.Next(-20, 20);

            var attributes = fixedPoint
                ? FixedPoint(yType, yZeroPoint, wScales.Select(s => (double)aScale * s / yScale).ToArray())
                : FloatMode(yType, yZeroPoint, wScales.Select(s => aScale * s / yScale).ToArray());
            attributes.AddRange([Int("a_zero_point", aZeroPoint), Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray())]);
            var y = Run(new QGemm(), Node("QGemm", 3, attributes), [a, w, From(ElementType.Int32, [columns], bias)], constantInputs: true);
            Assert.Equal(new Shape([.. leading, columns]), y.Shape);
            var actual = Values(y);
            for (int i = 0; i < actual.Length; i++)
            {
                int n = i % columns;
                int expected;
                if (fixedPoint)
                {
                    var (m0, shift) = QuantizationMath.ToFixedPoint((double)aScale * wScales[n] / yScale);
                    expected = FixedPointOutput(accumulators[i], m0, shift, yZeroPoint, yMin, yMax);
                }
                else expected = FloatPathOutput(accumulators[i], aScale * wScales[n] / yScale, yZeroPoint, yMin, yMax);
                exact.Add(expected, actual[i]);
                real.Add(RealDefinition(reals[i] / yScale, yZeroPoint, yMin, yMax), actual[i]);
            }
        }
        output.WriteLine($"QGemm {aType}x{wType} {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued definition {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    public static TheoryData<int[], int[], bool> MatMulShapes => new()
    {
        { [3, 5], [5, 4], true }, { [3, 5], [5, 4], false },
        { [2, 1, 3, 5], [4, 5, 2], true }, { [2, 1, 3, 5], [4, 5, 2], false },
        { [5], [5, 3], true }, { [3, 5], [5], false }, { [2, 3, 40], [2, 40, 6], true },
    };

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void QMatMul_matches_the_exact_formula_and_the_real_valued_definition(int[] aShape, int[] bShape, bool fixedPoint)
    {
        var random = new Random(aShape.Sum() * 7 + bShape.Length + (fixedPoint ? 1 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        for (int trial = 0; trial < 30; trial++)
        {
            var aType = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            var bType = trial % 3 == 0 ? ElementType.Int8 : ElementType.UInt8;
            var a = Random8(random, aType, aShape);
            var b = Random8(random, bType, bShape);
            int aZeroPoint = random.Next(Range(aType).Min, Range(aType).Max + 1), bZeroPoint = random.Next(Range(bType).Min, Range(bType).Max + 1);
            float aScale = RandomScale(random, 0.002, 0.05), bScale = RandomScale(random, 0.002, 0.05);
            if (trial % 5 == 0) (aScale, bScale) = (1f / 32, 1f / 64); // with a power-of-two s_y below: exact ties occur

            var (accumulators, outShape) = NaiveMatMul(Values(a), aShape, aZeroPoint, Values(b), bShape, bZeroPoint);
            var reals = accumulators.Select(acc => (double)aScale * bScale * acc).ToArray();
            float yScale = (float)(reals.Max(Math.Abs) / 100 + 1e-6);
            if (trial % 5 == 0) yScale = MathF.ScaleB(1f, (int)Math.Round(Math.Log2(yScale)));
            var yType = trial % 4 < 2 ? ElementType.Int8 : ElementType.UInt8;
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = (yMin + yMax + 1) / 2 + random.Next(-30, 30);

            var attributes = fixedPoint
                ? FixedPoint(yType, yZeroPoint, [(double)aScale * bScale / yScale])
                : FloatMode(yType, yZeroPoint, [aScale * bScale / yScale]);
            attributes.AddRange([Int("a_zero_point", aZeroPoint), Int("b_zero_point", bZeroPoint)]);
            var y = Run(new QMatMul(), Node("QMatMul", 2, attributes), [a, b]);
            Assert.Equal(new Shape(outShape), y.Shape);
            var actual = Values(y);
            var (m0, shift) = QuantizationMath.ToFixedPoint((double)aScale * bScale / yScale);
            for (int i = 0; i < actual.Length; i++)
            {
                exact.Add(fixedPoint
                    ? FixedPointOutput(accumulators[i], m0, shift, yZeroPoint, yMin, yMax)
                    : FloatPathOutput(accumulators[i], aScale * bScale / yScale, yZeroPoint, yMin, yMax), actual[i]);
                // The real product of dequantized operands: s_a · s_b · acc exactly (acc is an exact integer sum).
                real.Add(RealDefinition(reals[i] / yScale, yZeroPoint, yMin, yMax), actual[i]);
            }
        }
        output.WriteLine($"QMatMul {string.Join("x", aShape)} @ {string.Join("x", bShape)} {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued definition {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    /// <summary>numpy.matmul by direct index arithmetic: 1-D operands promoted and the added axis dropped; batch axes broadcast.</summary>
    private static (long[] Result, int[] Shape) NaiveMatMul(int[] a, int[] aShape, int aZeroPoint, int[] b, int[] bShape, int bZeroPoint)
    {
        int[] am = aShape.Length == 1 ? [1, aShape[0]] : aShape;
        int[] bm = bShape.Length == 1 ? [bShape[0], 1] : bShape;
        int m = am[^2], k = am[^1], n = bm[^1];
        int rank = Math.Max(am.Length, bm.Length);
        int[] Pad(int[] s) => [.. Enumerable.Repeat(1, rank - s.Length), .. s];
        var ap = Pad(am);
        var bp = Pad(bm);
        var batch = Enumerable.Range(0, rank - 2).Select(d => Math.Max(ap[d], bp[d])).ToArray();
        int batchCount = batch.Aggregate(1, (p, d) => p * d);
        var result = new long[batchCount * m * n];
        for (int t = 0; t < batchCount; t++)
        {
            // Decompose t into batch indices; an operand axis of size 1 always reads index 0.
            int aOffset = 0, bOffset = 0, rest = t, aStride = m * k, bStride = k * n;
            for (int d = rank - 3; d >= 0; d--)
            {
                int index = rest % batch[d];
                rest /= batch[d];
                aOffset += (ap[d] == 1 ? 0 : index) * aStride;
                bOffset += (bp[d] == 1 ? 0 : index) * bStride;
                aStride *= ap[d];
                bStride *= bp[d];
            }
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                long sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (long)(a[aOffset + i * k + p] - aZeroPoint) * (b[bOffset + p * n + j] - bZeroPoint);
                result[(t * m + i) * n + j] = sum;
            }
        }
        var shape = new List<int>(batch);
        if (aShape.Length > 1) shape.Add(m);
        if (bShape.Length > 1) shape.Add(n);
        return (result, shape.ToArray());
    }

    [Fact]
    public void QGemm_by_hand_with_per_column_zero_points()
    {
        // A = [[3, 5]] (uint8, zp 1 → [2, 4]); W = [[1, 10], [2, 20]] with zps [0, 10] → [[1, 0], [2, 10]];
        // B = [1, -40]: columns 2 + 8 + 1 = 11 and 0 + 40 − 40 = 0. M = [1, 1]: y = [11, 0] + zp 5 = [16, 5].
        var node = Node("QGemm", 3, [.. FixedPoint(ElementType.UInt8, 5, [1.0, 1.0]), Int("a_zero_point", 1), Ints("w_zero_point", 0, 10)]);
        var y = Run(new QGemm(), node, [
            Tensor.Create(new Shape(1, 2), new byte[] { 3, 5 }),
            Tensor.Create(new Shape(2, 2), new byte[] { 1, 10, 2, 20 }),
            Tensor.Create(new Shape(2), new[] { 1, -40 })]);
        Assert.Equal(new byte[] { 16, 5 }, y.As<byte>());
    }

    [Fact]
    public void QMatMul_rejects_inner_dimensions_whose_sum_could_overflow()
    {
        // K = 40,000 with uint8 operands at zp 0: 40,000 · 255 · 255 > 2^31 − 1, whatever the data.
        var node = Node("QMatMul", 2, FixedPoint(ElementType.UInt8, 0, [1e-6]));
        AssertRejected(new QMatMul(), node, [Tensor.Zeros(ElementType.UInt8, new Shape(1, 40_000)), Tensor.Zeros(ElementType.UInt8, new Shape(40_000, 1))],
            "int32 accumulator can overflow");
        // The same K with zero points in the middle of the range halves each factor and fits: 40,000 · 128 · 128 < 2^31.
        var centred = Node("QMatMul", 2, [.. FixedPoint(ElementType.UInt8, 0, [1e-6]), Int("a_zero_point", 128), Int("b_zero_point", 128)]);
        Run(new QMatMul(), centred, [Tensor.Zeros(ElementType.UInt8, new Shape(1, 40_000)), Tensor.Zeros(ElementType.UInt8, new Shape(40_000, 1))]);
    }

    [Fact]
    public void QGemm_rejects_mismatched_shapes_and_per_column_arrays()
    {
        var a = Tensor.Zeros(ElementType.Int8, new Shape(2, 3));
        var w = Tensor.Zeros(ElementType.Int8, new Shape(3, 4));
        AssertRejected(new QGemm(), Node("QGemm", 2, FixedPoint(ElementType.Int8, 0, [0.1, 0.1])), [a, w], "expected 1 (per tensor) or 4 (one per column)");
        AssertRejected(new QGemm(), Node("QGemm", 2, FixedPoint(ElementType.Int8, 0, [0.1])), [a, Tensor.Zeros(ElementType.Int8, new Shape(4, 4))], "has 3 columns but W");
        AssertRejected(new QGemm(), Node("QGemm", 2, [.. FixedPoint(ElementType.Int8, 0, [0.1]), Ints("w_zero_point", 0, 0, 0)]), [a, w], "'w_zero_point' has 3 values");
        AssertRejected(new QGemm(), Node("QGemm", 3, FixedPoint(ElementType.Int8, 0, [0.1])), [a, w, Tensor.Zeros(ElementType.Int32, new Shape(3))], "bias B has shape [3]");
    }
}
