using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// What the integer transformer operators (ISoftmax, IGelu, ILayerNorm) share: the <c>method</c> string,
/// the fixed-point multiplier that brings the 8-bit input step onto an approximation's working grid, the
/// last-axis row layout, and building attributes at compile time.
/// </summary>
internal static class TransformerAttributes
{
    /// <summary>The required string attribute <c>method</c>, one of <paramref name="methods"/>.</summary>
    public static string ReadMethod(Node node, params string[] methods)
    {
        if (!node.HasAttribute("method"))
            throw OctetException.AtNode(node, $"required attribute 'method' is missing ({Quoted(methods)})");
        string method = node.GetString("method", "");
        if (Array.IndexOf(methods, method) < 0)
            throw OctetException.AtNode(node, $"method=\"{method}\"; expected {Quoted(methods)}");
        return method;
    }

    private static string Quoted(string[] values) => string.Join(" or ", values.Select(v => $"\"{v}\""));

    /// <summary>A required fixed-point pair (M0 in [2^30, 2^31) or 0, shift ≤ 31) named <paramref name="multiplierName"/> / <paramref name="shiftName"/>.</summary>
    public static (int Multiplier, int Shift) ReadFixedPoint(Node node, string multiplierName, string shiftName)
    {
        foreach (var name in new[] { multiplierName, shiftName })
            if (!node.HasAttribute(name)) throw OctetException.AtNode(node, $"required attribute '{name}' is missing");
        long multiplier = node.GetInt(multiplierName), shift = node.GetInt(shiftName);
        Requantizer.CheckFixedPoint(node, multiplierName, multiplier, shiftName, shift);
        return ((int)multiplier, (int)shift);
    }

    /// <summary>The last-axis rows of an input shape: (row count, row length). Scalars are rejected.</summary>
    public static (int Rows, int Length) Rows(Node node, Shape shape)
    {
        if (shape.Rank == 0) throw OctetException.AtNode(node, "the input is a scalar; the operator works along the last axis of a tensor of rank ≥ 1");
        int length = shape[shape.Rank - 1];
        return (length == 0 ? 0 : (int)(shape.ElementCount / length), length);
    }

    /// <summary>A fixed-point pair for a real multiplier, rejecting ones too large to represent (scales far from realistic).</summary>
    public static (int Multiplier, int Shift) ToFixedPoint(double multiplier, string what)
    {
        if (!(multiplier >= 0) || !double.IsFinite(multiplier) || multiplier >= 2147483648.0)
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, $"{what} = {multiplier} cannot be a fixed-point multiplier (needs a value in [0, 2^31))");
        return QuantizationMath.ToFixedPoint(multiplier);
    }

    public static void Add(Dictionary<string, Attribute> attributes, string name, long value) =>
        attributes[name] = new Attribute(name, AttributeKind.Int, value);

    public static void Add(Dictionary<string, Attribute> attributes, string name, long[] values) =>
        attributes[name] = new Attribute(name, AttributeKind.Ints, values);

    public static void Add(Dictionary<string, Attribute> attributes, string name, string value) =>
        attributes[name] = new Attribute(name, AttributeKind.String, value);

    /// <summary>int8, uint8 or int16 (ILayerNorm, whose input and output may be 16-bit).</summary>
    public static void ExpectActivationType(ElementType type, string what)
    {
        if (type is not (ElementType.Int8 or ElementType.UInt8 or ElementType.Int16))
            throw new ArgumentException($"{what} must be int8, uint8 or int16, not {type.OnnxName()}");
    }

    public static void ExpectEightBitType(ElementType type, string what)
    {
        if (type is not (ElementType.Int8 or ElementType.UInt8))
            throw new ArgumentException($"{what} must be int8 or uint8, not {type.OnnxName()}");
    }
}
