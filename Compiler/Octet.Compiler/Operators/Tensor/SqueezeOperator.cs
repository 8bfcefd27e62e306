using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Squeeze: removes size-1 dimensions — those listed in <c>axes</c> (an attribute before opset 13, an
/// optional constant int64 input from 13; negative values from 11), or all of them when none are listed.
/// Listing a dimension whose size is not 1 is an error.
/// </summary>
public sealed class SqueezeOperator : OperatorDefinition
{
    public override string OpType => "Squeeze";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 13, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectOutputs(context, 1, 1);
        long[]? axes;
        if (context.Node.OpsetVersion >= 13)
        {
            OperatorChecks.ExpectInputs(context, 1, 2);
            axes = null;
            if (context.HasInput(1))
            {
                context.ExpectType(1, ElementType.Int64);
                context.ExpectRank(1, 1);
                axes = context.RequireConstantInput(1, "axes").ToInt64Array();
            }
        }
        else
        {
            OperatorChecks.ExpectInputs(context, 1, 1);
            axes = context.Node.GetInts("axes");
        }
        context.SetOutput(0, context.InputType(0), OutputShape(context.Node, context.InputShape(0), axes, message => context.Error(message)));
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var axes = context.Node.OpsetVersion >= 13 ? context.OptionalInput(1)?.ToInt64Array() : context.Node.GetInts("axes");
        context.SetOutput(0, input.Reshape(OutputShape(context.Node, input.Shape, axes, message => context.Error(message))));
    }

    private static Shape OutputShape(Node node, Shape input, long[]? axes, Func<string, Exception> error)
    {
        int rank = input.Rank;
        var remove = new bool[rank];
        if (axes is null)
        {
            for (int i = 0; i < rank; i++) remove[i] = input[i] == 1;
        }
        else
        {
            long low = node.OpsetVersion >= 11 ? -rank : 0;
            foreach (var a in axes)
            {
                if (a < low || a >= rank)
                    throw error($"axis {a} is out of range [{low}, {rank - 1}] for input of shape {input}");
                int axis = (int)(a < 0 ? a + rank : a);
                if (remove[axis]) throw error($"axes [{string.Join(",", axes)}] name axis {axis} twice");
                if (input[axis] != 1)
                    throw error($"cannot squeeze axis {axis} of input {input}: its size is {input[axis]}, not 1");
                remove[axis] = true;
            }
        }
        var dims = new List<int>(rank);
        for (int i = 0; i < rank; i++)
            if (!remove[i]) dims.Add(input[i]);
        return new Shape(dims.ToArray());
    }
}
