using Octet.Compiler.Operators.Integer;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Which integer algorithm lowering uses for the transformer nonlinearities (integer-only numerics):
/// Softmax → ISoftmax with <see cref="Softmax"/> ("shiftmax": I-ViT's shift exponent, "ibert": I-BERT's
/// polynomial); Gelu → IGelu with <see cref="Gelu"/> ("shiftgelu", "ibert") or, with "table", the exact
/// 256-entry Table (GELU of one int8 tensor has only 256 possible inputs).
/// </summary>
public sealed record TransformerLoweringOptions
{
    public static IReadOnlyList<string> SoftmaxMethods { get; } = [ISoftmax.ShiftmaxMethod, ISoftmax.IbertMethod];
    public static IReadOnlyList<string> GeluMethods { get; } = [IGelu.ShiftGeluMethod, IGelu.IbertMethod, TableMethod];
    public const string TableMethod = "table";

    /// <summary>I-BERT by default: 1 LSB against the float softmax where Shiftmax reaches 5 (docs/integer-transformers.md); the quantization config's default too.</summary>
    public string Softmax { get; init; } = ISoftmax.IbertMethod;
    public string Gelu { get; init; } = TableMethod;
}
