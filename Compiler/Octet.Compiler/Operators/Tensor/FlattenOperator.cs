using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Flatten: to a matrix [d0·…·d(axis−1), d(axis)·…·d(n−1)]. axis is in [0, r], and from opset 11 may
/// also count from the back ([−r, r]).
/// </summary>
public sealed class FlattenOperator : OperatorDefinition
{
    public override string OpType => "Flatten";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 9, 11, 13, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.SetOutput(0, context.InputType(0), OutputShape(context.Node, context.InputShape(0), message => context.Error(message)));
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        context.SetOutput(0, input.Reshape(OutputShape(context.Node, input.Shape, message => context.Error(message))));
    }

    private static Shape OutputShape(Node node, Shape input, Func<string, Exception> error)
    {
        long axis = node.GetInt("axis", 1);
        int rank = input.Rank;
        long low = node.OpsetVersion >= 11 ? -rank : 0;
        if (axis < low || axis > rank)
            throw error($"axis {axis} is out of range [{low}, {rank}] for input of shape {input}");
        if (axis < 0) axis += rank;
        long outer = 1, inner = 1;
        for (int i = 0; i < rank; i++)
        {
            if (i < axis) outer *= input[i];
            else inner *= input[i];
        }
        return new Shape((int)outer, (int)inner);
    }
}
