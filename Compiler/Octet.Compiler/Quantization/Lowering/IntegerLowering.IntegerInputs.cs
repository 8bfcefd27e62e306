using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

public sealed partial class IntegerLowering
{
    /// <summary>
    /// Q(Cast(x → float32)) of an integer tensor x that is not quantized (BERT's attention mask: int64 token flags
    /// cast to float and quantized): the quantized value is a step function of the integer, so it becomes
    /// <see cref="QuantizeInteger"/>, whose thresholds are computed now from the float definition — every x gives
    /// the integer the float Cast and QuantizeLinear would. Integer-only numerics; the Cast must feed only that
    /// QuantizeLinear, with a positive per-tensor scale.
    /// </summary>
    private bool LowerCastOfIntegers(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        if (!node.HasAttribute("to") || node.GetInt("to") != (long)ElementType.Float32) return false;
        var x = _graph.Tensor(node.Inputs[0]);
        if (x.Quantization is not null || QuantizeInteger.InputRange(x.ElementType) is null) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var output = result.Value.Output;
        if (!(output.Scale > 0) || !float.IsFinite(output.Scale)) return false;

        var (thresholds, levels, yMin) = QuantizeInteger.Steps(x.ElementType, output);
        Emit("QuantizeInteger", [node.Inputs[0]], result.Value.Quantize.Outputs[0], new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["thresholds"] = new("thresholds", AttributeKind.Ints, thresholds),
            ["levels"] = new("levels", AttributeKind.Ints, levels),
            ["y_min"] = new("y_min", AttributeKind.Int, (long)yMin),
            ["y_type"] = new("y_type", AttributeKind.Int, (long)output.StorageType),
        }, node.Name);
        return true;
    }
}
