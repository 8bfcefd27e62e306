using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Select(C, X, Y): ONNX Where on quantized tensors, with the condition stored as bytes (a plan holds no bool
/// tensors). <c>out[i] = C[i] ≠ 0 ? X[i] : Y[i]</c>, the three inputs broadcast together numpy-style (ONNX
/// multidirectional broadcasting, as Where). No attributes.
/// <list type="bullet">
/// <item>C: uint8, any shape that broadcasts; 0 is false, every other value true (lowering writes 0 and 1).</item>
/// <item>X, Y: int8, uint8 or int16, both of the output's type.</item>
/// <item>Output: the type of X and Y, the broadcast shape.</item>
/// </list>
/// The op only moves values: X, Y and the output share one quantization (scale, zero point), which is not on the
/// node. Lowering establishes it: a quantized input at other parameters is requantized to the output's first
/// (<see cref="Requantize"/>), a float constant input is quantized at the output's parameters at compile time. So
/// Select(c, x, y) is exactly the output's quantization of Where(c, x̂, ŷ) whenever x̂ and ŷ are values of the output's
/// grid (0 LSB: every output element is one of the inputs' integers, unchanged).
/// </summary>
public sealed class Select : IntegerOperator
{
    public override string OpType => "Select";

    protected override IEnumerable<string> AllowedAttributes(Node node) => [];

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 3, 3);
        ExpectKnownAttributes(context);
        if (context.InputType(0) != ElementType.UInt8)
            throw context.Error($"C (input 0, '{context.Node.Inputs[0]}') is {context.InputType(0).OnnxName()}; expected uint8 (0 = false, else true)");
        QuantizedValues.ExpectActivation(context, 1, "X");
        QuantizedValues.ExpectActivation(context, 2, "Y");
        if (context.InputType(1) != context.InputType(2))
            throw context.Error($"X is {context.InputType(1).OnnxName()} but Y is {context.InputType(2).OnnxName()}; they must have the same type (and quantization)");
        context.SetOutput(0, context.InputType(1), Broadcasting.Broadcast(context, 0, 1, 2));
    }

    public override void Execute(KernelContext context)
    {
        var condition = context.Input(0);
        var x = context.Input(1);
        var y = context.Input(2);
        var output = Broadcasting.TryBroadcast(condition.Shape, x.Shape, y.Shape)
            ?? throw context.Error($"input shapes {condition.Shape}, {x.Shape} and {y.Shape} cannot be broadcast together");
        var taken = Array.ConvertAll(condition.As<byte>(), c => c != 0);
        Array result = x.ElementType switch
        {
            ElementType.Int8 => BroadcastLoops.Select(taken, condition.Shape, x.As<sbyte>(), x.Shape, y.As<sbyte>(), y.Shape, output),
            ElementType.UInt8 => BroadcastLoops.Select(taken, condition.Shape, x.As<byte>(), x.Shape, y.As<byte>(), y.Shape, output),
            ElementType.Int16 => BroadcastLoops.Select(taken, condition.Shape, x.As<short>(), x.Shape, y.As<short>(), y.Shape, output),
            _ => throw context.Error($"element type {x.ElementType.OnnxName()} is not supported; expected int8, uint8 or int16"),
        };
        context.SetOutput(0, Tensor.Create(x.ElementType, output, result));
    }
}
