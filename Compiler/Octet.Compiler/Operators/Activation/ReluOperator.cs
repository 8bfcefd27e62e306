using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>ONNX Relu: <c>y = max(0, x)</c>; signed integers from opset 14.</summary>
public sealed class ReluOperator : OperatorDefinition
{
    public override string OpType => "Relu";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13, 14];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, context.Node.OpsetVersion >= 14 ? ElementTypeSets.SignedNumeric : ElementTypeSets.Float);
        context.SetOutput(0, context.InputType(0), context.InputShape(0));
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, NumericDispatch.Unary<Function>(context.Input(0)));

    private readonly struct Function : IUnaryNumericFunction
    {
        // Written so that NaN passes through (NaN > 0 is false, and so is NaN < 0).
        public static T Apply<T>(T x) where T : INumber<T> => x < T.Zero ? T.Zero : x;
    }
}
