using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QMatMul(A, B): numpy.matmul of two 8-bit activations (int8 or uint8 each; batch axes broadcast; a 1-D A
/// is a row, a 1-D B a column, as MatMul). Attributes <c>a_zero_point</c>, <c>b_zero_point</c> (ints) and the
/// requantization attributes, per tensor. Y is int8 or uint8 — or int16 when B is a constant.
/// </summary>
/// <remarks>
/// <para><c>acc = Σ_k (A[.., i, k] − a_zero_point)(B[.., k, j] − b_zero_point)</c> in int32. The bound is the
/// worst case over all values: <c>K · max|a − a_zp| · max|b − b_zp|</c> must fit int32 (K up to 33,025 for
/// any zero points), else the node is rejected.</para>
/// <para>With a constant 8-bit B, A may be int16: then the sum is accumulated in <b>int64, exactly</b> (as QGemm's
/// int16 path; the bound K · 65,535 · 255 must stay below 2^62) and requantized with the exact 128-bit
/// fixed-point product (<see cref="Requantizer.Requantize(long, int)"/>). Two activations stay 8-bit.</para>
/// </remarks>
public sealed class QMatMul : IntegerOperator
{
    public override string OpType => "QMatMul";

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Concat(["a_zero_point", "b_zero_point"]);

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 2);
        bool constantB = context.ConstantInput(1) is not null;
        if (constantB) QuantizedValues.ExpectActivation(context, 0, "A");
        else if (context.InputType(0) == ElementType.Int16)
            throw context.Error($"A (input 0, '{context.Node.Inputs[0]}') is int16 but B is not a constant: a product of two activations takes 8-bit operands only");
        else QuantizedValues.ExpectEightBit(context, 0, "A");
        QuantizedValues.ExpectEightBit(context, 1, "B");
        ExpectKnownAttributes(context);
        var node = context.Node;
        var plan = IntegerMatMul.Plan(node, context.InputShape(0), context.InputShape(1));
        var (aZeroPoint, bZeroPoint) = ZeroPoints(node, context.InputType(0), context.InputType(1));
        var requantizer = Requantizer.Read(node, 1, "tensor", eightBitOutput: !constantB);
        long bound = plan.K * IntegerAttributes.MaxDistance(context.InputType(0), aZeroPoint) * IntegerAttributes.MaxDistance(context.InputType(1), bZeroPoint);
        if (context.InputType(0) == ElementType.Int16)
        {
            if (bound > QGemm.MaxWideAccumulator)
                throw context.Error($"the int64 accumulator of an int16 A can reach {bound:N0} over K = {plan.K}; at most 2^62 is accepted");
        }
        else IntegerAttributes.ExpectFitsInt32(node, bound, $"a sum of {plan.K} products of shifted 8-bit values");
        context.SetOutput(0, requantizer.OutputType, plan.Output);
    }

    private static (int A, int B) ZeroPoints(Node node, ElementType aType, ElementType bType) =>
        (IntegerAttributes.ZeroPoint(node, "a_zero_point", aType), IntegerAttributes.ZeroPoint(node, "b_zero_point", bType));

    public override void Execute(KernelContext context)
    {
        var node = context.Node;
        var aTensor = context.Input(0);
        var bTensor = context.Input(1);
        var plan = IntegerMatMul.Plan(node, aTensor.Shape, bTensor.Shape);
        var (aZeroPoint, bZeroPoint) = ZeroPoints(node, aTensor.ElementType, bTensor.ElementType);
        var requantizer = Requantizer.Read(node, 1, "tensor");

        var a = QuantizedValues.Widen(aTensor);
        for (int i = 0; i < a.Length; i++) a[i] -= aZeroPoint;
        var b = QuantizedValues.Widen(bTensor);
        for (int i = 0; i < b.Length; i++) b[i] -= bZeroPoint;
        // Multiply's result is laid out as the full [batch..., M, N] output, which is the same data as Output.
        if (aTensor.ElementType == ElementType.Int16)
        {
            context.SetOutput(0, requantizer.Requantize(plan.MultiplyWide(a, b), plan.Output, channelAxis: -1));
            return;
        }
        var accumulators = plan.Multiply(a, b);
        context.SetOutput(0, requantizer.Requantize(accumulators, plan.Output, channelAxis: -1));
    }
}
