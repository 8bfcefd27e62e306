using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Generator.Emit.Int8;
using Octet.Tests.Operators.Integer;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The emitted element-wise kernels (QAdd, QMul, Requantize, Table) against the compiler's reference operators,
/// bit for bit: both requantization modes, int8 and uint8 on either side, ONNX broadcasting of row-major
/// operands, NHWC operands of the same shape, and in-place execution (output on the input's bytes).
/// </summary>
public sealed class QElementwiseEmitterTests
{
    /// <summary>How the operands sit in memory.</summary>
    public enum Placement { SameShape, Broadcast, Nhwc, InPlace }

    private static readonly int[] Full = [2, 3, 4, 5];

    private static int[] SecondShape(Placement placement) => placement == Placement.Broadcast ? [3, 1, 5] : Full;

    /// <summary>Runs the reference and the emitted kernel on the same operands; compares bit for bit.</summary>
    private static void Check(OperatorDefinitionFor op, Tensor[] operands, Placement placement, List<Attribute> attributes, ElementType yType)
    {
        var expected = Run(op.Definition, Node(op.OpType, operands.Length, attributes), operands);
        var harness = new Int8KernelHarness();
        string layout = placement == Placement.Nhwc ? "NHWC" : "rowmajor";
        var names = new List<string>();
        for (int i = 0; i < operands.Length; i++)
        {
            var t = operands[i];
            names.Add(harness.Arena($"in{i}", t.ElementType, t.Shape.ToArray(), layout,
                placement == Placement.Nhwc ? Int8KernelHarness.ToNhwc(t) : Int8KernelHarness.Bytes(t)));
        }
        // In place: the output takes the first operand's bytes (same shape, both 8-bit).
        harness.Arena("y", yType, expected.Shape.ToArray(), layout, null, placement == Placement.InPlace ? "in0" : null);
        var (output, source) = harness.Run(op.Emitter, "octet." + op.OpType, [.. names], "y", attributes);
        var actual = placement == Placement.Nhwc
            ? Int8KernelHarness.FromNhwc(output, yType, expected.Shape.ToArray())
            : Int8KernelHarness.FromBytes(output, yType, expected.Shape.ToArray());
        Int8KernelHarness.AssertIdentical(expected, actual, source);
        if (placement == Placement.Broadcast) Assert.Contains("Broadcasting", source);
        // Same-layout Table and Requantize are one lookup pass over a 256-entry table (Requantize tabulates itself first).
        if (placement != Placement.Broadcast)
            Assert.Contains(op.OpType is "Table" or "Requantize" ? "TableLookup.Apply(x, table, y)"
                // Same-layout fixed-point QAdd tabulates each operand's rescaling, then adds and requantizes in blocks.
                : op.OpType == "QAdd" && !attributes.Any(a => a.Name == "requant" && Equals(a.Value, "float")) ? "RescaledAdd.FixedPoint<"
                : "for (int i = 0; i < 120; i++)", source);
    }

    public sealed record OperatorDefinitionFor(string OpType, Octet.Compiler.Operators.OperatorDefinition Definition, QElementwiseEmitter Emitter);

    public static TheoryData<Placement, bool> PlacementsAndModes()
    {
        var data = new TheoryData<Placement, bool>();
        foreach (var placement in Enum.GetValues<Placement>())
        {
            data.Add(placement, true);
            data.Add(placement, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PlacementsAndModes))]
    public void QAdd_is_bit_identical_to_the_reference(Placement placement, bool fixedPoint)
    {
        var random = new Random((int)placement * 10 + (fixedPoint ? 1 : 0));
        for (int trial = 0; trial < 4; trial++)
        {
            var aType = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            var bType = trial / 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            if (placement == Placement.InPlace) bType = aType;
            var yType = placement == Placement.InPlace ? aType : (trial == 1 ? ElementType.Int8 : ElementType.UInt8);
            var a = Random8(random, aType, Full);
            var b = Random8(random, bType, SecondShape(placement));
            int aZeroPoint = random.Next(Range(aType).Min, Range(aType).Max + 1), bZeroPoint = random.Next(Range(bType).Min, Range(bType).Max + 1);
            int yZeroPoint = random.Next(Range(yType).Min, Range(yType).Max + 1);
            float aScale = RandomScale(random, 0.01, 0.1), bScale = RandomScale(random, 0.01, 0.1), yScale = RandomScale(random, 0.02, 0.2);
            List<Attribute> attributes;
            if (fixedPoint)
            {
                // As lowering chooses them (TFLite): operands to a common scale 2·max(s_a, s_b) / 2^20, then to s_y.
                const int leftShift = 20;
                double twiceMax = 2.0 * Math.Max(aScale, bScale);
                var (am, ash) = QuantizationMath.ToFixedPoint(aScale / twiceMax);
                var (bm, bsh) = QuantizationMath.ToFixedPoint(bScale / twiceMax);
                attributes = FixedPoint(yType, yZeroPoint, [twiceMax / (1 << leftShift) / yScale], clampMin: trial == 3 ? yZeroPoint : null);
                attributes.AddRange([Int("left_shift", leftShift), Int("a_multiplier", am), Int("a_shift", ash), Int("b_multiplier", bm), Int("b_shift", bsh)]);
            }
            else
            {
                attributes = [String("requant", "float"), Int("y_type", (int)yType), Int("y_zero_point", yZeroPoint),
                    IntegerHarness.Float("a_scale", aScale), IntegerHarness.Float("b_scale", bScale), IntegerHarness.Float("y_scale", yScale)];
                if (trial == 3) attributes.Add(Int("clamp_min", yZeroPoint));
            }
            attributes.AddRange([Int("a_zero_point", aZeroPoint), Int("b_zero_point", bZeroPoint)]);
            Check(new("QAdd", new QAdd(), new QElementwiseEmitter()), [a, b], placement, attributes, yType);
        }
    }

    [Theory]
    [MemberData(nameof(PlacementsAndModes))]
    public void QMul_is_bit_identical_to_the_reference(Placement placement, bool fixedPoint)
    {
        var random = new Random((int)placement * 20 + (fixedPoint ? 3 : 4));
        for (int trial = 0; trial < 4; trial++)
        {
            var aType = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            var bType = placement == Placement.InPlace ? aType : trial / 2 == 0 ? ElementType.UInt8 : ElementType.Int8;
            var yType = placement == Placement.InPlace ? aType : trial == 2 ? ElementType.Int8 : ElementType.UInt8;
            var a = Random8(random, aType, Full);
            var b = Random8(random, bType, SecondShape(placement));
            double multiplier = Math.Pow(2, -8 - random.NextDouble() * 3);
            int yZeroPoint = random.Next(Range(yType).Min, Range(yType).Max + 1);
            var attributes = fixedPoint ? FixedPoint(yType, yZeroPoint, [multiplier]) : FloatMode(yType, yZeroPoint, [(float)multiplier], clampMax: trial == 1 ? yZeroPoint + 10 : null);
            attributes.AddRange([Int("a_zero_point", random.Next(Range(aType).Min, Range(aType).Max + 1)), Int("b_zero_point", random.Next(Range(bType).Min, Range(bType).Max + 1))]);
            Check(new("QMul", new QMul(), new QElementwiseEmitter()), [a, b], placement, attributes, yType);
        }
    }

    [Theory]
    [InlineData(Placement.SameShape, true)]
    [InlineData(Placement.SameShape, false)]
    [InlineData(Placement.Nhwc, true)]
    [InlineData(Placement.InPlace, false)]
    [InlineData(Placement.InPlace, true)]
    public void Requantize_is_bit_identical_to_the_reference(Placement placement, bool fixedPoint)
    {
        var random = new Random((int)placement * 30 + (fixedPoint ? 5 : 6));
        foreach (var (xType, yType) in new[] { (ElementType.Int8, ElementType.UInt8), (ElementType.UInt8, ElementType.Int8), (ElementType.Int8, ElementType.Int8) })
        {
            var x = Random8(random, xType, Full);
            double multiplier = 0.3 + random.NextDouble() * 2;
            int yZeroPoint = random.Next(Range(yType).Min, Range(yType).Max + 1);
            var attributes = fixedPoint ? FixedPoint(yType, yZeroPoint, [multiplier]) : FloatMode(yType, yZeroPoint, [(float)multiplier]);
            attributes.Add(Int("x_zero_point", random.Next(Range(xType).Min, Range(xType).Max + 1)));
            Check(new("Requantize", new Requantize(), new QElementwiseEmitter()), [x], placement, attributes, yType);
        }
    }

    [Theory]
    [InlineData(Placement.SameShape)]
    [InlineData(Placement.Nhwc)]
    [InlineData(Placement.InPlace)]
    public void Table_is_bit_identical_to_the_reference(Placement placement)
    {
        var random = new Random((int)placement * 40);
        foreach (var (xType, yType) in new[] { (ElementType.Int8, ElementType.Int8), (ElementType.UInt8, ElementType.UInt8), (ElementType.UInt8, ElementType.Int8) })
        {
            if (placement == Placement.InPlace && xType != yType) continue;
            var x = Random8(random, xType, Full);
            var (yMin, yMax) = Range(yType);
            var table = Enumerable.Range(0, 256).Select(_ => (long)random.Next(yMin, yMax + 1)).ToArray();
            List<Attribute> attributes = [Ints("table", table), Int("y_type", (int)yType)];
            Check(new("Table", new Table(), new QElementwiseEmitter()), [x], placement, attributes, yType);
        }
    }

    [Fact]
    public void Broadcasting_merges_contiguous_axes_and_keeps_broadcast_ones()
    {
        // [2,3,4,5] + [3,1,5]: b repeats along axis 0 and axis 2; the emitted loops carry those zero strides.
        var harness = new Int8KernelHarness();
        harness.Arena("a", ElementType.Int8, [2, 3, 4, 5], "rowmajor", new byte[120]);
        harness.Arena("b", ElementType.Int8, [3, 1, 5], "rowmajor", new byte[15]);
        harness.Arena("y", ElementType.Int8, [2, 3, 4, 5], "rowmajor", null);
        var emitted = harness.Emit(new QElementwiseEmitter(), "octet.QMul", ["a", "b"], ["y"], FixedPoint(ElementType.Int8, 0, [0.01]));
        Assert.Empty(emitted.Problems);
        Assert.Contains("for (int i0 = 0; i0 < 2; i0++)", emitted.Source);
        Assert.Contains("b[i1 * 5 + i3]", emitted.Source);
    }
}
