using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Requantize(X): moves an 8-bit tensor to another scale, zero point or 8-bit type (Concat inputs with
/// different scales, int8 ↔ uint8). <c>acc = x − x_zero_point</c>, then the per-tensor requantization
/// attributes (lowering chooses M = s_x / s_y). Attribute <c>x_zero_point</c> (int).
/// </summary>
public sealed class Requantize : IntegerOperator
{
    public override string OpType => "Requantize";

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Append("x_zero_point");

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectEightBit(context, 0, "X");
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
