using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX CastLike: converts input 0 to the element type of input 1 (whose values are not read), as Cast does.</summary>
public sealed class CastLikeOperator : OperatorDefinition
{
    public override string OpType => "CastLike";
    public override IReadOnlyList<int> SinceVersions { get; } = [15, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, ElementTypeSets.All);
        var target = context.InputType(1);
        ElementConversion.CheckTarget(context, target, $"the type of input 1 ('{context.Node.Inputs[1]}')");
        context.SetOutput(0, target, context.InputShape(0));
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, ElementConversion.Convert(context.Input(0), context.Input(1).ElementType));
}
