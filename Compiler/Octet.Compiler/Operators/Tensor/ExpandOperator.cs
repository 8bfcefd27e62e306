using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Expand: broadcasts the input against a constant int64 <c>shape</c> numpy-style in both directions
/// (like <c>input * ones(shape)</c>), so the result may be larger than <c>shape</c> where the input is.
/// </summary>
public sealed class ExpandOperator : OperatorDefinition
{
    public override string OpType => "Expand";
    public override IReadOnlyList<int> SinceVersions { get; } = [8, 13];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(1, ElementType.Int64);
        context.ExpectRank(1, 1);
        var requested = context.RequireConstantInput(1, "the target shape").ToInt64Array();
        context.SetOutput(0, context.InputType(0), OutputShape(context.InputShape(0), requested, message => context.Error(message)));
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var output = OutputShape(input.Shape, context.Input(1).ToInt64Array(), message => context.Error(message));
        context.SetOutput(0, StridedCopy.View(input, 0, StridedLayout.BroadcastStrides(input.Shape, output), output));
    }

    private static Shape OutputShape(Shape input, long[] requested, Func<string, Exception> error)
    {
        var target = OperatorChecks.ShapeFromValues(requested, "target shape", error);
        return Broadcasting.TryBroadcast(input, target)
            ?? throw error($"input of shape {input} cannot be broadcast to {target}");
    }
}
