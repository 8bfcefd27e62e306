using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Builds the requantization attributes every lowered integer op carries (see Operators/Integer/Requantizer):
/// for integer-only numerics the fixed-point (M0, shift) of each real multiplier; for ort-compatible
/// numerics the float32 scale computed exactly as ONNX Runtime computes it, <c>(s_in · s_w[c]) / s_out</c>
/// left to right in float32.
/// </summary>
internal static class RequantizationAttributes
{
    /// <param name="inputScale">s_in (for two-input ops the product s_a · s_b, in float32).</param>
    /// <param name="weightScales">per output channel, or null for none (multiplier s_in / s_out).</param>
    public static Dictionary<string, Attribute> Create(NumericsMode mode, float inputScale, float[]? weightScales,
        QuantizationParameters output, int clampMin, int clampMax)
    {
        int channels = weightScales?.Length ?? 1;
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        if (mode == NumericsMode.IntegerOnly)
        {
            var multipliers = new long[channels];
            var shifts = new long[channels];
            for (int c = 0; c < channels; c++)
            {
                // The real multiplier in double from the float32 scales: the dyadic form is the closest to it.
                double m = (double)inputScale * (weightScales?[c] ?? 1f) / output.Scale;
                var (m0, shift) = QuantizationMath.ToFixedPoint(m);
                multipliers[c] = m0;
                shifts[c] = shift;
            }
            Add(attributes, new Attribute("requant", AttributeKind.String, "fixed-point"));
            Add(attributes, new Attribute("multiplier", AttributeKind.Ints, multipliers));
            Add(attributes, new Attribute("shift", AttributeKind.Ints, shifts));
        }
        else
        {
            var scales = new float[channels];
            for (int c = 0; c < channels; c++)
                scales[c] = weightScales is null ? inputScale / output.Scale : inputScale * weightScales[c] / output.Scale;
            Add(attributes, new Attribute("requant", AttributeKind.String, "float"));
            Add(attributes, new Attribute("scale", AttributeKind.Floats, scales));
        }
        Add(attributes, new Attribute("y_zero_point", AttributeKind.Int, (long)output.ZeroPoint));
        Add(attributes, new Attribute("clamp_min", AttributeKind.Int, (long)clampMin));
        Add(attributes, new Attribute("clamp_max", AttributeKind.Int, (long)clampMax));
        Add(attributes, new Attribute("y_type", AttributeKind.Int, (long)output.StorageType));
        return attributes;
    }

    public static void Add(Dictionary<string, Attribute> attributes, Attribute attribute) => attributes[attribute.Name] = attribute;
}
