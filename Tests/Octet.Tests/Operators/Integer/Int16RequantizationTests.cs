using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Requantization with 16-bit activations: the requantizer's int64-accumulator path (exact 128-bit product,
/// one rounding) against exact rational arithmetic, and Requantize int16 ↔ 8-bit against its fixed-point
/// definition (bit for bit) and its real-valued definition (≤ 1 LSB) over every input value.
/// </summary>
public sealed class Int16RequantizationTests(ITestOutputHelper output)
{
    [Fact]
    public void Int64_accumulators_are_requantized_with_one_exact_rounding()
    {
        var random = new Random(16);
        var accumulators = new List<long> { 0, 1, -1, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, (long)int.MinValue - 1, 1L << 62, -(1L << 62), long.MaxValue, long.MinValue };
        for (int i = 0; i < 20_000; i++)
        {
            int bits = random.Next(1, 63);
            long magnitude = random.NextInt64(1L << (bits - 1), bits == 63 ? long.MaxValue : 1L << bits);
            accumulators.Add(random.Next(2) == 0 ? magnitude : -magnitude);
        }
        int cases = 0;
        foreach (var type in new[] { ElementType.Int16, ElementType.Int8, ElementType.UInt8 })
        foreach (double multiplier in new[] { 1e-12, 3.7e-9, 1.1e-6, 2.9e-4, 0.031, 0.5, 0.75, 1.0, 3.3, 1234.5 })
        {
            var (min, max) = Int16Values.Range(type);
            int zeroPoint = type == ElementType.UInt8 ? 128 : type == ElementType.Int8 ? -3 : 11;
            var node = Node("QGemm", 2, Int16Values.FixedPoint(type, zeroPoint, [multiplier]));
            var requantizer = Requantizer.Read(node, 1, "tensor");
            var (m0, shift) = (requantizer.Multiplier(0), requantizer.Shift(0));
            foreach (long acc in accumulators)
            {
                var exact = ExactFixedPoint(acc, m0, shift);
                int expected = (int)BigInteger.Clamp(exact + zeroPoint, min, max);
                Assert.Equal(expected, requantizer.Requantize(acc, 0));
                // Inside int32 the wide path is the int32 path.
                if (acc is >= int.MinValue and <= int.MaxValue) Assert.Equal(requantizer.Requantize((int)acc, 0), requantizer.Requantize(acc, 0));
                cases++;
            }
        }
        output.WriteLine($"{cases} int64 accumulators requantized: all equal to the exact rational rounding");
    }

    /// <summary>⌊acc · M0 · 2^(shift − 31) + 1/2⌋ in exact rational arithmetic (independent of the 128-bit code).</summary>
    private static BigInteger ExactFixedPoint(long acc, int m0, int shift)
    {
        var product = (BigInteger)acc * m0;
        int exponent = shift - 31;
        if (exponent >= 0) return product << exponent;
        return FloorDivide(2 * product + (BigInteger.One << -exponent), BigInteger.One << (1 - exponent));
    }

    public static TheoryData<ElementType, int, ElementType, int> Conversions => new()
    {
        { ElementType.Int16, 0, ElementType.Int8, 0 },
        { ElementType.Int16, 0, ElementType.UInt8, 128 },
        { ElementType.Int16, -1000, ElementType.Int8, -7 },
        { ElementType.Int8, 0, ElementType.Int16, 0 },
        { ElementType.UInt8, 131, ElementType.Int16, 0 },
        { ElementType.Int16, 0, ElementType.Int16, 0 },
    };

    [Theory]
    [MemberData(nameof(Conversions))]
    public void Requantize_between_int16_and_8_bit_rounds_once_over_every_input(ElementType xType, int xZeroPoint, ElementType yType, int yZeroPoint)
    {
        var (xMin, xMax) = Int16Values.Range(xType);
        var (yMin, yMax) = Int16Values.Range(yType);
        var values = Enumerable.Range(xMin, xMax - xMin + 1).ToArray();
        var x = Int16Values.From(xType, [values.Length], values);
        var errors = new LsbErrors();
        // Output steps from "the 8-bit copy of a 16-bit tensor" (×256/4 coarser) to finer than the input.
        foreach (double ratio in new[] { 64.0, 257.3, 1.0, 0.37, 1 / 255.0, 1 / 65.7 })
        {
            double xScale = 0.0013, yScale = xScale * ratio;
            double multiplier = xScale / yScale;
            var node = Node("Requantize", 1, [.. Int16Values.FixedPoint(yType, yZeroPoint, [multiplier]), Int("x_zero_point", xZeroPoint)]);
            var actual = Int16Values.Values(Run(new Requantize(), node, [x]));
            var (m0, shift) = Compiler.Quantization.QuantizationMath.ToFixedPoint(multiplier);
            for (int i = 0; i < values.Length; i++)
            {
                long acc = values[i] - xZeroPoint;
                Assert.Equal(FixedPointOutput(acc, m0, shift, yZeroPoint, yMin, yMax), actual[i]);
                errors.Add(Int16Values.Quantize(acc * xScale, yScale, yZeroPoint, yType), actual[i]);
            }
        }
        output.WriteLine($"Requantize {xType}→{yType} against (x − zp)·s_x/s_y rounded half to even: {errors}");
        Assert.True(errors.Max <= 1, $"max error {errors.Max} LSB");
    }

    [Fact]
    public void Operators_that_stay_8_bit_reject_an_int16_output()
    {
        var x = Int16Values.From(ElementType.Int8, [1, 4], [1, 2, 3, 4]);
        AssertRejected(new QMul(), Node("QMul", 2, [.. Int16Values.FixedPoint(ElementType.Int16, 0, [0.5])]), [x, x], "y_type=5 (int16) is not supported");
        AssertRejected(new QMatMul(), Node("QMatMul", 2, [.. Int16Values.FixedPoint(ElementType.Int16, 0, [0.5])]),
            [x, Int16Values.From(ElementType.Int8, [4, 1], [1, 2, 3, 4])], "y_type=5 (int16) is not supported");
    }
}
