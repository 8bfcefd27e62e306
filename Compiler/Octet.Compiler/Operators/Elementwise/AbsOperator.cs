using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// ONNX Abs: <c>y = |x|</c> for every numeric type; the most negative signed integer wraps to itself (as
/// numpy's abs does) instead of overflowing.
/// </summary>
public sealed class AbsOperator : OperatorDefinition
{
    public override string OpType => "Abs";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, context.Node.OpsetVersion >= 6 ? ElementTypeSets.Numeric : ElementTypeSets.Float);
        context.SetOutput(0, context.InputType(0), context.InputShape(0));
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, NumericDispatch.Unary<Function>(context.Input(0)));

    private readonly struct Function : IUnaryNumericFunction
    {
        // T.Abs would throw for sbyte.MinValue and friends; negation wraps. IsNegative also maps −0 to +0.
        public static T Apply<T>(T x) where T : INumber<T> => T.IsNegative(x) ? -x : x;
    }
}
