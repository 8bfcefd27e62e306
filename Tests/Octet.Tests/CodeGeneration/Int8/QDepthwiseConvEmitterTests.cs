using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit;
using Octet.Generator.Emit.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The one-call depthwise path (<see cref="QDepthwiseConvEmitter"/> writing <c>DepthwiseConvolution.FixedPoint</c>), compiled
/// and run, against the compiler's reference QConv on the same random data, bit for bit; and the cases it declines.
/// </summary>
public sealed class QDepthwiseConvEmitterTests
{
    /// <summary>Writes only through <see cref="QDepthwiseConvEmitter.TryWrite"/>; fails the emission when it declines.</summary>
    private sealed class OneCallOnly : IOpEmitter
    {
        public IEnumerable<string> OpTypes => ["octet.QConv"];

        public void Emit(OpEmitContext context)
        {
            if (!QDepthwiseConvEmitter.TryWrite(context, context.Code)) context.Unsupported("the one-call depthwise path declined");
        }
    }

    public static TheoryData<string, int, int, int, int, int, int, int> Cases => new()
    {
        // name, channels, height/width, kernel, stride, dilation, pad, batch
        { "uint8 58 channels 3x3 stride 2 pads 1 (shufflenet)", 58, 13, 3, 2, 1, 1, 1 },
        { "int8 37 channels 5x5 stride 1 pads 2", 37, 9, 5, 1, 1, 2, 1 },
        { "uint8 32 channels 3x3 dilation 2 pads 2, two images", 32, 8, 3, 1, 2, 2, 2 },
        { "int8 5 channels 3x3 no padding", 5, 7, 3, 1, 1, 0, 1 },
        { "uint8 144 channels 3x3 pads 1", 144, 6, 3, 1, 1, 1, 1 },
        { "int8 17 channels 2x2 stride 2", 17, 8, 2, 2, 1, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_call_depthwise_is_bit_identical_to_the_reference(string name, int channels, int size, int kernel, int stride, int dilation, int pad, int batch)
    {
        var random = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        for (int trial = 0; trial < 4; trial++)
        {
            var xType = name.StartsWith("int8", StringComparison.Ordinal) ? ElementType.Int8 : ElementType.UInt8;
            var wType = trial % 2 == 0 ? ElementType.Int8 : ElementType.UInt8;
            var yType = trial / 2 == 0 ? xType : (xType == ElementType.Int8 ? ElementType.UInt8 : ElementType.Int8);
            bool perChannel = trial != 1, withBias = trial != 3, folded = trial != 2;
            var x = Random8(random, xType, [batch, channels, size, size]);
            var w = Random8(random, wType, [channels, 1, kernel, kernel]);
            var (xMin, xMax) = Range(xType);
            var (wMin, wMax) = Range(wType);
            // Unfolded bias is only taken with x_zero_point 0 (then B' = B).
            int xZeroPoint = folded ? random.Next(xMin, xMax + 1) : 0;
            var wZeroPoints = Enumerable.Range(0, channels).Select(_ => random.Next(wMin, wMax + 1)).ToArray();
            if (!perChannel) wZeroPoints = Enumerable.Repeat(wZeroPoints[0], channels).ToArray();
            var bias = Enumerable.Range(0, channels).Select(_ => random.Next(-30000, 30000)).ToArray();
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin + 20, yMax - 20);
            // Per channel, some multipliers so small that their shift vanishes (right shift ≥ 63), as in shufflenet's dead channels.
            var multipliers = Enumerable.Range(0, perChannel ? channels : 1)
                .Select(i => perChannel && i % 7 == 3 ? Math.Pow(2, -40) : Math.Pow(2, -10 - random.NextDouble() * 6)).ToArray();
            var attributes = FixedPoint(yType, yZeroPoint, multipliers, clampMin: trial == 3 ? yZeroPoint : null);
            attributes.AddRange([
                Int("x_zero_point", xZeroPoint),
                perChannel ? Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()) : Ints("w_zero_point", wZeroPoints[0]),
                Int("group", channels), Ints("strides", stride, stride), Ints("dilations", dilation, dilation),
                Ints("kernel_shape", kernel, kernel), Ints("pads", pad, pad, pad, pad),
            ]);
            int[]? planBias = withBias ? bias : null;
            if (folded)
            {
                attributes.Add(Int(FoldedBias.AttributeName, 1));
                if (withBias) planBias = FoldedBias.Apply(bias, FoldedBias.WeightSums(w, wZeroPoints, channels, i => i / (kernel * kernel)), xZeroPoint, -1);
            }
            var referenceInputs = new List<Tensor?> { x, w };
            if (planBias != null) referenceInputs.Add(From(ElementType.Int32, [channels], planBias));
            var expected = Run(new QConv(), Node("QConv", referenceInputs.Count, attributes), [.. referenceInputs], constantInputs: true);

            var harness = new Int8KernelHarness();
            var inputs = new List<string>
            {
                harness.Arena("x", xType, x.Shape.ToArray(), "NHWC", Int8KernelHarness.ToNhwc(x)),
                harness.Constant("w", Int8KernelHarness.ToOhwi(w), "OHWI", false),
            };
            if (planBias != null) inputs.Add(harness.Constant("b", From(ElementType.Int32, [channels], planBias), "rowmajor", trial == 0));
            harness.Arena("y", yType, expected.Shape.ToArray(), "NHWC", null);
            var (output, source) = harness.Run(new OneCallOnly(), "octet.QConv", [.. inputs], "y", attributes);
            Assert.Contains("DepthwiseConvolution.FixedPoint(", source);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromNhwc(output, yType, expected.Shape.ToArray()), source);
        }
    }

    [Fact]
    public void Float_requantization_and_unfolded_bias_with_a_zero_point_are_declined()
    {
        foreach (bool floatMode in new[] { true, false })
        {
            var harness = new Int8KernelHarness();
            harness.Arena("x", ElementType.UInt8, [1, 4, 5, 5], "NHWC", new byte[100]);
            harness.Weights("w", ElementType.Int8, [4, 1, 3, 3], "OHWI", new byte[36]);
            harness.Arena("y", ElementType.UInt8, [1, 4, 5, 5], "NHWC", null);
            var attributes = floatMode ? FloatMode(ElementType.UInt8, 3, [0.01f]) : FixedPoint(ElementType.UInt8, 3, [0.01]);
            attributes.AddRange([Int("x_zero_point", floatMode ? 0 : 7), Int("group", 4), Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)]);
            var emitted = harness.Emit(new OneCallOnly(), "octet.QConv", ["x", "w"], ["y"], attributes);
            Assert.Contains(emitted.Problems, p => p.Contains("declined", StringComparison.Ordinal));
        }
    }
}
