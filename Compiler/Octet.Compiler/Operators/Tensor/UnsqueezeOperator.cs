using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Unsqueeze: inserts size-1 dimensions at the positions <c>axes</c> names in the output (an attribute
/// before opset 13, a constant int64 input from 13). Output rank is input rank + |axes|; each axis is in
/// [−r_out, r_out − 1] (negative values from opset 11) and may appear once, in any order.
/// </summary>
public sealed class UnsqueezeOperator : OperatorDefinition
{
    public override string OpType => "Unsqueeze";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 13, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectOutputs(context, 1, 1);
        long[] axes;
        if (context.Node.OpsetVersion >= 13)
        {
            OperatorChecks.ExpectInputs(context, 2, 2);
            context.ExpectType(1, ElementType.Int64);
            if (context.InputShape(1).Rank > 1)
                throw context.Error($"axes (input 1, '{context.Node.Inputs[1]}') must be 1-D, but has shape {context.InputShape(1)}");
            axes = context.RequireConstantInput(1, "axes").ToInt64Array();
        }
        else
        {
            OperatorChecks.ExpectInputs(context, 1, 1);
            axes = context.Node.GetInts("axes") ?? throw context.Error("required attribute 'axes' is missing");
        }
        context.SetOutput(0, context.InputType(0), OutputShape(context.Node, context.InputShape(0), axes, message => context.Error(message)));
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var axes = context.Node.OpsetVersion >= 13 ? context.Input(1).ToInt64Array() : context.Node.GetInts("axes")!;
        context.SetOutput(0, input.Reshape(OutputShape(context.Node, input.Shape, axes, message => context.Error(message))));
    }

    private static Shape OutputShape(Node node, Shape input, long[] axes, Func<string, Exception> error)
    {
        int rank = input.Rank + axes.Length;
        long low = node.OpsetVersion >= 11 ? -rank : 0;
        var inserted = new bool[rank];
        foreach (var a in axes)
        {
            if (a < low || a >= rank)
                throw error($"axis {a} is out of range [{low}, {rank - 1}] for an output of rank {rank}");
            int axis = (int)(a < 0 ? a + rank : a);
            if (inserted[axis]) throw error($"axes [{string.Join(",", axes)}] name axis {axis} twice");
            inserted[axis] = true;
        }
        var dims = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) dims[i] = inserted[i] ? 1 : input[j++];
        return new Shape(dims);
    }
}
