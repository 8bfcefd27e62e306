using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>ONNX Size: the input's element count as an int64 scalar.</summary>
public sealed class SizeOperator : OperatorDefinition
{
    public override string OpType => "Size";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 13, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.SetOutput(0, ElementType.Int64, Shape.Scalar);
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, Tensor.Scalar(context.Input(0).ElementCount));

    /// <summary>Static shapes make Size a compile-time constant even when its input is computed at run time.</summary>
    public override IReadOnlyList<Tensor> FoldFromShapes(InferenceContext context) => [Tensor.Scalar(context.InputShape(0).ElementCount)];
}
