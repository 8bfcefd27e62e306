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

/// <summary>The spellings the JSON format uses for the config's enumerations, in one place.</summary>
public static class ConfigNames
{
    public static readonly IReadOnlyList<string> MethodNames = ["minmax", "percentile", "entropy", "mse", "bn-stats"];
    public static readonly IReadOnlyList<string> NumericsNames = ["integer-only", "ort-compatible"];
    public static readonly IReadOnlyList<string> TypeNames = ["int8", "uint8"];
    public static readonly IReadOnlyList<string> PrecisionNames = ["float32"];

    public static string Name(this CalibrationMethod method) => MethodNames[(int)method];
    public static string Name(this NumericsMode mode) => NumericsNames[(int)mode];
    public static string Name(this NodePrecision precision) => PrecisionNames[(int)precision];

    public static bool TryParseMethod(string text, out CalibrationMethod method) => TryFind(MethodNames, text, out method);
    public static bool TryParseNumerics(string text, out NumericsMode mode) => TryFind(NumericsNames, text, out mode);
    public static bool TryParsePrecision(string text, out NodePrecision precision) => TryFind(PrecisionNames, text, out precision);

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
