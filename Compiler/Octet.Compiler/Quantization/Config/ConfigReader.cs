using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Config;

/// <summary>
/// Reads a quantization config with <see cref="JsonDocument"/>, so that every problem can be reported with
/// the JSON path of the value at fault: <c>q.json: $.tensors.foo: no tensor 'foo' in the model</c>.
/// Comments and trailing commas are allowed (configs are edited by hand); duplicate keys are not.
/// </summary>
internal sealed partial class ConfigReader
{
    internal static readonly IReadOnlyList<string> RootKeys =
        ["$schema", "version", "numerics", "weights", "activations", "transformer", "tensors", "nodes", "calibration"];
    private static readonly string[] WeightKeys = ["type", "bits", "symmetric", "per_channel"];
    private static readonly string[] ActivationKeys = ["type", "bits", "symmetric", "method", "percentile", "bn_k"];
    private static readonly string[] TensorKeys = ["min", "max", "scale", "zero_point", "keep_float"];
    private static readonly string[] NodeKeys = ["precision"];
    private static readonly string[] CalibrationKeys = ["method", "samples", "data", "input_scale"];
    private static readonly string[] TransformerKeys = ["softmax", "gelu", "softmax_quantizer", "softmax_log_bits", "pre_rmsnorm", "wide_activations", "wide_range_factor"];

    internal static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> SectionKeys = new Dictionary<string, IReadOnlyList<string>>
    {
        ["$"] = RootKeys,
        ["$.weights"] = WeightKeys,
        ["$.activations"] = ActivationKeys,
        ["$.tensors.*"] = TensorKeys,
        ["$.nodes.*"] = NodeKeys,
        ["$.calibration"] = CalibrationKeys,
        ["$.transformer"] = TransformerKeys,
    };

    private readonly string _source;
    private readonly ModelGraph? _graph;
    private readonly HashSet<string>? _nodeNames;

    public ConfigReader(string source, ModelGraph? graph)
    {
        _source = source;
        _graph = graph;
        _nodeNames = graph?.Nodes.Select(n => n.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
    }

    public QuantizationConfig Read(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            // LineNumber and BytePositionInLine are zero-based.
            throw new OctetException($"{_source}: line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: not valid JSON ({FirstSentence(e.Message)})", e);
        }
        using (document)
        {
            var root = Properties(document.RootElement, "$", RootKeys);

            if (!root.TryGetValue("version", out var version)) throw Fail("$", "missing required key 'version' (this reader understands version 1)");
            int versionNumber = Integer(version, "$.version");
            if (versionNumber != QuantizationConfig.CurrentVersion)
                throw Fail("$.version", $"version {versionNumber} is not supported; this reader understands version {QuantizationConfig.CurrentVersion}");
            if (root.TryGetValue("$schema", out var schema)) Text(schema, "$.$schema");

            var config = new QuantizationConfig { Source = _source };
            if (root.TryGetValue("numerics", out var numerics))
                config = config with { Numerics = ReadEnum<NumericsMode>(numerics, "$.numerics", "numerics mode", ConfigNames.NumericsNames, ConfigNames.TryParseNumerics) };
            if (root.TryGetValue("weights", out var weights)) config = config with { Weights = ReadWeights(weights, "$.weights") };
            // Activations come before tensors whatever the key order: zero points are checked against the activation type.
            if (root.TryGetValue("activations", out var activations)) config = config with { Activations = ReadActivations(activations, "$.activations") };
            if (root.TryGetValue("transformer", out var transformer)) config = config with { Transformer = ReadTransformer(transformer, "$.transformer") };
            if (root.TryGetValue("tensors", out var tensors)) config = config with { Tensors = ReadTensors(tensors, "$.tensors", config.Activations.Type) };
            if (root.TryGetValue("nodes", out var nodes)) config = config with { Nodes = ReadNodes(nodes, "$.nodes") };
            if (root.TryGetValue("calibration", out var calibration)) config = config with { Calibration = ReadCalibration(calibration, "$.calibration") };
            return config;
        }
    }

    private WeightSettings ReadWeights(JsonElement element, string path)
    {
        var keys = Properties(element, path, WeightKeys);
        var weights = new WeightSettings();
        if (keys.TryGetValue("type", out var type)) weights = weights with { Type = StorageType(type, Child(path, "type")) };
        if (keys.TryGetValue("bits", out var bits)) Bits(bits, Child(path, "bits"));
        if (keys.TryGetValue("symmetric", out var symmetric)) weights = weights with { Symmetric = Boolean(symmetric, Child(path, "symmetric")) };
        if (keys.TryGetValue("per_channel", out var perChannel)) weights = weights with { PerChannel = Boolean(perChannel, Child(path, "per_channel")) };
        return weights;
    }

    private ActivationSettings ReadActivations(JsonElement element, string path)
    {
        var keys = Properties(element, path, ActivationKeys);
        var activations = new ActivationSettings();
        if (keys.TryGetValue("type", out var type)) activations = activations with { Type = StorageType(type, Child(path, "type")) };
        if (keys.TryGetValue("bits", out var bits)) Bits(bits, Child(path, "bits"));
        if (keys.TryGetValue("symmetric", out var symmetric)) activations = activations with { Symmetric = Boolean(symmetric, Child(path, "symmetric")) };
        if (keys.TryGetValue("method", out var method))
            activations = activations with { Method = ReadEnum<CalibrationMethod>(method, Child(path, "method"), "method", ConfigNames.MethodNames, ConfigNames.TryParseMethod) };
        if (keys.TryGetValue("percentile", out var percentile))
        {
            double p = Number(percentile, Child(path, "percentile"));
            if (!(p > 0 && p <= 100)) throw Fail(Child(path, "percentile"), $"must be greater than 0 and at most 100, got {Raw(percentile)}");
            activations = activations with { Percentile = p };
        }
        if (keys.TryGetValue("bn_k", out var bnK))
        {
            double k = Number(bnK, Child(path, "bn_k"));
            if (!(k > 0)) throw Fail(Child(path, "bn_k"), $"must be positive, got {Raw(bnK)}");
            activations = activations with { BnK = k };
        }
        return activations;
    }

    private TransformerSettings ReadTransformer(JsonElement element, string path)
    {
        var keys = Properties(element, path, TransformerKeys);
        var settings = new TransformerSettings();
        if (keys.TryGetValue("softmax", out var softmax))
            settings = settings with { Softmax = ReadEnum<SoftmaxMethod>(softmax, Child(path, "softmax"), "softmax method", ConfigNames.SoftmaxNames, ConfigNames.TryParseSoftmax) };
        if (keys.TryGetValue("gelu", out var gelu))
            settings = settings with { Gelu = ReadEnum<GeluMethod>(gelu, Child(path, "gelu"), "gelu method", ConfigNames.GeluNames, ConfigNames.TryParseGelu) };
        if (keys.TryGetValue("softmax_quantizer", out var quantizer))
            settings = settings with { SoftmaxQuantizer = ReadEnum<SoftmaxQuantizer>(quantizer, Child(path, "softmax_quantizer"), "softmax quantizer", ConfigNames.SoftmaxQuantizerNames, ConfigNames.TryParseSoftmaxQuantizer) };
        if (keys.TryGetValue("softmax_log_bits", out var logBits))
        {
            int bits = Integer(logBits, Child(path, "softmax_log_bits"));
            if (bits is < 1 or > 8) throw Fail(Child(path, "softmax_log_bits"), $"must be an integer from 1 to 8, got {Raw(logBits)}");
            settings = settings with { SoftmaxLogBits = bits };
        }
        if (keys.TryGetValue("pre_rmsnorm", out var preRmsNorm))
            settings = settings with { PreRmsNorm = Boolean(preRmsNorm, Child(path, "pre_rmsnorm")) };
        if (keys.TryGetValue("wide_activations", out var wide))
            settings = settings with { WideActivations = ReadEnum<WideActivationPolicy>(wide, Child(path, "wide_activations"), "wide activation policy", ConfigNames.WideActivationNames, ConfigNames.TryParseWideActivations) };
        if (keys.TryGetValue("wide_range_factor", out var factor))
        {
            double f = Number(factor, Child(path, "wide_range_factor"));
            if (!(f > 0)) throw Fail(Child(path, "wide_range_factor"), $"must be a number greater than 0, got {Raw(factor)}");
            settings = settings with { WideRangeFactor = f };
        }
        return settings;
    }

    private ImmutableSortedDictionary<string, TensorSettings> ReadTensors(JsonElement element, string path, ElementType activationType)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, TensorSettings>(StringComparer.Ordinal);
        foreach (var (name, value) in Properties(element, path, allowedKeys: null))
        {
            var entryPath = Child(path, name);
            if (_graph is not null && !_graph.Tensors.ContainsKey(name)) throw Fail(entryPath, $"no tensor '{name}' in the model");
            builder[name] = ReadTensor(value, entryPath, activationType);
        }
        return builder.ToImmutable();
    }

    private TensorSettings ReadTensor(JsonElement element, string path, ElementType activationType)
    {
        var keys = Properties(element, path, TensorKeys);
        var settings = new TensorSettings();
        if (keys.TryGetValue("min", out var min)) settings = settings with { Min = Float(min, Child(path, "min")) };
        if (keys.TryGetValue("max", out var max)) settings = settings with { Max = Float(max, Child(path, "max")) };
        if (keys.TryGetValue("scale", out var scale))
        {
            float s = Float(scale, Child(path, "scale"));
            if (!(s > 0)) throw Fail(Child(path, "scale"), $"scale must be positive, got {Raw(scale)}");
            settings = settings with { Scale = s };
        }
        if (keys.TryGetValue("zero_point", out var zeroPoint))
        {
            int zp = Integer(zeroPoint, Child(path, "zero_point"));
            var (qmin, qmax) = activationType == ElementType.Int8 ? (-128, 127) : (0, 255);
            if (zp < qmin || zp > qmax)
                throw Fail(Child(path, "zero_point"), $"zero point {zp} is outside the {ConfigNames.TypeName(activationType)} range [{qmin}, {qmax}] (the activation type)");
            settings = settings with { ZeroPoint = zp };
        }
        if (keys.TryGetValue("keep_float", out var keepFloat)) settings = settings with { KeepFloat = Boolean(keepFloat, Child(path, "keep_float")) };

        if (settings.Min.HasValue != settings.Max.HasValue)
            throw Fail(path, settings.Min.HasValue ? "'min' is given without 'max'" : "'max' is given without 'min'");
        if (settings is { Min: { } lo, Max: { } hi } && lo > hi)
            throw Fail(Child(path, "min"), $"min {Format(lo)} is greater than max {Format(hi)}");
        if (settings.Scale.HasValue != settings.ZeroPoint.HasValue)
            throw Fail(path, settings.Scale.HasValue ? "'scale' is given without 'zero_point'" : "'zero_point' is given without 'scale'");
        if (!settings.KeepFloat && settings.Min is null && settings.Scale is null)
            throw Fail(path, "says nothing: give min and max, scale and zero_point, or \"keep_float\": true");
        return settings;
    }

    private ImmutableSortedDictionary<string, NodeSettings> ReadNodes(JsonElement element, string path)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, NodeSettings>(StringComparer.Ordinal);
        foreach (var (name, value) in Properties(element, path, allowedKeys: null))
        {
            var entryPath = Child(path, name);
            if (_nodeNames is not null && !_nodeNames.Contains(name)) throw Fail(entryPath, $"no node '{name}' in the model");
            var keys = Properties(value, entryPath, NodeKeys);
            if (!keys.TryGetValue("precision", out var precision)) throw Fail(entryPath, "missing required key 'precision'");
            builder[name] = new NodeSettings
            {
                Precision = ReadEnum<NodePrecision>(precision, Child(entryPath, "precision"), "precision", ConfigNames.PrecisionNames, ConfigNames.TryParsePrecision),
            };
        }
        return builder.ToImmutable();
    }

    private CalibrationRecord ReadCalibration(JsonElement element, string path)
    {
        var keys = Properties(element, path, CalibrationKeys);
        var record = new CalibrationRecord();
        if (!keys.TryGetValue("method", out var method)) throw Fail(path, "missing required key 'method'");
        record = record with { Method = ReadEnum<CalibrationMethod>(method, Child(path, "method"), "method", ConfigNames.MethodNames, ConfigNames.TryParseMethod) };
        if (keys.TryGetValue("samples", out var samples))
        {
            int n = Integer(samples, Child(path, "samples"));
            if (n < 0) throw Fail(Child(path, "samples"), $"must not be negative, got {n}");
            record = record with { Samples = n };
        }
        if (keys.TryGetValue("data", out var data)) record = record with { Data = Text(data, Child(path, "data")) };
        if (keys.TryGetValue("input_scale", out var inputScale))
        {
            double s = Number(inputScale, Child(path, "input_scale"));
            if (!(s > 0)) throw Fail(Child(path, "input_scale"), $"must be positive, got {Raw(inputScale)}");
            record = record with { InputScale = s };
        }
        return record;
    }

    // ---- typed readers: each names the path and shows what it found ----

    /// <summary>The properties of an object, in file order; unknown keys (when <paramref name="allowedKeys"/> is given) and duplicates are errors.</summary>
    private Dictionary<string, JsonElement> Properties(JsonElement element, string path, IReadOnlyList<string>? allowedKeys)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Fail(path, $"expected an object, got {Raw(element)}");
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var propertyPath = Child(path, property.Name);
            if (allowedKeys is not null && !allowedKeys.Contains(property.Name))
                throw Fail(propertyPath, $"unknown key (expected {ConfigNames.Alternatives(allowedKeys)})");
            if (!result.TryAdd(property.Name, property.Value)) throw Fail(propertyPath, "duplicate key");
        }
        return result;
    }

    private bool Boolean(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Fail(path, $"expected true or false, got {Raw(element)}"),
    };

    private string Text(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Fail(path, $"expected a string, got {Raw(element)}");

    private double Number(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Number) throw Fail(path, $"expected a number, got {Raw(element)}");
        if (!element.TryGetDouble(out var value) || !double.IsFinite(value)) throw Fail(path, $"{Raw(element)} is not a finite number");
        return value;
    }

    /// <summary>A float32 value, parsed directly as float so that values written with "R" read back bit-exactly.</summary>
    private float Float(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Number) throw Fail(path, $"expected a number, got {Raw(element)}");
        if (!float.TryParse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
            throw Fail(path, $"{Raw(element)} is not a finite float32 number");
        return value;
    }

    private int Integer(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Number) throw Fail(path, $"expected an integer, got {Raw(element)}");
        if (element.TryGetInt32(out var value)) return value;
        // 3.0 is an integer written as a float; 3.5 and 1e40 are not usable.
        if (element.TryGetDouble(out var d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue) return (int)d;
        throw Fail(path, $"expected an integer, got {Raw(element)}");
    }

    private T ReadEnum<T>(JsonElement element, string path, string what, IReadOnlyList<string> names, TryParse<T> parse) where T : struct
    {
        if (element.ValueKind != JsonValueKind.String) throw Fail(path, $"expected a string ({ConfigNames.Alternatives(names)}), got {Raw(element)}");
        var text = element.GetString()!;
        return parse(text, out var value) ? value : throw Fail(path, $"unknown {what} '{text}'; expected {ConfigNames.Alternatives(names)}");
    }

    private delegate bool TryParse<T>(string text, out T value);

    private ElementType StorageType(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.String) throw Fail(path, $"expected a string (int8 or uint8), got {Raw(element)}");
        var text = element.GetString()!;
        if (ConfigNames.TryParseType(text, out var type)) return type;
        if (text is "int4" or "uint4" or "int16" or "uint16" or "int32")
            throw Fail(path, $"type '{text}' is not supported: only 8-bit quantization is (int8 or uint8)");
        throw Fail(path, $"unknown type '{text}'; expected int8 or uint8");
    }

    private void Bits(JsonElement element, string path)
    {
        int bits = Integer(element, path);
        if (bits != 8) throw Fail(path, $"{bits}-bit quantization is not supported: only 8-bit is");
    }

    // ---- paths and messages ----

    private OctetException Fail(string path, string problem) => new($"{_source}: {path}: {problem}");

    /// <summary><c>$.a.b</c> for plain keys, <c>$.a['x/y:0']</c> for keys that are not identifiers.</summary>
    internal static string Child(string path, string key) =>
        PlainKey().IsMatch(key) ? $"{path}.{key}" : $"{path}['{key.Replace("\\", "\\\\").Replace("'", "\\'")}']";

    [GeneratedRegex(@"^[A-Za-z_$][A-Za-z0-9_$]*$")]
    private static partial Regex PlainKey();

    /// <summary>The value as it appears in the file, shortened for messages.</summary>
    private static string Raw(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 40 ? text : text[..37] + "...";
    }

    private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }
}
