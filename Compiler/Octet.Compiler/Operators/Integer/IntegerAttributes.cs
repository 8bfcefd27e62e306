using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Reading and checking what the integer operators share: zero points (one, or one per channel, each
/// inside its tensor's type), the value ranges of int8, uint8 and int16, the static bound that proves an
/// int32 accumulator cannot overflow, and packing results into an int8, uint8 or int16 tensor.
/// </summary>
internal static class IntegerAttributes
{
    /// <summary>The value range of a quantized activation type: int8, uint8 or int16.</summary>
    public static (int Min, int Max) Range(ElementType type) => type switch
    {
        ElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        ElementType.UInt8 => (byte.MinValue, byte.MaxValue),
        ElementType.Int16 => (short.MinValue, short.MaxValue),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an int8, uint8 or int16 type"),
    };

    /// <summary>
    /// The largest |x − zeroPoint| over every value x of <paramref name="type"/>: what one shifted operand can
    /// contribute at most, whatever the data.
    /// </summary>
    public static long MaxDistance(ElementType type, int zeroPoint)
    {
        var (min, max) = Range(type);
        return Math.Max((long)zeroPoint - min, (long)max - zeroPoint);
    }

    /// <summary>A per-tensor zero point for a tensor of <paramref name="type"/>: 0 when absent, else inside the type's range.</summary>
    public static int ZeroPoint(Node node, string name, ElementType type)
    {
        long value = node.GetInt(name, 0);
        CheckInRange(node, name, value, type);
        return (int)value;
    }

    /// <summary>
    /// Zero points with one value for the whole tensor or one per channel (<paramref name="channels"/> of
    /// them), each inside the range of <paramref name="type"/>; returned with one entry per channel. 0 when absent.
    /// </summary>
    public static int[] ZeroPoints(Node node, string name, ElementType type, int channels, string channelName)
    {
        var values = node.GetInts(name) ?? [0];
        if (values.Length != 1 && values.Length != channels)
            throw OctetException.AtNode(node,
                $"attribute '{name}' has {values.Length} values; expected 1 (per tensor) or {channels} (one per {channelName})");
        var result = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            long value = values[values.Length == 1 ? 0 : c];
            CheckInRange(node, name, value, type);
            result[c] = (int)value;
        }
        return result;
    }

    public static void CheckInRange(Node node, string name, long value, ElementType type)
    {
        var (min, max) = Range(type);
        if (value < min || value > max)
            throw OctetException.AtNode(node, $"attribute '{name}' = {value} is outside the {type.OnnxName()} range [{min}, {max}]");
    }

    /// <summary>
    /// Requires that an accumulator whose magnitude is at most <paramref name="bound"/> fits int32. The
    /// kernels accumulate in int32 (as generated code will), so a bound that fits proves every partial sum is
    /// exact; one that does not is an error rather than a silent wrap.
    /// </summary>
    public static void ExpectFitsInt32(Node node, long bound, string what)
    {
        if (bound > int.MaxValue)
            throw OctetException.AtNode(node,
                $"the int32 accumulator can overflow: {what} can reach magnitude {bound:N0}, more than 2^31 - 1");
    }

    /// <summary>Σ |w − zeroPoint| over <paramref name="count"/> consecutive weights from <paramref name="start"/> (with stride <paramref name="stride"/>).</summary>
    public static long AbsoluteSum(int[] weights, int start, int count, int stride, int zeroPoint)
    {
        long sum = 0;
        for (int i = 0, j = start; i < count; i++, j += stride) sum += Math.Abs((long)weights[j] - zeroPoint);
        return sum;
    }

    /// <summary>An int8, uint8 or int16 tensor from values already inside that type's range.</summary>
    public static Tensor ToTensor(ElementType type, Shape shape, int[] values)
    {
        switch (type)
        {
            case ElementType.Int8:
            {
                var data = new sbyte[values.Length];
                for (int i = 0; i < values.Length; i++) data[i] = checked((sbyte)values[i]);
                return Tensor.Create(shape, data);
            }
            case ElementType.UInt8:
            {
                var data = new byte[values.Length];
                for (int i = 0; i < values.Length; i++) data[i] = checked((byte)values[i]);
                return Tensor.Create(shape, data);
            }
            case ElementType.Int16:
            {
                var data = new short[values.Length];
                for (int i = 0; i < values.Length; i++) data[i] = checked((short)values[i]);
                return Tensor.Create(shape, data);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not an int8, uint8 or int16 type");
        }
    }
}
