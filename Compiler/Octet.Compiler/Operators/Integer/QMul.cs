using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QMul(A, B): element-wise product of two 8-bit tensors with broadcasting. <c>acc = (a − a_zero_point)(b −
/// b_zero_point)</c> — at most 255 · 255 in magnitude, so always exact in int32 — requantized with the
/// per-tensor requantization attributes (lowering chooses M = s_a · s_b / s_y).
/// </summary>
public sealed class QMul : IntegerBinaryOperator
{
    public override string OpType => "QMul";

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Concat(ZeroPointAttributes);

    protected override ElementType CheckAttributes(Node node, ElementType aType, ElementType bType)
    {
        ReadZeroPoints(node, aType, bType);
        return Requantizer.Read(node, 1, "tensor", eightBitOutput: true).OutputType;
    }

    public override void Execute(KernelContext context)
    {
        var requantizer = Requantizer.Read(context.Node, 1, "tensor");
        var (a, b, shape) = ShiftedOperands(context);
        var accumulators = new int[a.Length];
        for (int i = 0; i < accumulators.Length; i++) accumulators[i] = a[i] * b[i];
        context.SetOutput(0, requantizer.Requantize(accumulators, shape, channelAxis: -1));
    }
}
