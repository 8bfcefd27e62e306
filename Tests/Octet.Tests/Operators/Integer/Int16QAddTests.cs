using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QAdd with int16 operands and outputs (the residual stream's Adds): with the attributes lowering chooses
/// (TFLite's scheme, <c>left_shift</c> the largest the exactness check accepts), against the real definition
/// ((a − zp_a)·s_a + (b − zp_b)·s_b) / s_y rounded half to even, over the operand extremes and random pairs.
/// </summary>
public sealed class Int16QAddTests(ITestOutputHelper output)
{
    public static TheoryData<ElementType, int, ElementType, int, ElementType, int> Types => new()
    {
        { ElementType.Int16, 0, ElementType.Int16, 0, ElementType.Int16, 0 },
        { ElementType.Int16, 0, ElementType.Int8, -3, ElementType.Int16, 0 },
        { ElementType.UInt8, 128, ElementType.Int16, 0, ElementType.Int16, 0 },
        { ElementType.Int16, 0, ElementType.Int16, 0, ElementType.Int8, 4 },
        { ElementType.Int16, -500, ElementType.Int16, 700, ElementType.Int16, -20 },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void QAdd_of_int16_operands_is_within_one_step_of_the_real_sum(ElementType aType, int aZeroPoint, ElementType bType, int bZeroPoint, ElementType yType, int yZeroPoint)
    {
        var random = new Random(21);
        var (aMin, aMax) = Int16Values.Range(aType);
        var (bMin, bMax) = Int16Values.Range(bType);
        var errors = new LsbErrors();
        var leftShifts = new HashSet<int>();
        foreach (var (aScale, bScale, yScale) in new[] { (1e-4, 1e-4, 2e-4), (3e-4, 1.1e-4, 3.5e-4), (2e-5, 7e-4, 7.2e-4), (1e-4, 1e-4, 0.05), (4e-4, 3e-4, 1e-4) })
        {
            // 8-bit operands come with a coarser step than 16-bit ones of the same range.
            double sa = aType == ElementType.Int16 ? aScale : aScale * 256, sb = bType == ElementType.Int16 ? bScale : bScale * 256;
            double sy = yType == ElementType.Int16 ? yScale : yScale * 256;
            var (attributes, leftShift) = LoweringAttributes(aZeroPoint, bZeroPoint, aType, bType, sa, sb, sy, yType, yZeroPoint);
            leftShifts.Add(leftShift);
            var a = new List<int> { aMin, aMax, aZeroPoint, aMin, aMax };
            var b = new List<int> { bMin, bMax, bZeroPoint, bMax, bMin };
            for (int i = 0; i < 50_000; i++)
            {
                a.Add(random.Next(aMin, aMax + 1));
                b.Add(random.Next(bMin, bMax + 1));
            }
            var y = Int16Values.Values(Run(new QAdd(), Node("QAdd", 2, attributes),
                [Int16Values.From(aType, [a.Count], [.. a]), Int16Values.From(bType, [b.Count], [.. b])]));
            for (int i = 0; i < y.Length; i++)
                errors.Add(Int16Values.Quantize((a[i] - aZeroPoint) * sa + (b[i] - bZeroPoint) * sb, sy, yZeroPoint, yType), y[i]);
        }
        output.WriteLine($"QAdd {aType}(zp {aZeroPoint}) + {bType}(zp {bZeroPoint}) → {yType}, left_shift {string.Join("/", leftShifts)}: {errors}");
        Assert.True(errors.Max <= 1, $"max error {errors.Max} LSB");
        // |x − zp| < 2^16 for any int16 zero point, and 2^16 · 2^15 · (1/2 + 1/2) still fits int32: 15 always passes.
        int expectedShift = aType == ElementType.Int16 || bType == ElementType.Int16 ? 15 : QAdd.DefaultLeftShift;
        Assert.Equal([expectedShift], leftShifts);
    }

    /// <summary>The attributes integer lowering writes for Q(Add(â, b̂)) (re-stated here from its scheme).</summary>
    private static (List<Attribute> Attributes, int LeftShift) LoweringAttributes(int aZeroPoint, int bZeroPoint, ElementType aType, ElementType bType,
        double aScale, double bScale, double yScale, ElementType yType, int yZeroPoint)
    {
        double twiceMax = 2 * Math.Max(aScale, bScale);
        var aRescale = QuantizationMath.ToFixedPoint(aScale / twiceMax);
        var bRescale = QuantizationMath.ToFixedPoint(bScale / twiceMax);
        int leftShift = QAdd.LargestExactLeftShift(aType, aZeroPoint, bType, bZeroPoint, aRescale, bRescale);
        Assert.True(leftShift >= 0);
        var attributes = Int16Values.FixedPoint(yType, yZeroPoint, [twiceMax / ((1 << leftShift) * yScale)]);
        attributes.AddRange([
            Int("left_shift", leftShift), Int("a_multiplier", aRescale.Multiplier), Int("a_shift", aRescale.Shift),
            Int("b_multiplier", bRescale.Multiplier), Int("b_shift", bRescale.Shift), Int("a_zero_point", aZeroPoint), Int("b_zero_point", bZeroPoint),
        ]);
        return (attributes, leftShift);
    }

    [Fact]
    public void A_left_shift_that_could_overflow_int32_is_rejected_for_int16_operands()
    {
        var (attributes, leftShift) = LoweringAttributes(0, 0, ElementType.Int16, ElementType.Int16, 1e-4, 1e-4, 2e-4, ElementType.Int16, 0);
        Assert.Equal(15, leftShift);
        attributes.RemoveAll(a => a.Name == "left_shift");
        attributes.Add(Int("left_shift", 16));
        var x = Int16Values.From(ElementType.Int16, [2], [1, -1]);
        AssertRejected(new QAdd(), Node("QAdd", 2, attributes), [x, x], "int32 accumulator can overflow");
        // The default (20), fine for 8-bit operands, is rejected too.
        attributes.RemoveAll(a => a.Name == "left_shift");
        AssertRejected(new QAdd(), Node("QAdd", 2, attributes), [x, x], "shifted left by 20");
    }
}
