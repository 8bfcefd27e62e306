using System.Collections.Immutable;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Lowering;

namespace Octet.Compiler.Quantization.Config;

/// <summary>
/// A quantization config (JSON, version 1): the contract between calibration (<c>octet quantize</c>, or a
/// person writing it by hand) and lowering. It holds defaults for weights and activations, per-tensor
/// overrides (explicit scale and zero point, a range, or keep-float), per-node overrides (keep a node in
/// float32), the numerics mode, the integer algorithms for transformer nonlinearities, and a record of how
/// it was calibrated. docs/quantization-config.md describes the format and
/// docs/quantization-config.schema.json is its JSON Schema.
/// <para>
/// Immutable; <see cref="Load"/> and <see cref="Parse"/> validate everything and report problems as
/// <see cref="OctetException"/>s naming the file, the JSON path and the key. <see cref="Save"/> writes
/// deterministic JSON (same config, same bytes).
/// </para>
/// </summary>
public sealed record QuantizationConfig
{
    public const int CurrentVersion = 1;
    public const string SchemaUri = "https://octet.dev/schemas/quantization-config-v1.json";

    /// <summary>The keys the top-level object may contain (the JSON Schema lists the same ones).</summary>
    public static IReadOnlyList<string> TopLevelKeys => ConfigReader.RootKeys;

    /// <summary>The keys each nested object may contain, by the JSON path of that object (for the schema test and docs).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> SectionKeys => ConfigReader.SectionKeys;

    /// <summary>Where the config came from (a file name), for messages. Not part of equality.</summary>
    public string Source { get; init; } = "(quantization config)";

    public NumericsMode Numerics { get; init; } = NumericsMode.IntegerOnly;
    public WeightSettings Weights { get; init; } = new();
    public ActivationSettings Activations { get; init; } = new();

    /// <summary>Per-tensor overrides, by tensor name.</summary>
    public ImmutableSortedDictionary<string, TensorSettings> Tensors { get; init; } =
        ImmutableSortedDictionary.Create<string, TensorSettings>(StringComparer.Ordinal);

    /// <summary>Per-node overrides, by node name.</summary>
    public ImmutableSortedDictionary<string, NodeSettings> Nodes { get; init; } =
        ImmutableSortedDictionary.Create<string, NodeSettings>(StringComparer.Ordinal);

    /// <summary>Which integer algorithms integer-only lowering uses for Softmax and GELU.</summary>
    public TransformerSettings Transformer { get; init; } = new();

    /// <summary>How the tensor ranges were obtained; null for hand-written configs.</summary>
    public CalibrationRecord? Calibration { get; init; }

    /// <summary>
    /// Reads and validates a config file. With a <paramref name="graph"/>, tensor and node names must exist
    /// in it.
    /// </summary>
    public static QuantizationConfig Load(string path, ModelGraph? graph = null)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OctetException($"{path}: cannot read the quantization config ({e.Message})", e);
        }
        return Parse(text, path, graph);
    }

    /// <summary>Parses and validates config text; <paramref name="sourceName"/> starts every error message.</summary>
    public static QuantizationConfig Parse(string json, string sourceName, ModelGraph? graph = null) =>
        new ConfigReader(sourceName, graph).Read(json);

    /// <summary>Writes the config as indented JSON, tensors and nodes sorted by name (ordinal), floats round-trippable.</summary>
    public void Save(string path) => File.WriteAllBytes(path, ConfigWriter.Write(this));

    /// <summary>The JSON text <see cref="Save"/> writes.</summary>
    public string ToJson() => System.Text.Encoding.UTF8.GetString(ConfigWriter.Write(this));

    /// <summary>
    /// The quantization of activation tensor <paramref name="tensor"/>: its explicit scale and zero point
    /// when given, otherwise the parameters <see cref="QuantizationMath.FromRange"/> derives from its range
    /// with the activation type and symmetry. Null when the tensor is kept in float or not listed.
    /// </summary>
    public QuantizationParameters? ActivationParameters(string tensor)
    {
        if (!Tensors.TryGetValue(tensor, out var settings) || settings.KeepFloat) return null;
        if (settings.Scale is { } scale)
            return QuantizationParameters.PerTensor(Activations.Type, scale, settings.ZeroPoint ?? 0);
        if (settings is { Min: { } min, Max: { } max })
            return QuantizationMath.FromRange(min, max, Activations.Type, Activations.Symmetric);
        return null;
    }

    /// <summary>True when the config keeps tensor <paramref name="tensor"/> in float.</summary>
    public bool KeepsFloat(string tensor) => Tensors.TryGetValue(tensor, out var settings) && settings.KeepFloat;

    /// <summary>True when the config keeps node <paramref name="node"/> in float32.</summary>
    public bool NodeKeepsFloat(string node) => Nodes.TryGetValue(node, out var settings) && settings.Precision == NodePrecision.Float32;

    /// <summary>What the QDQ quantizer needs from this config.</summary>
    public QuantizationRequest ToRequest() => new()
    {
        Source = Source,
        WeightType = Weights.Type,
        WeightsSymmetric = Weights.Symmetric,
        WeightsPerChannel = Weights.PerChannel,
        ActivationParameters = ActivationParameters,
        ActivationRange = ActivationRange,
        KeepsFloat = KeepsFloat,
        NodeKeepsFloat = NodeKeepsFloat,
        WideActivations = Transformer.WideActivations,
        WideRangeFactor = Transformer.WideRangeFactor,
    };

    /// <summary>
    /// The calibrated range of activation tensor <paramref name="tensor"/> (its min and max, which calibration writes
    /// next to the 8-bit scale and zero point), what 16-bit parameters are derived from. Null when the tensor is kept
    /// float, not listed, or has a scale and zero point only (then the range those 8-bit parameters cover is used).
    /// </summary>
    public (float Min, float Max)? ActivationRange(string tensor) =>
        Tensors.TryGetValue(tensor, out var settings) && settings is { KeepFloat: false, Min: { } min, Max: { } max }
            ? (min, max)
            : null;

    /// <summary>What <see cref="IntegerLowering.Lower"/> needs from this config besides the numerics mode.</summary>
    public TransformerLoweringOptions ToLoweringOptions() => Transformer.ToLoweringOptions();

    public bool Equals(QuantizationConfig? other) =>
        other is not null && Numerics == other.Numerics && Weights == other.Weights && Activations == other.Activations &&
        Transformer == other.Transformer && Calibration == other.Calibration && SameEntries(Tensors, other.Tensors) && SameEntries(Nodes, other.Nodes);

    public override int GetHashCode() => HashCode.Combine(Numerics, Weights, Activations, Transformer, Calibration, Tensors.Count, Nodes.Count);

    private static bool SameEntries<T>(ImmutableSortedDictionary<string, T> a, ImmutableSortedDictionary<string, T> b)
    {
        if (a.Count != b.Count) return false;
        foreach (var (key, value) in a)
            if (!b.TryGetValue(key, out var other) || !EqualityComparer<T>.Default.Equals(value, other)) return false;
        return true;
    }
}

/// <summary>Defaults for weights: 8-bit storage type, symmetric (zero point 0), per output channel.</summary>
public sealed record WeightSettings
{
    public ElementType Type { get; init; } = ElementType.Int8;
    public bool Symmetric { get; init; } = true;
    public bool PerChannel { get; init; } = true;
}

/// <summary>Defaults for activations: 8-bit storage type, symmetry, and how ranges are calibrated.</summary>
public sealed record ActivationSettings
{
    public const double DefaultPercentile = 99.999;
    public const double DefaultBnK = 6;

    public ElementType Type { get; init; } = ElementType.Int8;
    public bool Symmetric { get; init; }
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;
    /// <summary>For <see cref="CalibrationMethod.Percentile"/>: the percentage of values kept, in (0, 100].</summary>
    public double Percentile { get; init; } = DefaultPercentile;
    /// <summary>For <see cref="CalibrationMethod.BnStats"/>: k in β ± k·|γ|.</summary>
    public double BnK { get; init; } = DefaultBnK;
}

/// <summary>
/// One tensor's entry. Explicit <see cref="Scale"/> and <see cref="ZeroPoint"/> win when given; otherwise
/// <see cref="Min"/> and <see cref="Max"/> produce them. <see cref="KeepFloat"/> leaves the tensor in float.
/// </summary>
public sealed record TensorSettings
{
    public float? Min { get; init; }
    public float? Max { get; init; }
    public float? Scale { get; init; }
    public int? ZeroPoint { get; init; }
    public bool KeepFloat { get; init; }
}

/// <summary>One node's entry: the precision it is kept at.</summary>
public sealed record NodeSettings
{
    public NodePrecision? Precision { get; init; }
}

/// <summary>
/// The <c>transformer</c> section: the integer algorithm for Softmax (ISoftmax) and for GELU (IGelu, or the
/// exact table), and the quantizer of post-Softmax probabilities feeding A·V: used by integer-only lowering only; ort-compatible
/// numerics keep these operators in float. Also which activations get 16 bits (<see cref="WideActivations"/>,
/// <see cref="WideRangeFactor"/>), which the QDQ quantizer applies in both numerics modes.
/// </summary>
public sealed record TransformerSettings
{
    public SoftmaxMethod Softmax { get; init; } = SoftmaxMethod.Ibert;
    public GeluMethod Gelu { get; init; } = GeluMethod.Table;
    /// <summary>How post-Softmax probabilities feeding A·V are quantized: uniform 1/256, or log2 / log√2 codes (IShiftAttention).</summary>
    public SoftmaxQuantizer SoftmaxQuantizer { get; init; } = SoftmaxQuantizer.Uniform;
    /// <summary>Bits of the log codes, 1..8 (used by log2 / logsqrt2 only).</summary>
    public int SoftmaxLogBits { get; init; } = TransformerLoweringOptions.DefaultSoftmaxLogBits;
    /// <summary>
    /// Apply <see cref="Patterns.PreRmsNormConversion"/> (center the residual stream so every LayerNorm is an
    /// RMSNorm) to the float graph before calibrating; a model that does not qualify is refused with the reason.
    /// Every tool that reads the config applies it to the graph it describes
    /// (<c>CodeGeneration.GraphPreparation.DescribedGraph</c>), and <c>octet quantize --pre-rmsnorm</c> calibrates that graph.
    /// </summary>
    public bool PreRmsNorm { get; init; }

    /// <summary>The default <see cref="WideRangeFactor"/>: 2 of the 16 bits as headroom (row 9a of docs/integer-transformers.md).</summary>
    public const double DefaultWideRangeFactor = 4;

    /// <summary>
    /// Which activations get 16 bits (symmetric int16) in the QDQ model: none (default), or the residual stream and
    /// its roles (<see cref="WideActivations.ResidualStreamRoles"/>). Unlike the other keys of this section it changes
    /// the QDQ model itself, in both numerics modes; a model without a residual stream is refused.
    /// </summary>
    public WideActivationPolicy WideActivations { get; init; } = WideActivationPolicy.None;

    /// <summary>
    /// The 16-bit tensors' range is the calibrated one widened this many times about zero: scale =
    /// max(|min|, |max|) · factor / 32767. Headroom for values the calibration inputs did not reach; at 16 bits it
    /// costs little resolution. Greater than 0; default 4.
    /// </summary>
    public double WideRangeFactor { get; init; } = DefaultWideRangeFactor;

    /// <summary>True when every setting is the default (the writer then leaves the section out).</summary>
    public bool IsDefault => this == new TransformerSettings();

    /// <summary>The lowering options naming the same methods (the config's spellings are the operators' method names).</summary>
    public TransformerLoweringOptions ToLoweringOptions() => new()
    {
        Softmax = Softmax.Name(), Gelu = Gelu.Name(), SoftmaxQuantizer = SoftmaxQuantizer.Name(), SoftmaxLogBits = SoftmaxLogBits,
    };
}

/// <summary>How a config's ranges were calibrated: method, number of samples, data, input scaling.</summary>
public sealed record CalibrationRecord
{
    public CalibrationMethod Method { get; init; }
    public int? Samples { get; init; }
    public string? Data { get; init; }
    public double? InputScale { get; init; }
}
