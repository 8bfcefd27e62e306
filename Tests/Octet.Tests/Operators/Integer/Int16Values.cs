using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// <see cref="IntegerHarness"/>'s tensor and attribute helpers extended to int16, the 16-bit activations of
/// integer-only transformers: value ranges, reading and building int16 tensors, requantization attributes
/// whose default clamp is the output type's range.
/// </summary>
internal static class Int16Values
{
    public static (int Min, int Max) Range(ElementType type) => type switch
    {
        ElementType.Int8 => (-128, 127),
        ElementType.UInt8 => (0, 255),
        ElementType.Int16 => (short.MinValue, short.MaxValue),
        _ => throw new ArgumentException(type.ToString()),
    };

    public static int[] Values(Tensor t) => t.ElementType == ElementType.Int16
        ? Array.ConvertAll(t.As<short>(), v => (int)v)
        : IntegerHarness.Values(t);

    public static Tensor From(ElementType type, int[] shape, int[] values) => type == ElementType.Int16
        ? Tensor.Create(new Shape(shape), Array.ConvertAll(values, v => checked((short)v)))
        : IntegerHarness.From(type, shape, values);

    public static Tensor Random(Random random, ElementType type, int[] shape, int? low = null, int? high = null)
    {
        var (min, max) = Range(type);
        var values = new int[new Shape(shape).ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = random.Next(low ?? min, (high ?? max) + 1);
        return From(type, shape, values);
    }

    /// <summary>The fixed-point requantization attributes for real multipliers, clamped to the output type by default.</summary>
    public static List<Attribute> FixedPoint(ElementType yType, int zeroPoint, double[] multipliers)
    {
        var pairs = multipliers.Select(QuantizationMath.ToFixedPoint).ToArray();
        var (min, max) = Range(yType);
        return
        [
            IntegerHarness.String("requant", "fixed-point"), IntegerHarness.Int("y_type", (int)yType), IntegerHarness.Int("y_zero_point", zeroPoint),
            IntegerHarness.Ints("multiplier", pairs.Select(p => (long)p.Multiplier).ToArray()),
            IntegerHarness.Ints("shift", pairs.Select(p => (long)p.Shift).ToArray()),
            IntegerHarness.Int("clamp_min", min), IntegerHarness.Int("clamp_max", max),
        ];
    }

    /// <summary>round_half_even(real / scale) + zp, clamped to the type: what float followed by QuantizeLinear gives.</summary>
    public static int Quantize(double real, double scale, int zeroPoint, ElementType type)
    {
        var (min, max) = Range(type);
        return (int)Math.Clamp(Math.Round(real / scale, MidpointRounding.ToEven) + zeroPoint, min, max);
    }
}
