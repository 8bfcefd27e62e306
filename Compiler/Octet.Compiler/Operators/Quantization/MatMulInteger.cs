using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX MatMulInteger: numpy.matmul of 8-bit integers with zero points, to an exact int32 result:
/// <c>Y = (A - a_zero_point) @ (B - b_zero_point)</c>. A and B are int8 or uint8 (independently), each zero
/// point has its operand's type and is per tensor, per row of A or per column of B; see <see cref="IntegerMatMul"/>.
/// </summary>
public sealed class MatMulInteger : OperatorDefinition
{
    public override string OpType => "MatMulInteger";
    public override IReadOnlyList<int> SinceVersions { get; } = [10];

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 4);
        QuantizedValues.ExpectEightBit(context, 0, "A");
        QuantizedValues.ExpectEightBit(context, 1, "B");
        QuantizedValues.ExpectSameType(context, 2, 0, "a_zero_point", "A");
        QuantizedValues.ExpectSameType(context, 3, 1, "b_zero_point", "B");
        var a = context.InputShape(0);
        var b = context.InputShape(1);
        var plan = IntegerMatMul.Plan(context.Node, a, b);
        if (context.HasInput(2)) plan.RowParameter(context, 2, "a_zero_point", a);
        if (context.HasInput(3)) plan.ColumnParameter(context, 3, "b_zero_point", b);
        context.SetOutput(0, ElementType.Int32, plan.Output);
    }

    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var aZeroPoint = context.OptionalInput(2);
        var bZeroPoint = context.OptionalInput(3);
        var plan = IntegerMatMul.Plan(context.Node, a.Shape, b.Shape);
        var y = plan.Multiply(
            IntegerMatMul.Shift(a, plan.MatrixA, aZeroPoint, aZeroPoint is null ? Shape.Scalar : IntegerMatMul.RowParameter(aZeroPoint.Shape)),
            IntegerMatMul.Shift(b, plan.MatrixB, bZeroPoint, bZeroPoint is null ? Shape.Scalar : IntegerMatMul.ColumnParameter(bZeroPoint.Shape)));
        context.SetOutput(0, Tensor.Create(plan.Output, y));
    }
}
