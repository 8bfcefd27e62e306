using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The emitted QConv kernel (NHWC activations, OHWI weights), compiled and run, against the compiler's reference
/// QConv on the same random data, bit for bit. Each case exercises a different code path of the emitter
/// (im2col, 1x1 without copy, depthwise) and a different corner of the op's semantics.
/// </summary>
public sealed class QConvEmitterTests
{
    public sealed record ConvCase(
        string Name, ElementType XType, ElementType WType, int Batch, int Channels, int OutChannels, int Group,
        int Height, int Width, int KernelH, int KernelW, int Stride, int Dilation, int[]? Pads, string? AutoPad,
        bool FixedPoint, bool PerChannel, bool WeightZeroPoints, bool Bias, bool Folded, bool Relu, bool InlineConstants, bool Prepared = false)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<string> Cases => new(All.Select(c => c.Name));

    private static readonly ConvCase[] All =
    [
        new("int8 3x3 pads 1, per-channel fixed-point, folded bias", ElementType.Int8, ElementType.Int8, 1, 6, 8, 1, 7, 6, 3, 3, 1, 1, [1, 1, 1, 1], null, true, true, false, true, true, false, false),
        new("uint8 group 2, stride 2, dilation 2, asymmetric pads, per-channel w_zp, float, relu, unfolded bias", ElementType.UInt8, ElementType.UInt8, 2, 4, 6, 2, 9, 8, 3, 2, 2, 2, [2, 1, 0, 2], null, false, true, true, true, false, true, false),
        new("depthwise int8 x uint8 w, stride 2, pads 1, per-channel fixed-point, folded", ElementType.Int8, ElementType.UInt8, 1, 5, 5, 5, 8, 7, 3, 3, 2, 1, [1, 1, 1, 1], null, true, true, true, true, true, false, false),
        new("depthwise uint8, no bias, unfolded x_zp, float, clamp", ElementType.UInt8, ElementType.Int8, 2, 4, 4, 4, 6, 6, 3, 3, 1, 2, [2, 2, 2, 2], null, false, false, false, false, false, true, true),
        new("depthwise SIMD: 37 channels (16 + 16 + 5 tail), int8, 5x5 stride 2 pads 2, per-channel w_zp, fixed-point, folded", ElementType.Int8, ElementType.Int8, 1, 37, 37, 37, 9, 8, 5, 5, 2, 1, [2, 2, 2, 2], null, true, true, true, true, true, false, false),
        new("depthwise SIMD: 24 channels (16 + 8), uint8 x uint8 w, 3x3 dilation 2, asymmetric pads, float, unfolded x_zp, relu, 2 images", ElementType.UInt8, ElementType.UInt8, 2, 24, 24, 24, 7, 6, 3, 3, 1, 2, [1, 2, 3, 0], null, false, true, true, true, false, true, false),
        new("pointwise 1x1 stride 2, uint8 x int8 w, per-tensor fixed-point, no bias", ElementType.UInt8, ElementType.Int8, 1, 12, 7, 1, 5, 6, 1, 1, 2, 1, null, null, true, false, false, false, false, false, false),
        new("1x1 with padding and group 3, per-channel w_zp, fixed-point, unfolded bias", ElementType.Int8, ElementType.Int8, 1, 6, 9, 3, 4, 5, 1, 1, 1, 1, [1, 0, 0, 1], null, true, true, true, true, false, false, false),
        new("auto_pad SAME_UPPER 3x3 stride 2, inline weights and bias, float", ElementType.Int8, ElementType.Int8, 1, 3, 4, 1, 7, 8, 3, 3, 2, 1, null, "SAME_UPPER", false, true, false, true, true, false, true),
        new("wide: 40 channels (SIMD dot over 360 taps), 2 images, per-channel w_zp, fixed-point, folded", ElementType.UInt8, ElementType.Int8, 2, 40, 16, 1, 5, 5, 3, 3, 1, 1, [1, 1, 1, 1], null, true, true, true, true, true, true, false),
        new("depth multiplier 2 (group = channels, two outputs each), uint8, float, folded", ElementType.UInt8, ElementType.UInt8, 1, 3, 6, 3, 5, 5, 3, 3, 1, 1, [0, 1, 1, 0], null, false, true, true, true, true, false, false),
        new("auto_pad SAME_LOWER 2x2, int8, per-tensor float, no bias but folded flag", ElementType.Int8, ElementType.Int8, 1, 2, 3, 1, 5, 4, 2, 2, 1, 1, null, "SAME_LOWER", false, false, false, false, true, false, false),
        new("GEMM in place: 1x1 stride 1, int8, 20 channels, 37 outputs (a partial channel block), 63 pixels (partial row block), float", ElementType.Int8, ElementType.Int8, 1, 20, 37, 1, 7, 9, 1, 1, 1, 1, null, null, false, true, false, true, true, false, false),
        new("GEMM in place: 1x1 stride 1, uint8 x int8 w, 2 images, per-tensor fixed-point, unfolded bias", ElementType.UInt8, ElementType.Int8, 2, 8, 24, 1, 5, 3, 1, 1, 1, 1, null, null, true, false, false, true, false, false, false),
        new("GEMM with two weight panels: 1x1, 600 channels (panel of 48 of 80 outputs), int8, fixed-point, relu", ElementType.Int8, ElementType.Int8, 1, 600, 80, 1, 3, 4, 1, 1, 1, 1, null, null, true, true, false, true, true, true, false),
        new("GEMM im2col 5x3 stride 1 pads 2, int8 x int8 w, per-channel w_zp (element-wise epilogue), float", ElementType.Int8, ElementType.Int8, 1, 5, 18, 1, 6, 7, 5, 3, 1, 1, [2, 1, 2, 1], null, false, true, true, true, true, false, false),
        // Patch-major: a window of 576 taps gives panels of 48 channels, so 100 outputs are 3 panels (the last partial), and
        // with the panels packed by a constructor each block of 60 of the 81 pixels is gathered once for all of them.
        new("GEMM im2col patch-major: 3x3 over 64 channels, 100 outputs (3 panels), 9x9 (a partial pixel block), int8, fixed-point, prepared panels", ElementType.Int8, ElementType.Int8, 1, 64, 100, 1, 9, 9, 3, 3, 1, 1, [1, 1, 1, 1], null, true, true, false, true, true, false, false, Prepared: true),
        new("GEMM im2col patch-major: 3x3 stride 2 over 40 channels, 200 outputs (3 panels of 80), uint8, float requantization, prepared panels", ElementType.UInt8, ElementType.Int8, 1, 40, 200, 1, 11, 10, 3, 3, 2, 1, [1, 1, 1, 1], null, false, true, false, true, true, true, false, Prepared: true),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Emitted_kernel_is_bit_identical_to_the_reference(string name)
    {
        var c = All.Single(k => k.Name == name);
        var random = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xFFFF);
        for (int trial = 0; trial < 2; trial++)
        {
            int cg = c.Channels / c.Group;
            var x = Random8(random, c.XType, [c.Batch, c.Channels, c.Height, c.Width]);
            var w = Random8(random, c.WType, [c.OutChannels, cg, c.KernelH, c.KernelW]);
            var (xMin, xMax) = Range(c.XType);
            var (wMin, wMax) = Range(c.WType);
            int xZeroPoint = random.Next(xMin, xMax + 1);
            var wZeroPoints = Enumerable.Range(0, c.OutChannels)
                .Select(_ => c.WeightZeroPoints ? random.Next(wMin, wMax + 1) : c.WType == ElementType.UInt8 ? 128 : 0).ToArray();
            if (!c.PerChannel) wZeroPoints = Enumerable.Repeat(wZeroPoints[0], c.OutChannels).ToArray();
            var bias = Enumerable.Range(0, c.OutChannels).Select(_ => random.Next(-30000, 30000)).ToArray();
            var yType = trial == 0 ? c.XType : c.WType;
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin + 20, yMax - 20);
            var multipliers = Enumerable.Range(0, c.PerChannel ? c.OutChannels : 1).Select(_ => Math.Pow(2, -10 - random.NextDouble() * 6)).ToArray();

            var attributes = c.FixedPoint
                ? FixedPoint(yType, yZeroPoint, multipliers, clampMin: c.Relu ? yZeroPoint : null)
                : FloatMode(yType, yZeroPoint, multipliers.Select(m => (float)m).ToArray(), clampMin: c.Relu ? yZeroPoint : null, clampMax: c.Relu ? yMax - 10 : null);
            attributes.AddRange([
                Int("x_zero_point", xZeroPoint),
                c.PerChannel ? Ints("w_zero_point", wZeroPoints.Select(z => (long)z).ToArray()) : Ints("w_zero_point", wZeroPoints[0]),
                Int("group", c.Group), Ints("strides", c.Stride, c.Stride), Ints("dilations", c.Dilation, c.Dilation),
                Ints("kernel_shape", c.KernelH, c.KernelW),
            ]);
            if (c.Pads != null) attributes.Add(Ints("pads", c.Pads.Select(p => (long)p).ToArray()));
            if (c.AutoPad != null) attributes.Add(String("auto_pad", c.AutoPad));
            int[]? planBias = c.Bias ? bias : null;
            if (c.Folded)
            {
                attributes.Add(Int(FoldedBias.AttributeName, 1));
                // What lowering writes: B' = B − x_zp·Σ(w − w_zp). A folded flag without a bias input means B' = 0 (one case covers it).
                int perChannel = cg * c.KernelH * c.KernelW;
                if (c.Bias) planBias = FoldedBias.Apply(bias, FoldedBias.WeightSums(w, wZeroPoints, c.OutChannels, i => i / perChannel), xZeroPoint, -1);
            }

            var referenceInputs = new List<Tensor?> { x, w };
            if (planBias != null) referenceInputs.Add(From(ElementType.Int32, [c.OutChannels], planBias));
            var expected = Run(new QConv(), Node("QConv", referenceInputs.Count, attributes), [.. referenceInputs], constantInputs: true);

            var harness = new Int8KernelHarness { Prepared = c.Prepared };
            var inputs = new List<string>
            {
                harness.Arena("x", c.XType, x.Shape.ToArray(), "NHWC", Int8KernelHarness.ToNhwc(x)),
                harness.Constant("w", Int8KernelHarness.ToOhwi(w), "OHWI", c.InlineConstants && w.ElementCount <= 256),
            };
            if (planBias != null) inputs.Add(harness.Constant("b", From(ElementType.Int32, [c.OutChannels], planBias), "rowmajor", c.InlineConstants));
            harness.Arena("y", yType, expected.Shape.ToArray(), "NHWC", null);
            var (output, source) = harness.Run(new QConvEmitter(), "octet.QConv", [.. inputs], "y", attributes);
            // The patch-major cases must take that order (one gathering per pixel block), or they test nothing new.
            Assert.Equal(c.Prepared, source.Contains("gathered once", StringComparison.Ordinal));
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromNhwc(output, yType, expected.Shape.ToArray()), source);
        }
    }

    [Fact]
    public void Each_strategy_is_the_one_described()
    {
        // The cases above are meant to cover the three strategies; check the emitted comments say so, so a change
        // in strategy selection cannot silently leave a path untested.
        var strategies = new HashSet<string>();
        // A 4-channel 3x3 with int8 weights goes to the narrow direct kernel; with a weight zero point it stays a GEMM.
        foreach (var (weightType, kernel, group, pads, wZeroPoint) in new[]
                 {
                     (ElementType.Int8, 3, 1, 1L, 0), (ElementType.Int8, 3, 1, 1L, 3), (ElementType.Int8, 1, 1, 0L, 0),
                     (ElementType.Int8, 3, 4, 1L, 0), (ElementType.Int8, 3, 2, 1L, 0), (ElementType.UInt8, 1, 1, 0L, 128),
                 })
        {
            var harness = new Int8KernelHarness();
            harness.Arena("x", ElementType.Int8, [1, 4, 5, 5], "NHWC", new byte[100]);
            harness.Weights("w", weightType, [4, 4 / group, kernel, kernel], "OHWI", new byte[16 / group * kernel * kernel]);
            int outSize = 5 + 2 * (int)pads - kernel + 1;
            harness.Arena("y", ElementType.Int8, [1, 4, outSize, outSize], "NHWC", null);
            var emitted = harness.Emit(new QConvEmitter(), "octet.QConv", ["x", "w"], ["y"],
                [.. FixedPoint(ElementType.Int8, 0, [0.01]), Int("group", group), Ints("pads", pads, pads, pads, pads),
                 Int("w_zero_point", wZeroPoint)]);
            Assert.Empty(emitted.Problems);
            strategies.Add(emitted.Source.Contains("Depthwise") ? "depthwise"
                : emitted.Source.Contains("NarrowConvolution.Run(") ? "narrow"
                : emitted.Source.Contains("Matrix product") ? (emitted.Source.Contains("patches") ? "gemm im2col" : "gemm in place")
                : emitted.Source.Contains("1x1 kernel without padding") ? "pointwise" : "im2col");
        }
        Assert.Equal(["depthwise", "gemm im2col", "gemm in place", "im2col", "narrow", "pointwise"], strategies.Order());
    }

    [Fact]
    public void Unsupported_layouts_are_reported_not_thrown()
    {
        var harness = new Int8KernelHarness();
        harness.Arena("x", ElementType.Int8, [1, 4, 5, 5], "rowmajor", new byte[100]);
        harness.Weights("w", ElementType.Int8, [4, 4, 3, 3], "OHWI", new byte[144]);
        harness.Arena("y", ElementType.Int8, [1, 4, 3, 3], "NHWC", null);
        var emitted = harness.Emit(new QConvEmitter(), "octet.QConv", ["x", "w"], ["y"], FixedPoint(ElementType.Int8, 0, [0.01]));
        Assert.Contains(emitted.Problems, p => p.Contains("layout rowmajor") && p.Contains("NHWC"));
        Assert.DoesNotContain("Run()\n        {\n            unchecked", emitted.Source);
    }
}
