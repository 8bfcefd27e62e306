using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Gather: picks slices of <c>data</c> along <c>axis</c> by int32/int64 <c>indices</c> of any rank; the
/// output shape is data's with that axis replaced by the indices' shape. Negative indices count from the
/// back; an index outside [−s, s−1] is an error (checked at compile time when the indices are constant).
/// </summary>
public sealed class GatherOperator : OperatorDefinition
{
    public override string OpType => "Gather";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 13];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(1, ElementTypeSets.Indices);
        var data = context.InputShape(0);
        var indices = context.InputShape(1);
        int axis = Axis(context.Node, data, message => context.Error(message));
        if (context.ConstantInput(1) is { } constant)
            CheckIndices(constant.ToInt64Array(), data[axis], axis, message => context.Error(message));
        context.SetOutput(0, context.InputType(0), OutputShape(data, indices, axis));
    }

    public override void Execute(KernelContext context)
    {
        var data = context.Input(0);
        var indices = context.Input(1).ToInt64Array();
        var shape = data.Shape;
        int axis = Axis(context.Node, shape, message => context.Error(message));
        long axisLength = shape[axis];
        CheckIndices(indices, axisLength, axis, message => context.Error(message));
        var output = OutputShape(shape, context.Input(1).Shape, axis);

        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Rank; d++) inner *= shape[d];
        var result = Array.CreateInstance(data.ElementType.ClrType(), output.ElementCount);
        long offset = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (var raw in indices)
            {
                long index = raw < 0 ? raw + axisLength : raw;
                Array.Copy(data.Data, (o * axisLength + index) * inner, result, offset, inner);
                offset += inner;
            }
        }
        context.SetOutput(0, Tensor.Create(data.ElementType, output, result));
    }

    private static int Axis(Node node, Shape data, Func<string, Exception> error)
    {
        if (data.Rank == 0) throw error("data must have rank at least 1, but is a scalar");
        long axis = node.GetInt("axis", 0);
        if (axis < -data.Rank || axis >= data.Rank)
            throw error($"axis {axis} is out of range [{-data.Rank}, {data.Rank - 1}] for data of shape {data}");
        return (int)(axis < 0 ? axis + data.Rank : axis);
    }

    private static void CheckIndices(long[] indices, long axisLength, int axis, Func<string, Exception> error)
    {
        foreach (var index in indices)
            if (index < -axisLength || index >= axisLength)
                throw error($"index {index} is out of range [{-axisLength}, {axisLength - 1}] for axis {axis} of length {axisLength}");
    }

    private static Shape OutputShape(Shape data, Shape indices, int axis)
    {
        var dims = new List<int>(data.Rank - 1 + indices.Rank);
        for (int d = 0; d < axis; d++) dims.Add(data[d]);
        dims.AddRange(indices);
        for (int d = axis + 1; d < data.Rank; d++) dims.Add(data[d]);
        return new Shape(dims.ToArray());
    }
}
