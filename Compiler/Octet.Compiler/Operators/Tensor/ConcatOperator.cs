using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Concat: joins one or more tensors of one type and rank along <c>axis</c>; all other dimensions must
/// agree. axis defaults to 1 in version 1 and is required from version 4; negative values from 11.
/// </summary>
public sealed class ConcatOperator : OperatorDefinition
{
    public override string OpType => "Concat";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 4, 11, 13];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, int.MaxValue);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        for (int i = 0; i < context.InputCount; i++)
            if (!context.HasInput(i)) throw context.Error($"input {i} is empty; every input of Concat is required");
        OperatorChecks.ExpectSameType(context, 0, context.InputCount - 1);

        var first = context.InputShape(0);
        int axis = Axis(context.Node, first.Rank, message => context.Error(message));
        var dims = first.ToArray();
        for (int i = 1; i < context.InputCount; i++)
        {
            var shape = context.InputShape(i);
            bool compatible = shape.Rank == first.Rank;
            for (int d = 0; d < first.Rank && compatible; d++)
                compatible = d == axis || shape[d] == first[d];
            if (!compatible)
                throw context.Error($"input {i} has shape {shape}, which does not match input 0's {first} on every axis but {axis}");
            dims[axis] += shape[axis];
        }
        context.SetOutput(0, context.InputType(0), new Shape(dims));
    }

    public override void Execute(KernelContext context)
    {
        var inputs = Enumerable.Range(0, context.InputCount).Select(context.Input).ToArray();
        var first = inputs[0].Shape;
        int axis = Axis(context.Node, first.Rank, message => context.Error(message));
        var dims = first.ToArray();
        dims[axis] = inputs.Sum(t => t.Shape[axis]);
        var output = new Shape(dims);

        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= first[d];
        var result = Array.CreateInstance(inputs[0].ElementType.ClrType(), output.ElementCount);
        // Row-major: for each index over the leading axes, each input contributes one contiguous block.
        var blocks = inputs.Select(t => outer == 0 ? 0 : (int)(t.ElementCount / outer)).ToArray();
        int offset = 0;
        for (long o = 0; o < outer; o++)
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                Array.Copy(inputs[k].Data, o * blocks[k], result, offset, blocks[k]);
                offset += blocks[k];
            }
        }
        context.SetOutput(0, Tensor.Create(inputs[0].ElementType, output, result));
    }

    private static int Axis(Node node, int rank, Func<string, Exception> error)
    {
        if (rank == 0) throw error("cannot concatenate scalars (inputs of rank 0)");
        long? attribute = node.HasAttribute("axis") ? node.GetInt("axis") : null;
        long axis = attribute ?? (node.OpsetVersion < 4 ? 1 : throw error("required attribute 'axis' is missing"));
        long low = node.OpsetVersion >= 11 ? -rank : 0;
        if (axis < low || axis >= rank) throw error($"axis {axis} is out of range [{low}, {rank - 1}] for inputs of rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }
}
