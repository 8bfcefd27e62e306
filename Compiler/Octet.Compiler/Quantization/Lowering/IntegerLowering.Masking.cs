using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Lowering of attention masks written as Where (attention_distilbert: <c>Where(mask == 0, fill, Q·Kᵀ)</c> before
/// the Softmax) to the integer <see cref="Select"/>.
/// </summary>
/// <remarks>
/// Q(Where(c, â | a, b̂ | b)) with a constant bool condition c, integer-only numerics: Where only picks values, so
/// on the output's grid it is exact once both operands are on that grid. Each quantized operand is requantized to
/// the output's parameters where they differ (as a Concat input is), each float constant operand (the fill) is
/// quantized at the output's parameters at compile time — the rounding the QDQ model's QuantizeLinear gives the
/// selected constant too — and the condition becomes a uint8 constant of the output's shape (plans hold no bool
/// tensors; expanded at compile time so that generated code never broadcasts it).
/// <para>The output's parameters are the calibrated ones of the Where output, so a fill far outside the scores
/// (−10⁴, −10⁹, −∞ in some exports) would make its step coarse; such a fill wants a masked integer softmax instead,
/// which is not built. The fill of attention_distilbert is 0, inside the scores' range, so its calibration is that
/// of the scores. A condition computed at run time is not lowered (the Where stays float, and code generation
/// names it).</para>
/// </remarks>
public sealed partial class IntegerLowering
{
    private bool LowerWhere(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        var condition = _graph.Tensor(node.Inputs[0]).ConstantValue;
        if (condition is not { ElementType: ElementType.Bool }) return false;
        var operands = new Dequantized?[3];
        for (int k = 1; k <= 2; k++)
        {
            if (_graph.Tensor(node.Inputs[k]).ConstantValue is { ElementType: ElementType.Float32 }) continue;
            operands[k] = SourceOf(node.Inputs[k]);
            if (operands[k] is not { Parameters.IsPerTensor: true } source || !IsActivation(source.Parameters)) return false;
        }
        if (operands[1] is null && operands[2] is null) return false; // a constant Where is folded, not lowered
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var (quantize, output, _, _, _) = result.Value;
        var outputShape = _graph.Tensor(node.Outputs[0]).Shape;

        var inputs = new List<string> { ConditionAsBytes(node.Inputs[0], condition, outputShape) };
        for (int k = 1; k <= 2; k++)
            inputs.Add(operands[k] is { } source
                ? AtOutputParameters(node, k, source, output)
                : QuantizedConstant(node.Inputs[k], _graph.Tensor(node.Inputs[k]).ConstantValue!, output, broadcastTo: outputShape));
        Emit("Select", inputs, quantize.Outputs[0], new Dictionary<string, Attribute>(StringComparer.Ordinal), node.Name);
        return true;
    }

    /// <summary>A bool constant as a uint8 constant (1 = true) broadcast to <paramref name="shape"/>.</summary>
    private string ConditionAsBytes(string tensor, Tensor condition, Shape shape)
    {
        var flags = condition.As<bool>();
        var sources = Broadcasting.SourceIndices(condition.Shape, shape);
        var bytes = new byte[sources.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = flags[sources[i]] ? (byte)1 : (byte)0;
        var name = _graph.UniqueName(tensor + "_bytes");
        _graph.Tensors[name] = TensorInfo.ForConstant(name, Tensor.Create(shape, bytes));
        return name;
    }
}
