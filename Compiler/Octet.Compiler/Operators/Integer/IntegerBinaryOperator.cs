using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// What QAdd and QMul share: two quantized operands (int8 or uint8 each — QAdd also int16 — with their own
/// zero points <c>a_zero_point</c> and <c>b_zero_point</c>), numpy-style broadcasting, one per-tensor output.
/// </summary>
public abstract class IntegerBinaryOperator : IntegerOperator
{
    protected const int A = 0, B = 1;

    public sealed override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 2);
        if (AllowsInt16Operands)
        {
            QuantizedValues.ExpectActivation(context, A, "A");
            QuantizedValues.ExpectActivation(context, B, "B");
        }
        else
        {
            QuantizedValues.ExpectEightBit(context, A, "A");
            QuantizedValues.ExpectEightBit(context, B, "B");
        }
        ExpectKnownAttributes(context);
        var shape = Broadcasting.Broadcast(context, A, B);
        var outputType = CheckAttributes(context.Node, context.InputType(A), context.InputType(B));
        context.SetOutput(0, outputType, shape);
    }

    /// <summary>True when the operands may be int16 (QAdd); false keeps them 8-bit (QMul).</summary>
    protected virtual bool AllowsInt16Operands => false;

    /// <summary>Reads and checks every attribute (raising errors that name the node); returns the output type.</summary>
    protected abstract ElementType CheckAttributes(Node node, ElementType aType, ElementType bType);

    /// <summary>
    /// The operands shifted by their zero points, one pair per output element (broadcast), and the output shape.
    /// </summary>
    protected static (int[] A, int[] B, Shape Shape) ShiftedOperands(KernelContext context)
    {
        var aTensor = context.Input(A);
        var bTensor = context.Input(B);
        var node = context.Node;
        int aZeroPoint = IntegerAttributes.ZeroPoint(node, "a_zero_point", aTensor.ElementType);
        int bZeroPoint = IntegerAttributes.ZeroPoint(node, "b_zero_point", bTensor.ElementType);
        var shape = Broadcasting.TryBroadcast(aTensor.Shape, bTensor.Shape)
            ?? throw context.Error($"input shapes {aTensor.Shape} and {bTensor.Shape} cannot be broadcast together");
        return (Gather(aTensor, aZeroPoint, shape), Gather(bTensor, bZeroPoint, shape), shape);
    }

    private static int[] Gather(Tensor operand, int zeroPoint, Shape shape)
    {
        var values = QuantizedValues.Widen(operand);
        var source = Broadcasting.SourceIndices(operand.Shape, shape);
        var result = new int[source.Length];
        for (int i = 0; i < result.Length; i++) result[i] = values[source[i]] - zeroPoint;
        return result;
    }

    protected static IEnumerable<string> ZeroPointAttributes => ["a_zero_point", "b_zero_point"];

    /// <summary>Reads both zero points (checking each against its operand's type).</summary>
    protected static (int A, int B) ReadZeroPoints(Node node, ElementType aType, ElementType bType) =>
        (IntegerAttributes.ZeroPoint(node, "a_zero_point", aType), IntegerAttributes.ZeroPoint(node, "b_zero_point", bType));
}
