using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Config;

/// <summary>How requantization is done in the lowered model (see docs/integer-arithmetic.md).</summary>
public enum NumericsMode
{
    /// <summary><c>integer-only</c>: fixed-point requantization, no float arithmetic between input and output.</summary>
    IntegerOnly,
    /// <summary><c>ort-compatible</c>: float32 requantization exactly as ONNX Runtime computes it.</summary>
    OrtCompatible,
}

/// <summary>How activation ranges are chosen from calibration statistics.</summary>
public enum CalibrationMethod
{
    /// <summary><c>minmax</c>: the observed minimum and maximum.</summary>
    MinMax,
    /// <summary><c>percentile</c>: clip the given percentile of the values.</summary>
    Percentile,
    /// <summary><c>entropy</c>: the KL-divergence threshold search of TensorRT / ONNX Runtime.</summary>
    Entropy,
    /// <summary><c>mse</c>: the clipping threshold with the least expected quantization error.</summary>
    Mse,
    /// <summary><c>bn-stats</c>: data-free ranges from BatchNormalization parameters.</summary>
    BnStats,
}

/// <summary>The precision a node is kept at when the config overrides it.</summary>
public enum NodePrecision
{
    /// <summary><c>float32</c>: the node stays in float (mixed precision).</summary>
    Float32,
}

/// <summary>
/// How integer-only lowering computes Softmax (<c>transformer.softmax</c>): the ISoftmax algorithm.
/// </summary>
public enum SoftmaxMethod
{
    /// <summary><c>ibert</c>: I-BERT's second-order polynomial exponent (the default: closer to float softmax).</summary>
    Ibert,
    /// <summary><c>shiftmax</c>: I-ViT's shift-based exponent (cheaper: shifts and adds only).</summary>
    Shiftmax,
}

/// <summary>How integer-only lowering computes GELU (<c>transformer.gelu</c>).</summary>
public enum GeluMethod
{
    /// <summary><c>table</c>: the exact 256-entry lookup table (GELU of one 8-bit tensor has only 256 inputs); the default.</summary>
    Table,
    /// <summary><c>shiftgelu</c>: IGelu with I-ViT's x·σ(1.702x) in shifts and adds.</summary>
    ShiftGelu,
    /// <summary><c>ibert</c>: IGelu with I-BERT's polynomial erf.</summary>
    Ibert,
}

/// <summary>
/// How integer-only lowering quantizes post-Softmax probabilities where they feed attention's A·V
/// (<c>transformer.softmax_quantizer</c>).
/// </summary>
public enum SoftmaxQuantizer
{
    /// <summary><c>uniform</c>: ISoftmax's 8-bit 1/256 grid, then QMatMul (the default).</summary>
    Uniform,
    /// <summary><c>log2</c>: codes round(−log2 p) (RepQ-ViT), A·V by shifts in IShiftAttention.</summary>
    Log2,
    /// <summary><c>logsqrt2</c>: codes round(−2 log2 p), twice as fine; odd codes add one √2 multiply per output.</summary>
    LogSqrt2,
}

/// <summary>
/// Which activations the QDQ quantizer gives 16 bits (<c>transformer.wide_activations</c>); see
/// <see cref="WideActivations.ResidualStreamRoles"/> and docs/integer-transformers.md ("Which precision would reach the targets").
/// </summary>
public enum WideActivationPolicy
{
    /// <summary><c>none</c>: every activation at the config's 8-bit type (the default).</summary>
    None,
    /// <summary>
    /// <c>residual</c>: the residual stream, what is written into it, the head and the LayerNorm outputs the stream
    /// reads get symmetric int16 (range × <c>wide_range_factor</c>); the rest stays 8-bit (row 9a).
    /// </summary>
    Residual,
}

/// <summary>The spellings the JSON format uses for the config's enumerations, in one place.</summary>
public static class ConfigNames
{
    public static readonly IReadOnlyList<string> MethodNames = ["minmax", "percentile", "entropy", "mse", "bn-stats"];
    public static readonly IReadOnlyList<string> NumericsNames = ["integer-only", "ort-compatible"];
    public static readonly IReadOnlyList<string> TypeNames = ["int8", "uint8"];
    public static readonly IReadOnlyList<string> PrecisionNames = ["float32"];
    public static readonly IReadOnlyList<string> SoftmaxNames = ["ibert", "shiftmax"];
    public static readonly IReadOnlyList<string> GeluNames = ["table", "shiftgelu", "ibert"];
    public static readonly IReadOnlyList<string> SoftmaxQuantizerNames = ["uniform", "log2", "logsqrt2"];
    public static readonly IReadOnlyList<string> WideActivationNames = ["none", "residual"];

    public static string Name(this CalibrationMethod method) => MethodNames[(int)method];
    public static string Name(this NumericsMode mode) => NumericsNames[(int)mode];
    public static string Name(this NodePrecision precision) => PrecisionNames[(int)precision];
    public static string Name(this SoftmaxMethod method) => SoftmaxNames[(int)method];
    public static string Name(this GeluMethod method) => GeluNames[(int)method];
    public static string Name(this SoftmaxQuantizer quantizer) => SoftmaxQuantizerNames[(int)quantizer];
    public static string Name(this WideActivationPolicy policy) => WideActivationNames[(int)policy];

    public static bool TryParseMethod(string text, out CalibrationMethod method) => TryFind(MethodNames, text, out method);
    public static bool TryParseNumerics(string text, out NumericsMode mode) => TryFind(NumericsNames, text, out mode);
    public static bool TryParsePrecision(string text, out NodePrecision precision) => TryFind(PrecisionNames, text, out precision);
    public static bool TryParseSoftmax(string text, out SoftmaxMethod method) => TryFind(SoftmaxNames, text, out method);
    public static bool TryParseGelu(string text, out GeluMethod method) => TryFind(GeluNames, text, out method);
    public static bool TryParseSoftmaxQuantizer(string text, out SoftmaxQuantizer quantizer) => TryFind(SoftmaxQuantizerNames, text, out quantizer);
    public static bool TryParseWideActivations(string text, out WideActivationPolicy policy) => TryFind(WideActivationNames, text, out policy);

    /// <summary>"int8" or "uint8": the only storage types the config accepts (8-bit quantization).</summary>
    public static bool TryParseType(string text, out ElementType type)
    {
        type = text switch { "int8" => ElementType.Int8, "uint8" => ElementType.UInt8, _ => ElementType.Undefined };
        return type != ElementType.Undefined;
    }

    public static string TypeName(ElementType type) => type switch
    {
        ElementType.Int8 => "int8",
        ElementType.UInt8 => "uint8",
        _ => throw new ArgumentException($"quantization configs use int8 or uint8, not {type}"),
    };

    /// <summary>"a, b, c or d", for messages that list what is expected.</summary>
    public static string Alternatives(IReadOnlyList<string> names) =>
        names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];

    private static bool TryFind<T>(IReadOnlyList<string> names, string text, out T value) where T : struct, Enum
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], text, StringComparison.Ordinal))
            {
                value = (T)(object)i;
                return true;
            }
        value = default;
        return false;
    }
}
