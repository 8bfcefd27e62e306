using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Neg: <c>y = −x</c> for float and signed integers; the most negative integer wraps to itself.</summary>
public sealed class NegOperator : OperatorDefinition
{
    public override string OpType => "Neg";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, context.Node.OpsetVersion >= 6 ? ElementTypeSets.SignedNumeric : ElementTypeSets.Float);
        context.SetOutput(0, context.InputType(0), context.InputShape(0));
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, NumericDispatch.Unary<Function>(context.Input(0)));

    private readonly struct Function : IUnaryNumericFunction
    {
        public static T Apply<T>(T x) where T : INumber<T> => -x;
    }
}
