using System.Globalization;
using System.Text.Json;

namespace Octet.Compiler.Quantization.Config;

/// <summary>
/// Writes a config deterministically: fixed key order, tensors and nodes sorted ordinally, two-space
/// indentation, "\n" line ends, the transformer section only when it differs from the defaults (configs of
/// models without Softmax or GELU stay as they were), and numbers in their shortest round-trip form ("R"), so that reading the
/// file back gives the same float32 bits and the same config always gives the same bytes.
/// </summary>
internal static class ConfigWriter
{
    public static byte[] Write(QuantizationConfig config)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            writer.WriteStartObject();
            writer.WriteString("$schema", QuantizationConfig.SchemaUri);
            writer.WriteNumber("version", QuantizationConfig.CurrentVersion);
            writer.WriteString("numerics", config.Numerics.Name());

            writer.WriteStartObject("weights");
            writer.WriteString("type", ConfigNames.TypeName(config.Weights.Type));
            writer.WriteBoolean("symmetric", config.Weights.Symmetric);
            writer.WriteBoolean("per_channel", config.Weights.PerChannel);
            writer.WriteEndObject();

            writer.WriteStartObject("activations");
            writer.WriteString("type", ConfigNames.TypeName(config.Activations.Type));
            writer.WriteBoolean("symmetric", config.Activations.Symmetric);
            writer.WriteString("method", config.Activations.Method.Name());
            WriteDouble(writer, "percentile", config.Activations.Percentile);
            WriteDouble(writer, "bn_k", config.Activations.BnK);
            writer.WriteEndObject();

            if (!config.Transformer.IsDefault)
            {
                writer.WriteStartObject("transformer");
                writer.WriteString("softmax", config.Transformer.Softmax.Name());
                writer.WriteString("gelu", config.Transformer.Gelu.Name());
                // The softmax quantizer keys only when not the defaults, so configs written before they existed keep their bytes.
                var defaults = new TransformerSettings();
                if (config.Transformer.SoftmaxQuantizer != defaults.SoftmaxQuantizer || config.Transformer.SoftmaxLogBits != defaults.SoftmaxLogBits)
                {
                    writer.WriteString("softmax_quantizer", config.Transformer.SoftmaxQuantizer.Name());
                    writer.WriteNumber("softmax_log_bits", config.Transformer.SoftmaxLogBits);
                }
                if (config.Transformer.PreRmsNorm) writer.WriteBoolean("pre_rmsnorm", true);
                // Like the softmax quantizer keys: each only when not its default.
                if (config.Transformer.WideActivations != defaults.WideActivations)
                    writer.WriteString("wide_activations", config.Transformer.WideActivations.Name());
                if (config.Transformer.WideRangeFactor != defaults.WideRangeFactor)
                    WriteDouble(writer, "wide_range_factor", config.Transformer.WideRangeFactor);
                writer.WriteEndObject();
            }

            writer.WriteStartObject("tensors");
            foreach (var name in config.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                var tensor = config.Tensors[name];
                writer.WriteStartObject(name);
                if (tensor.Min is { } min) WriteFloat(writer, "min", min, name);
                if (tensor.Max is { } max) WriteFloat(writer, "max", max, name);
                if (tensor.Scale is { } scale) WriteFloat(writer, "scale", scale, name);
                if (tensor.ZeroPoint is { } zeroPoint) writer.WriteNumber("zero_point", zeroPoint);
                if (tensor.KeepFloat) writer.WriteBoolean("keep_float", true);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();

            if (config.Nodes.Count > 0)
            {
                writer.WriteStartObject("nodes");
                foreach (var name in config.Nodes.Keys.OrderBy(k => k, StringComparer.Ordinal))
                {
                    writer.WriteStartObject(name);
                    if (config.Nodes[name].Precision is { } precision) writer.WriteString("precision", precision.Name());
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
            }

            if (config.Calibration is { } calibration)
            {
                writer.WriteStartObject("calibration");
                writer.WriteString("method", calibration.Method.Name());
                if (calibration.Samples is { } samples) writer.WriteNumber("samples", samples);
                if (calibration.Data is { } data) writer.WriteString("data", data);
                if (calibration.InputScale is { } inputScale) WriteDouble(writer, "input_scale", inputScale);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteFloat(Utf8JsonWriter writer, string key, float value, string tensor)
    {
        if (!float.IsFinite(value)) throw new ArgumentException($"tensor '{tensor}': {key} {value} is not finite and cannot be written");
        writer.WritePropertyName(key);
        writer.WriteRawValue(value.ToString("R", CultureInfo.InvariantCulture));
    }

    private static void WriteDouble(Utf8JsonWriter writer, string key, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{key} {value} is not finite and cannot be written");
        writer.WritePropertyName(key);
        writer.WriteRawValue(value.ToString("R", CultureInfo.InvariantCulture));
    }
}
