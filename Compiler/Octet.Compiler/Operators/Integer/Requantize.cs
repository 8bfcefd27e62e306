using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Requantize(X): moves a quantized tensor to another scale, zero point or type (Concat inputs with
/// different scales, int8 ↔ uint8, and the 8-bit copy of a 16-bit activation: int16 → int8/uint8, or an
/// 8-bit tensor into a 16-bit one: int8/uint8 → int16). X and Y are each int8, uint8 or int16.
/// <c>acc = x − x_zero_point</c> (int32, exact: at most 65,535 in magnitude), then the per-tensor
/// requantization attributes (<see cref="Requantizer"/>; lowering chooses M = s_x / s_y). Attribute
/// <c>x_zero_point</c> (int, inside X's type).
/// </summary>
public sealed class Requantize : IntegerOperator
{
    public override string OpType => "Requantize";

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Append("x_zero_point");

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectActivation(context, 0, "X");
        ExpectKnownAttributes(context);
        IntegerAttributes.ZeroPoint(context.Node, "x_zero_point", context.InputType(0));
        context.SetOutput(0, Requantizer.Read(context.Node, 1, "tensor").OutputType, context.InputShape(0));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int zeroPoint = IntegerAttributes.ZeroPoint(context.Node, "x_zero_point", x.ElementType);
        var requantizer = Requantizer.Read(context.Node, 1, "tensor");
        var accumulators = QuantizedValues.Widen(x);
        for (int i = 0; i < accumulators.Length; i++) accumulators[i] -= zeroPoint;
        context.SetOutput(0, requantizer.Requantize(accumulators, x.Shape, channelAxis: -1));
    }
}
