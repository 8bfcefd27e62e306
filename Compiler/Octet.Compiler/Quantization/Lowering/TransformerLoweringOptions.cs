using Octet.Compiler.Operators.Integer;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Which integer algorithm lowering uses for the transformer nonlinearities (integer-only numerics):
/// Softmax → ISoftmax with <see cref="Softmax"/> ("shiftmax": I-ViT's shift exponent, "ibert": I-BERT's
/// polynomial); Gelu → IGelu with <see cref="Gelu"/> ("shiftgelu", "ibert") or, with "table", the exact
/// 256-entry Table (GELU of one int8 tensor has only 256 possible inputs). <see cref="SoftmaxQuantizer"/>:
/// "uniform" keeps the softmax output on ISoftmax's 1/256 grid; "log2" / "logsqrt2" quantize it on a
/// logarithmic grid of <see cref="SoftmaxLogBits"/>-bit codes where it feeds attention's A·V, which then
/// becomes IShiftAttention (shifts instead of multiplies, RepQ-ViT).
/// </summary>
public sealed record TransformerLoweringOptions
{
    public static IReadOnlyList<string> SoftmaxMethods { get; } = [ISoftmax.ShiftmaxMethod, ISoftmax.IbertMethod];
    public static IReadOnlyList<string> GeluMethods { get; } = [IGelu.ShiftGeluMethod, IGelu.IbertMethod, TableMethod];
    public const string TableMethod = "table";
    public const string UniformQuantizer = "uniform";
    public static IReadOnlyList<string> SoftmaxQuantizers { get; } = [UniformQuantizer, IShiftAttention.Log2Base, IShiftAttention.LogSqrt2Base];

    /// <summary>I-BERT by default: 1 LSB against the float softmax where Shiftmax reaches 5 (docs/integer-transformers.md); the quantization config's default too.</summary>
    public string Softmax { get; init; } = ISoftmax.IbertMethod;
    public string Gelu { get; init; } = TableMethod;

    /// <summary>How post-Softmax probabilities are quantized where they feed A·V: "uniform" (1/256), "log2" or "logsqrt2".</summary>
    public string SoftmaxQuantizer { get; init; } = UniformQuantizer;

    /// <summary>Bits of the log2 / log√2 codes (1..8); codes beyond 2^bits − 1 are zero probabilities.</summary>
    public int SoftmaxLogBits { get; init; } = DefaultSoftmaxLogBits;

    public const int DefaultSoftmaxLogBits = 4;
}
