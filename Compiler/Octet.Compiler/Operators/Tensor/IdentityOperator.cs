using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>ONNX Identity: the input, unchanged (the same tensor: values are immutable once shared).</summary>
public sealed class IdentityOperator : OperatorDefinition
{
    public override string OpType => "Identity";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 13, 14, 16, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.SetOutput(0, context.InputType(0), context.InputShape(0));
    }

    public override void Execute(KernelContext context) => context.SetOutput(0, context.Input(0));
}
