using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit.Int8;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The emitted QAveragePool and QGlobalAveragePool kernels against the compiler's reference operators, bit for
/// bit: padding counted or not, ceil_mode, dilations, strides, both requantization modes, int8 and uint8, NHWC
/// and (global pool) row-major input.
/// </summary>
public sealed class QPoolEmitterTests
{
    [Theory]
    [InlineData("3x3 stride 2 pads 1, padding not counted", 3, 2, 1, 1, false, false, true, ElementType.Int8)]
    [InlineData("3x3 stride 2 pads 1, padding counted", 3, 2, 1, 1, true, false, false, ElementType.UInt8)]
    [InlineData("2x2 stride 2 ceil_mode", 2, 2, 0, 1, false, true, true, ElementType.UInt8)]
    [InlineData("3x3 stride 1 dilation 2 pads 2", 3, 1, 2, 2, false, false, false, ElementType.Int8)]
    [InlineData("2x2 stride 1 no padding, wide channels", 2, 1, 0, 1, true, false, true, ElementType.Int8)]
    public void QAveragePool_is_bit_identical_to_the_reference(string name, int kernel, int stride, int pad, int dilation, bool countPad, bool ceil, bool fixedPoint, ElementType type)
    {
        var random = new Random(name.Length * 17 + kernel);
        int channels = name.Contains("wide") ? 45 : 5;
        for (int trial = 0; trial < 3; trial++)
        {
            var x = Random8(random, type, [2, channels, 7, 6]);
            var (min, max) = Range(type);
            var yType = trial == 1 ? (type == ElementType.Int8 ? ElementType.UInt8 : ElementType.Int8) : type;
            var (yMin, yMax) = Range(yType);
            int yZeroPoint = random.Next(yMin, yMax + 1);
            double multiplier = 0.5 + random.NextDouble();
            // Trial 2: M = 1 exactly, so ties (sums that are odd multiples of half the count) occur and rounding shows.
            if (trial == 2) multiplier = 1;
            var attributes = fixedPoint ? FixedPoint(yType, yZeroPoint, [multiplier]) : FloatMode(yType, yZeroPoint, [(float)multiplier]);
            attributes.AddRange([
                Int("x_zero_point", random.Next(min, max + 1)), Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride),
                Ints("pads", pad, pad, pad, pad), Ints("dilations", dilation, dilation), Int("count_include_pad", countPad ? 1 : 0), Int("ceil_mode", ceil ? 1 : 0),
            ]);
            var expected = Run(new QAveragePool(), Node("QAveragePool", 1, attributes), [x]);
            var harness = new Int8KernelHarness();
            harness.Arena("x", type, x.Shape.ToArray(), "NHWC", Int8KernelHarness.ToNhwc(x));
            harness.Arena("y", yType, expected.Shape.ToArray(), "NHWC", null);
            var (output, source) = harness.Run(new QPoolEmitter(), "octet.QAveragePool", ["x"], "y", attributes);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromNhwc(output, yType, expected.Shape.ToArray()), source);
        }
    }

    [Theory]
    [InlineData("NHWC", true, ElementType.Int8)]
    [InlineData("NHWC", false, ElementType.UInt8)]
    [InlineData("rowmajor", true, ElementType.UInt8)]
    [InlineData("rowmajor", false, ElementType.Int8)]
    public void QGlobalAveragePool_is_bit_identical_to_the_reference(string layout, bool fixedPoint, ElementType type)
    {
        var random = new Random(layout.Length + (fixedPoint ? 1 : 0) + (int)type);
        foreach (var shape in new[] { new[] { 2, 40, 7, 7 }, [1, 3, 1, 1], [1, 16, 5, 9] })
        {
            var x = Random8(random, type, shape);
            var (min, max) = Range(type);
            int yZeroPoint = random.Next(min, max + 1);
            double multiplier = shape[2] == 1 ? 1 : 0.5 + random.NextDouble();
            List<Attribute> attributes = fixedPoint ? FixedPoint(type, yZeroPoint, [multiplier]) : FloatMode(type, yZeroPoint, [(float)multiplier]);
            attributes.Add(Int("x_zero_point", random.Next(min, max + 1)));
            var expected = Run(new QGlobalAveragePool(), Node("QGlobalAveragePool", 1, attributes), [x]);
            var harness = new Int8KernelHarness();
            harness.Arena("x", type, shape, layout, layout == "NHWC" ? Int8KernelHarness.ToNhwc(x) : Int8KernelHarness.Bytes(x));
            harness.Arena("y", type, expected.Shape.ToArray(), layout, null);
            var (output, source) = harness.Run(new QPoolEmitter(), "octet.QGlobalAveragePool", ["x"], "y", attributes);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, type, expected.Shape.ToArray()), source);
        }
    }
}
