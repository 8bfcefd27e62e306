using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QAdd, QMul, Requantize and Table over their whole input range (every pair of 8-bit values for the
/// binary ops, every value for the unary ones), against exact integer arithmetic and the real-valued definition.
/// </summary>
public sealed class QElementwiseTests(ITestOutputHelper output)
{
    /// <summary>Every value of an 8-bit type, as a 1-D tensor [256], and the same as [256, 1] for an all-pairs broadcast.</summary>
    private static (Tensor Row, Tensor Column) AllValues(ElementType type)
    {
        var (min, _) = Range(type);
        var values = Enumerable.Range(min, 256).ToArray();
        return (From(type, [256], values), From(type, [256, 1], values));
    }

    public static TheoryData<ElementType, ElementType, ElementType, bool> TypeCombinations => new()
    {
        { ElementType.Int8, ElementType.Int8, ElementType.Int8, true }, { ElementType.Int8, ElementType.Int8, ElementType.Int8, false },
        { ElementType.UInt8, ElementType.Int8, ElementType.UInt8, true }, { ElementType.UInt8, ElementType.UInt8, ElementType.Int8, false },
    };

    [Theory]
    [MemberData(nameof(TypeCombinations))]
    public void QAdd_over_all_pairs_of_values(ElementType aType, ElementType bType, ElementType yType, bool fixedPoint)
    {
        // fixed-point: EXACT against the TFLite scheme re-stated with BigInteger (each operand rescaled by
        // round_half_up((v − zp) · 2^20 · M_a), then the sum by round_half_up(· M_out)); float: EXACT against the
        // float32 formula re-stated here. Both within ±1 LSB of the real definition round((s_a·a' + s_b·b') / s_y):
        // each rounding before the last is in units 2^20 finer than the output step, so only results within
        // ~2^−19 LSB of a half-way point (or exact ties, which go up, not to even) can move.
        var random = new Random((int)aType + 3 * (int)bType + 9 * (int)yType + (fixedPoint ? 1 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        var (aAll, _) = AllValues(aType);
        var (_, bAll) = AllValues(bType);
        for (int trial = 0; trial < 12; trial++)
        {
            float aScale = RandomScale(random, 0.001, 0.1), bScale = RandomScale(random, 0.001, 0.1);
            if (trial == 0) bScale = aScale; // equal scales: the common case of residual connections
            float yScale = (aScale * 255 + bScale * 255) / RandomScale(random, 150, 400);
            // Power-of-two scales with s_y = 2 s_a = 2 s_b: (a + b) / 2, an exact tie for every odd sum.
            if (trial == 1) (aScale, bScale, yScale) = (1f / 16, 1f / 16, 1f / 8);
            int aZeroPoint = random.Next(Range(aType).Min, Range(aType).Max + 1), bZeroPoint = random.Next(Range(bType).Min, Range(bType).Max + 1);
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin + 40, yMax - 40);
            bool relu = trial % 3 == 2;
            int clampMin = relu ? yZeroPoint : yMin;

            // Lowering's constants (TFLite): both operands at 2^20 times the larger scale's resolution.
            const int leftShift = 20;
            double twiceMax = 2.0 * Math.Max(aScale, bScale);
            var (aM, aS) = QuantizationMath.ToFixedPoint(aScale / twiceMax);
            var (bM, bS) = QuantizationMath.ToFixedPoint(bScale / twiceMax);
            var (outM, outS) = QuantizationMath.ToFixedPoint(twiceMax / ((1 << leftShift) * (double)yScale));
            var attributes = fixedPoint
                ? [String("requant", "fixed-point"), Ints("multiplier", outM), Ints("shift", outS), Int("left_shift", leftShift),
                   Int("a_multiplier", aM), Int("a_shift", aS), Int("b_multiplier", bM), Int("b_shift", bS)]
                : new List<Compiler.Graph.Attribute> { String("requant", "float"), Float("a_scale", aScale), Float("b_scale", bScale), Float("y_scale", yScale) };
            attributes.AddRange([Int("y_type", (int)yType), Int("y_zero_point", yZeroPoint), Int("clamp_min", clampMin), Int("clamp_max", yMax),
                Int("a_zero_point", aZeroPoint), Int("b_zero_point", bZeroPoint)]);

            var y = Run(new QAdd(), Node("QAdd", 2, attributes), [aAll, bAll]);
            Assert.Equal(new Shape(256, 256), y.Shape);
            var actual = Values(y);
            for (int i = 0; i < 256; i++)      // row: b
            for (int j = 0; j < 256; j++)      // column: a
            {
                int a = Range(aType).Min + j - aZeroPoint, b = Range(bType).Min + i - bZeroPoint;
                int got = actual[i * 256 + j];
                int expected = fixedPoint
                    ? FixedPointOutput((long)FixedPointExact((long)a << leftShift, aM, aS) + (long)FixedPointExact((long)b << leftShift, bM, bS),
                        outM, outS, yZeroPoint, clampMin, yMax)
                    : FloatFinish(((float)a * aScale + (float)b * bScale) / yScale, yZeroPoint, clampMin, yMax);
                exact.Add(expected, got);
                real.Add(RealDefinition(((double)aScale * a + (double)bScale * b) / yScale, yZeroPoint, clampMin, yMax), got);
            }
        }
        output.WriteLine($"QAdd {aType}+{bType}→{yType} {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued definition {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    [Theory]
    [MemberData(nameof(TypeCombinations))]
    public void QMul_over_all_pairs_of_values(ElementType aType, ElementType bType, ElementType yType, bool fixedPoint)
    {
        // acc = (a − a_zp)(b − b_zp) exactly; fixed-point EXACT against BigInteger round_half_up(acc · M), float EXACT
        // against (float)acc * scale; ±1 LSB against round_half_even(s_a·s_b·acc / s_y) (multiplier approximation, ties).
        var random = new Random(17 + (int)aType + 3 * (int)bType + 9 * (int)yType + (fixedPoint ? 1 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        var (aAll, _) = AllValues(aType);
        var (_, bAll) = AllValues(bType);
        for (int trial = 0; trial < 12; trial++)
        {
            float aScale = RandomScale(random, 0.001, 0.1), bScale = RandomScale(random, 0.001, 0.1);
            float yScale = aScale * bScale * RandomScale(random, 30, 300);
            // Power-of-two scales, M = 1/8: every accumulator ≡ 4 (mod 8) is an exact tie.
            if (trial == 0) (aScale, bScale, yScale) = (1f / 64, 1f / 32, 1f / 256);
            int aZeroPoint = random.Next(Range(aType).Min, Range(aType).Max + 1), bZeroPoint = random.Next(Range(bType).Min, Range(bType).Max + 1);
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin + 40, yMax - 40);
            var attributes = fixedPoint
                ? FixedPoint(yType, yZeroPoint, [(double)aScale * bScale / yScale])
                : FloatMode(yType, yZeroPoint, [aScale * bScale / yScale]);
            attributes.AddRange([Int("a_zero_point", aZeroPoint), Int("b_zero_point", bZeroPoint)]);
            var y = Run(new QMul(), Node("QMul", 2, attributes), [aAll, bAll]);
            var actual = Values(y);
            var (m0, shift) = QuantizationMath.ToFixedPoint((double)aScale * bScale / yScale);
            for (int i = 0; i < 256; i++)
            for (int j = 0; j < 256; j++)
            {
                long acc = (long)(Range(aType).Min + j - aZeroPoint) * (Range(bType).Min + i - bZeroPoint);
                int got = actual[i * 256 + j];
                exact.Add(fixedPoint ? FixedPointOutput(acc, m0, shift, yZeroPoint, yMin, yMax)
                    : FloatPathOutput(acc, aScale * bScale / yScale, yZeroPoint, yMin, yMax), got);
                real.Add(RealDefinition((double)aScale * bScale * acc / yScale, yZeroPoint, yMin, yMax), got);
            }
        }
        output.WriteLine($"QMul {aType}*{bType}→{yType} {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued definition {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    [Fact]
    public void QAdd_and_QMul_broadcast_like_numpy()
    {
        // By hand with M = 1 everywhere (QMul) and equal scales (QAdd float): a [2, 1] = [[1], [2]], b [3] = [10, 20, 30].
        var a = From(ElementType.Int8, [2, 1], [1, 2]);
        var b = From(ElementType.Int8, [3], [10, 20, 30]);
        var mul = Run(new QMul(), Node("QMul", 2, FixedPoint(ElementType.Int8, 0, [1.0])), [a, b]);
        Assert.Equal(new Shape(2, 3), mul.Shape);
        Assert.Equal(new sbyte[] { 10, 20, 30, 20, 40, 60 }, mul.As<sbyte>());
        var add = Run(new QAdd(), Node("QAdd", 2, [String("requant", "float"), Int("y_type", 3), Float("a_scale", 1), Float("b_scale", 1), Float("y_scale", 1)]), [a, b]);
        Assert.Equal(new sbyte[] { 11, 21, 31, 12, 22, 32 }, add.As<sbyte>());
        AssertRejected(new QMul(), Node("QMul", 2, FixedPoint(ElementType.Int8, 0, [1.0])), [From(ElementType.Int8, [2], [1, 2]), b], "cannot be broadcast");
    }

    [Fact]
    public void QAdd_rejects_rescaling_that_could_overflow()
    {
        // (a − zp) · 2^24 reaches 255 · 2^24 > 2^31 − 1.
        var node = Node("QAdd", 2, [String("requant", "fixed-point"), Int("y_type", 3), Ints("multiplier", 1 << 30), Ints("shift", 0),
            Int("left_shift", 24), Int("a_multiplier", 1 << 30), Int("a_shift", 0), Int("b_multiplier", 1 << 30), Int("b_shift", 0), Int("a_zero_point", 127)]);
        AssertRejected(new QAdd(), node, [From(ElementType.Int8, [1], [0]), From(ElementType.Int8, [1], [0])], "shifted left by 24");
        // a' and b' each up to 255 · 2^20 · 2^3 (M = 8): their sum exceeds int32.
        var large = Node("QAdd", 2, [String("requant", "fixed-point"), Int("y_type", 3), Ints("multiplier", 1 << 30), Ints("shift", 0),
            Int("a_multiplier", 1 << 30), Int("a_shift", 4), Int("b_multiplier", 1 << 30), Int("b_shift", 4), Int("a_zero_point", 127), Int("b_zero_point", 127)]);
        AssertRejected(new QAdd(), large, [From(ElementType.Int8, [1], [0]), From(ElementType.Int8, [1], [0])], "a' + b'");
        var missing = Node("QAdd", 2, [String("requant", "fixed-point"), Int("y_type", 3), Ints("multiplier", 1 << 30), Ints("shift", 0), Int("a_multiplier", 1 << 30), Int("a_shift", 0)]);
        AssertRejected(new QAdd(), missing, [From(ElementType.Int8, [1], [0]), From(ElementType.Int8, [1], [0])], "'b_multiplier' is missing");
    }

    [Theory]
    [InlineData(ElementType.Int8, ElementType.UInt8, true)]
    [InlineData(ElementType.Int8, ElementType.Int8, false)]
    [InlineData(ElementType.UInt8, ElementType.Int8, true)]
    [InlineData(ElementType.UInt8, ElementType.UInt8, false)]
    public void Requantize_over_every_input_value(ElementType xType, ElementType yType, bool fixedPoint)
    {
        // acc = x − x_zp; fixed-point EXACT against BigInteger round_half_up(acc · M), float EXACT against the float32
        // formula; ±1 LSB against round_half_even(s_x (x − x_zp) / s_y) (multiplier approximation, ties).
        var random = new Random((int)xType * 5 + (int)yType + (fixedPoint ? 50 : 0));
        var exact = new LsbErrors();
        var real = new LsbErrors();
        var (all, _) = AllValues(xType);
        for (int trial = 0; trial < 200; trial++)
        {
            float xScale = RandomScale(random, 0.001, 0.1), yScale = RandomScale(random, 0.001, 0.1);
            if (trial % 10 == 0) yScale = 2 * xScale; // M = 1/2 exactly: every odd x − x_zp is a tie
            int xZeroPoint = random.Next(Range(xType).Min, Range(xType).Max + 1);
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin, yMax + 1);
            var attributes = fixedPoint ? FixedPoint(yType, yZeroPoint, [(double)xScale / yScale]) : FloatMode(yType, yZeroPoint, [xScale / yScale]);
            attributes.Add(Int("x_zero_point", xZeroPoint));
            var actual = Values(Run(new Requantize(), Node("Requantize", 1, attributes), [all]));
            var (m0, shift) = QuantizationMath.ToFixedPoint((double)xScale / yScale);
            for (int i = 0; i < 256; i++)
            {
                int acc = Range(xType).Min + i - xZeroPoint;
                exact.Add(fixedPoint ? FixedPointOutput(acc, m0, shift, yZeroPoint, yMin, yMax) : FloatPathOutput(acc, xScale / yScale, yZeroPoint, yMin, yMax), actual[i]);
                real.Add(RealDefinition((double)xScale * acc / yScale, yZeroPoint, yMin, yMax), actual[i]);
            }
        }
        output.WriteLine($"Requantize {xType}→{yType} {(fixedPoint ? "fixed-point" : "float")}: vs exact formula {exact}; vs real-valued definition {real}");
        Assert.Equal(0, exact.Max);
        Assert.True(real.Max <= 1, real.ToString());
    }

    [Fact]
    public void Requantize_changes_type_exactly_when_the_scale_is_kept()
    {
        // int8 zp −3 → uint8 zp 125, same scale (M = 1 = 2^30 · 2^(1 − 31)): y = x + 128 exactly, for every value.
        var (all, _) = AllValues(ElementType.Int8);
        var y = Run(new Requantize(), Node("Requantize", 1, [.. FixedPoint(ElementType.UInt8, 125, [1.0]), Int("x_zero_point", -3)]), [all]);
        Assert.Equal(Enumerable.Range(0, 256).ToArray(), Values(y));
    }

    [Theory]
    [InlineData(ElementType.Int8, ElementType.Int8)]
    [InlineData(ElementType.UInt8, ElementType.Int8)]
    [InlineData(ElementType.Int8, ElementType.UInt8)]
    [InlineData(ElementType.UInt8, ElementType.UInt8)]
    public void Table_applies_all_256_entries(ElementType xType, ElementType yType)
    {
        // Exact: y = table[x − min(x's type)] for every input value, in a shuffled order, with a random table.
        var random = new Random((int)xType * 3 + (int)yType);
        var (yMin, yMax) = Range(yType);
        var table = Enumerable.Range(0, 256).Select(_ => (long)random.Next(yMin, yMax + 1)).ToArray();
        var (xMin, _) = Range(xType);
        var inputs = Enumerable.Range(xMin, 256).OrderBy(_ => random.Next()).ToArray();
        var y = Run(new Table(), Node("Table", 1, [Ints("table", table), Int("y_type", (int)yType)]), [From(xType, [4, 64], inputs)]);
        Assert.Equal(yType, y.ElementType);
        Assert.Equal(new Shape(4, 64), y.Shape);
        Assert.Equal(inputs.Select(x => (int)table[x - xMin]).ToArray(), Values(y));
    }

    [Fact]
    public void Table_of_a_sigmoid_is_the_function_rounded_once()
    {
        // Lowering builds table[i] = quantize(sigmoid(dequantize(i − 128))); applied, the op is EXACTLY the float
        // function of each int8 input rounded once (0 LSB): the table is the definition, evaluated at compile time.
        const float xScale = 0.05f, yScale = 1f / 256;
        const int xZeroPoint = 3, yZeroPoint = -128;
        long Entry(int x) => QuantizationMath.Quantize(1f / (1f + MathF.Exp(-xScale * (x - xZeroPoint))), yScale, yZeroPoint, -128, 127);
        var table = Enumerable.Range(-128, 256).Select(Entry).ToArray();
        var (all, _) = AllValues(ElementType.Int8);
        var actual = Values(Run(new Table(), Node("Table", 1, [Ints("table", table), Int("y_type", 3)]), [all]));
        var errors = new LsbErrors();
        for (int x = -128; x < 128; x++)
            errors.Add(RealDefinition(1 / (1 + Math.Exp(-(double)xScale * (x - xZeroPoint))) / yScale, yZeroPoint, -128, 127), actual[x + 128]);
        output.WriteLine($"Table (sigmoid) vs the real function quantized in double: {errors}");
        Assert.Equal(0, errors.Max);
    }

    [Theory]
    [InlineData(255, "has 255 entries; expected 256")]
    [InlineData(300, "'table[7]' = 300 is outside the int8 range")]
    [InlineData(0, "required attribute 'table' is missing")]
    public void Table_rejects_malformed_tables(int problem, string fragment)
    {
        var entries = Enumerable.Repeat(0L, problem == 255 ? 255 : 256).ToArray();
        if (problem == 300) entries[7] = 300;
        var attributes = problem == 0 ? new List<Compiler.Graph.Attribute> { Int("y_type", 3) } : [Ints("table", entries), Int("y_type", 3)];
        AssertRejected(new Table(), Node("Table", 1, attributes), [From(ElementType.Int8, [1], [0])], fragment);
    }
}
