using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// QConv layers that <see cref="QConvEmitter"/> sends to the direct narrow-window kernel (<c>NarrowConvolution</c>):
/// the emitted op, compiled and run, against the compiler's reference QConv on the same random data, bit for bit; and
/// the condition that chooses the kernel (short kernel rows, no weight zero point, fixed-point requantization).
/// </summary>
public sealed class NarrowConvolutionEmitterTests
{
    public sealed record Case(string Name, ElementType XType, ElementType YType, int Batch, int Channels, int OutChannels, int Height, int Width,
        int KernelH, int KernelW, int Stride, int[] Pads, bool PerChannel, bool Bias, bool Folded, bool Relu)
    {
        public override string ToString() => Name;
    }

    private static readonly Case[] All =
    [
        new("MNIST's first layer: int8, 1 channel, 5x5 pads 2, 8 outputs, per-channel, folded bias", ElementType.Int8, ElementType.Int8, 1, 1, 8, 28, 28, 5, 5, 1, [2, 2, 2, 2], true, true, true, false),
        new("MNIST's second layer: int8, 8 channels, 5x5 pads 2, 16 outputs, per-channel, folded bias, relu", ElementType.Int8, ElementType.Int8, 1, 8, 16, 14, 14, 5, 5, 1, [2, 2, 2, 2], true, true, true, true),
        new("uint8 to int8, 3 channels, 3x3 stride 2, asymmetric pads, 12 outputs, per-tensor, unfolded bias, 2 images", ElementType.UInt8, ElementType.Int8, 2, 3, 12, 9, 8, 3, 3, 2, [1, 0, 2, 1], false, true, false, false),
        new("int8 to uint8, 2 channels, 3x5, no bias, unfolded x_zp, 21 outputs", ElementType.Int8, ElementType.UInt8, 1, 2, 21, 6, 7, 3, 5, 1, [1, 2, 1, 2], true, false, false, false),
        // 101-pixel padded rows of 3 channels: a 16 KiB band holds 26 of the 48 output rows, so the call goes in two bands.
        new("a large first layer in bands: uint8, 3 channels, 3x3 stride 2 over 96x100, 32 outputs, 2 images", ElementType.UInt8, ElementType.UInt8, 2, 3, 32, 96, 100, 3, 3, 2, [1, 1, 0, 0], true, true, true, true),
        new("a 7x7 stride 2 first layer in small: int8, 3 channels, 64 outputs (8 blocks of 8, the most the emitter gives it)", ElementType.Int8, ElementType.Int8, 1, 3, 64, 21, 23, 7, 7, 2, [0, 0, 0, 0], true, true, true, false),
    ];

    public static TheoryData<string> Cases => new(All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Emitted_narrow_kernel_is_bit_identical_to_the_reference(string name)
    {
        var c = All.Single(k => k.Name == name);
        var random = new Random(name.Length * 7919 + c.Channels);
        for (int trial = 0; trial < 2; trial++)
        {
            var x = Random8(random, c.XType, [c.Batch, c.Channels, c.Height, c.Width]);
            var w = Random8(random, ElementType.Int8, [c.OutChannels, c.Channels, c.KernelH, c.KernelW]);
            var (xMin, xMax) = Range(c.XType);
            int xZeroPoint = trial == 0 ? random.Next(xMin, xMax + 1) : xMin;
            var wZeroPoints = new int[c.OutChannels];
            var bias = Enumerable.Range(0, c.OutChannels).Select(_ => random.Next(-30000, 30000)).ToArray();
            var (yMin, yMax) = Range(c.YType);
            int yZeroPoint = random.Next(yMin + 20, yMax - 20);
            var multipliers = Enumerable.Range(0, c.PerChannel ? c.OutChannels : 1).Select(_ => Math.Pow(2, -8 - random.NextDouble() * 6)).ToArray();
            var attributes = FixedPoint(c.YType, yZeroPoint, multipliers, clampMin: c.Relu ? yZeroPoint : null);
            attributes.AddRange([
                Int("x_zero_point", xZeroPoint), Ints("w_zero_point", 0), Int("group", 1),
                Ints("strides", c.Stride, c.Stride), Ints("dilations", 1, 1), Ints("kernel_shape", c.KernelH, c.KernelW),
                Ints("pads", c.Pads.Select(p => (long)p).ToArray()),
            ]);
            int[]? planBias = c.Bias ? bias : null;
            if (c.Folded)
            {
                attributes.Add(Int(FoldedBias.AttributeName, 1));
                int perChannel = c.Channels * c.KernelH * c.KernelW;
                planBias = FoldedBias.Apply(bias, FoldedBias.WeightSums(w, wZeroPoints, c.OutChannels, i => i / perChannel), xZeroPoint, -1);
            }

            var referenceInputs = new List<Tensor?> { x, w };
            if (planBias != null) referenceInputs.Add(From(ElementType.Int32, [c.OutChannels], planBias));
            var expected = Run(new QConv(), Node("QConv", referenceInputs.Count, attributes), [.. referenceInputs], constantInputs: true);

            var harness = new Int8KernelHarness();
            var inputs = new List<string>
            {
                harness.Arena("x", c.XType, x.Shape.ToArray(), "NHWC", Int8KernelHarness.ToNhwc(x)),
                harness.Constant("w", Int8KernelHarness.ToOhwi(w), "OHWI", inline: trial == 1 && w.ElementCount <= 256),
            };
            if (planBias != null) inputs.Add(harness.Constant("b", From(ElementType.Int32, [c.OutChannels], planBias), "rowmajor", inline: trial == 1));
            harness.Arena("y", c.YType, expected.Shape.ToArray(), "NHWC", null);
            var (output, source) = harness.Run(new QConvEmitter(), "octet.QConv", [.. inputs], "y", attributes);
            Assert.Contains("NarrowConvolution.Run(", source);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromNhwc(output, c.YType, expected.Shape.ToArray()), source);
        }
    }

    [Theory]
    [InlineData(1, 5, 0, true, true)]      // a 1-channel 5x5: narrow
    [InlineData(12, 5, 0, true, true)]     // 60-byte kernel rows: narrow
    [InlineData(13, 5, 0, true, false)]    // 65-byte kernel rows: the GEMM
    [InlineData(1, 5, 3, true, false)]     // a weight zero point: the GEMM's per-pixel epilogue
    [InlineData(1, 5, 0, false, false)]    // float requantization: the GEMM
    public void The_narrow_kernel_is_chosen_for_short_kernel_rows_only(int channels, int kernel, int wZeroPoint, bool fixedPoint, bool narrow)
    {
        var harness = new Int8KernelHarness();
        harness.Arena("x", ElementType.Int8, [1, channels, 8, 8], "NHWC", new byte[64 * channels]);
        harness.Weights("w", ElementType.Int8, [4, channels, kernel, kernel], "OHWI", new byte[4 * channels * kernel * kernel]);
        harness.Arena("y", ElementType.Int8, [1, 4, 8, 8], "NHWC", null);
        int pad = kernel / 2;
        var requantization = fixedPoint ? FixedPoint(ElementType.Int8, 0, [0.01]) : FloatMode(ElementType.Int8, 0, [0.01f]);
        var emitted = harness.Emit(new QConvEmitter(), "octet.QConv", ["x", "w"], ["y"],
            [.. requantization, Int("group", 1), Ints("pads", pad, pad, pad, pad), Int("w_zero_point", wZeroPoint)]);
        Assert.Empty(emitted.Problems);
        Assert.Equal(narrow, emitted.Source.Contains("NarrowConvolution.Run(", StringComparison.Ordinal));
    }
}
