using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// com.microsoft QuantizeLinear: ONNX Runtime's contrib form of the ONNX operator, with the per-axis
/// <c>axis</c> attribute available at any default-domain opset. Octet writes it into exported QDQ models
/// whose default opset predates per-axis quantization (opset 13), so that per-channel weights do not force
/// an opset upgrade that would change other operators' semantics (e.g. Softmax-1 vs Softmax-13).
/// </summary>
public sealed class MicrosoftQuantizeLinear : QuantizeLinear
{
    public override string Domain => "com.microsoft";
    public override IReadOnlyList<int> SinceVersions => [1];

    /// <summary>ONNX Runtime's contrib form takes int16 at any opset (Octet writes it for 16-bit activations).</summary>
    protected override bool AllowsInt16(Node node) => true;
}

/// <summary>com.microsoft DequantizeLinear: see <see cref="MicrosoftQuantizeLinear"/>.</summary>
public sealed class MicrosoftDequantizeLinear : DequantizeLinear
{
    public override string Domain => "com.microsoft";
    public override IReadOnlyList<int> SinceVersions => [1];

    /// <summary>See <see cref="MicrosoftQuantizeLinear"/>.</summary>
    protected override bool AllowsInt16(Node node) => true;
}
