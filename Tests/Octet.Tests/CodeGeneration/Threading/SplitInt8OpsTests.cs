using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Generator.Emit;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Plan;
using Octet.Runtime.Threading;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.CodeGeneration.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Threading;

/// <summary>
/// Depthwise convolutions and QAdds large enough to split into work units (<see cref="QDepthwiseConvEmitter.ParallelMacs"/>:
/// bands of output rows; <see cref="QElementwiseEmitter.SplitElements"/>: ranges of values) give the compiler's reference
/// operators' integers with no worker team and with teams of 2 and 3, bit for bit. The generated source is checked to
/// split, so the comparison cannot pass on the unsplit path.
/// </summary>
public sealed class SplitInt8OpsTests
{
    [Theory]
    // channels, input height and width, stride, batch, int8 (else uint8) activations
    [InlineData(48, 30, 1, 2, true)]    // rows of two images: a band may cross from one image into the next
    [InlineData(64, 44, 2, 2, false)]   // stride 2: each band's top padding moves by two input rows per skipped output row
    [InlineData(64, 31, 1, 1, true)]    // 31 rows in 12 bands of 2 or 3
    [InlineData(96, 61, 2, 1, false)]   // mobilenetv3's 61 × 61 → 31 × 31 shape
    public void A_split_depthwise_convolution_equals_the_reference_whatever_the_team(int channels, int size, int stride, int batch, bool signed)
    {
        var random = new Random(channels * 100 + size);
        var xType = signed ? ElementType.Int8 : ElementType.UInt8;
        const int kernel = 3, pad = 1;
        int outSize = (size + 2 * pad - kernel) / stride + 1;
        var x = Random8(random, xType, [batch, channels, size, size]);
        var w = Random8(random, ElementType.Int8, [channels, 1, kernel, kernel]);
        var (xMin, xMax) = Range(xType);
        int xZeroPoint = random.Next(xMin, xMax + 1);
        var wZeroPoints = Enumerable.Range(0, channels).Select(_ => random.Next(-10, 11)).ToArray();
        var bias = Enumerable.Range(0, channels).Select(_ => random.Next(-30000, 30000)).ToArray();
        int yZeroPoint = random.Next(xMin + 20, xMax - 20);
        var multipliers = Enumerable.Range(0, channels).Select(_ => Math.Pow(2, -9 - random.NextDouble() * 5)).ToArray();
        var attributes = FixedPoint(xType, yZeroPoint, multipliers);
        attributes.AddRange([
            Int("x_zero_point", xZeroPoint), Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()), Int("group", channels),
            Ints("strides", stride, stride), Ints("kernel_shape", kernel, kernel), Ints("pads", pad, pad, pad, pad),
            Int(FoldedBias.AttributeName, 1),
        ]);
        var folded = FoldedBias.Apply(bias, FoldedBias.WeightSums(w, wZeroPoints, channels, i => i / (kernel * kernel)), xZeroPoint, -1);
        var expected = Run(new QConv(), Node("QConv", 3, attributes), [x, w, From(ElementType.Int32, [channels], folded)], constantInputs: true);
        Assert.True((long)batch * outSize * outSize * channels * kernel * kernel >= QDepthwiseConvEmitter.ParallelMacs, "the test's layer must be above the split threshold");

        string type = Int8KernelHarness.TypeName(xType);
        var b = new TestPlanBuilder("depthwise-split", ModelPlan.IntegerOnly);
        b.Input("x", b.Arena("x", type, [batch, channels, size, size]));
        b.Arena("xn", type, [batch, channels, size, size], "NHWC");
        b.Weights("w", "int8", [channels, 1, kernel, kernel], Int8KernelHarness.Bytes(Int8KernelHarness.ToOhwi(w)), "OHWI");
        b.Weights("b", "int32", [channels], folded);
        b.Arena("yn", type, [batch, channels, outSize, outSize], "NHWC");
        b.Output("y", b.Arena("y", type, [batch, channels, outSize, outSize]));
        b.Op("octet.Relayout", "to_nhwc", ["x"], ["xn"]);
        b.Op("octet.QConv", "depthwise", ["xn", "w", "b"], ["yn"], [.. PlanAttributes.Sorted(attributes)]);
        b.Op("octet.Relayout", "to_rowmajor", ["yn"], ["y"]);

        var input = Int8KernelHarness.Bytes(x);
        foreach (var output in RunWithTeams(b, "Op1_depthwise", [input], expected.Shape.ToArray().Aggregate(1, (p, d) => p * d), xType))
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, xType, expected.Shape.ToArray()), "split depthwise");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]    // in place: the output shares operand a's bytes
    public void A_split_qadd_equals_the_reference_whatever_the_team(bool inPlace, bool signed)
    {
        // 2 × 24 × 37 × 41 values: not a multiple of the units' 64-value lines, so the last range is short.
        int[] shape = [2, 24, 37, 41];
        var random = new Random(inPlace ? 7 : 8);
        var type = signed ? ElementType.Int8 : ElementType.UInt8;
        var a = Random8(random, type, shape);
        var bValues = Random8(random, type, shape);
        var (min, max) = Range(type);
        int aZeroPoint = random.Next(min, max + 1), bZeroPoint = random.Next(min, max + 1), yZeroPoint = random.Next(min, max + 1);
        float aScale = RandomScale(random, 0.01, 0.1), bScale = RandomScale(random, 0.01, 0.1), yScale = RandomScale(random, 0.02, 0.2);
        // As lowering chooses them (TFLite): operands to a common scale 2·max(s_a, s_b) / 2^20, then to s_y.
        const int leftShift = 20;
        double twiceMax = 2.0 * Math.Max(aScale, bScale);
        var (am, ash) = QuantizationMath.ToFixedPoint(aScale / twiceMax);
        var (bm, bsh) = QuantizationMath.ToFixedPoint(bScale / twiceMax);
        List<Attribute> attributes = FixedPoint(type, yZeroPoint, [twiceMax / (1 << leftShift) / yScale]);
        attributes.AddRange([Int("left_shift", leftShift), Int("a_multiplier", am), Int("a_shift", ash), Int("b_multiplier", bm), Int("b_shift", bsh),
            Int("a_zero_point", aZeroPoint), Int("b_zero_point", bZeroPoint)]);
        var expected = Run(new QAdd(), Node("QAdd", 2, attributes), [a, bValues]);
        int count = shape.Aggregate(1, (p, d) => p * d);
        Assert.True(count >= QElementwiseEmitter.SplitElements, "the test's QAdd must be above the split threshold");

        string name = Int8KernelHarness.TypeName(type);
        var b = new TestPlanBuilder("qadd-split", ModelPlan.IntegerOnly);
        b.Input("a", b.Arena("a", name, shape));
        b.Input("b", b.Arena("b", name, shape));
        b.Output("y", inPlace ? b.Arena("y", name, shape, offset: b.OffsetOf("a")) : b.Arena("y", name, shape));
        b.Op("octet.QAdd", "add", ["a", "b"], ["y"], [.. PlanAttributes.Sorted(attributes)]);

        foreach (var output in RunWithTeams(b, "Op0_add", [Int8KernelHarness.Bytes(a), Int8KernelHarness.Bytes(bValues)], count, type))
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, type, shape), "split QAdd");
    }

    /// <summary>The plan's output bytes with no team, then with teams of 2 and 3 threads (each run twice on one instance).</summary>
    private static IEnumerable<byte[]> RunWithTeams(TestPlanBuilder builder, string splitMethod, byte[][] inputs, int outputLength, ElementType type)
    {
        var plan = builder.Build();
        var source = ModelClassEmitter.Emit(plan, "Octet.Tests.Generated", "SplitInt8Model").Source;
        Assert.Contains($"private void {splitMethod}_Units(int first, int end)", source, StringComparison.Ordinal);
        var model = GeneratedModel.Build(plan, className: "SplitInt8Model");
        var teamProperty = model.Type.GetProperty("Team")!;
        bool signed = type == ElementType.Int8;
        Array Typed(byte[] bytes) => signed ? bytes.Select(v => unchecked((sbyte)v)).ToArray() : (byte[])bytes.Clone();
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var team = threads > 1 ? new WorkerTeam(threads) : null;
            var instance = model.Create(builder.WeightsBlob);
            teamProperty.SetValue(instance, team);
            var output = signed ? (Array)new sbyte[outputLength] : new byte[outputLength];
            // Twice: the second run starts from the arena the first left, as a long-lived instance does.
            model.RunDelegate(instance, inputs.Select(Typed).ToArray(), [output]);
            Array.Clear(output);
            model.RunDelegate(instance, inputs.Select(Typed).ToArray(), [output]);
            yield return signed ? ((sbyte[])output).Select(v => unchecked((byte)v)).ToArray() : (byte[])output;
        }
    }
}
