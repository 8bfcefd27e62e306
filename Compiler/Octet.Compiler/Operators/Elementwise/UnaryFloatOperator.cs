using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// An element-wise function of one float tensor (Sqrt, Exp, Sigmoid, …): same shape out, float32 in
/// Octet. Subclasses write the loop over the whole tensor, so no call is made per element.
/// </summary>
public abstract class UnaryFloatOperator : OperatorDefinition
{
    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, ElementTypeSets.Float);
        ValidateAttributes(context);
        context.SetOutput(0, ElementType.Float32, context.InputShape(0));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var y = new float[x.ElementCount];
        Compute(context.Node, x.As<float>(), y);
        context.SetOutput(0, Tensor.Create(x.Shape, y));
    }

    /// <summary>Checks the operator's attributes (default: none to check).</summary>
    protected virtual void ValidateAttributes(InferenceContext context) { }

    /// <summary>Writes <c>y[i] = f(x[i])</c>; the spans have equal length.</summary>
    protected abstract void Compute(Node node, ReadOnlySpan<float> x, Span<float> y);
}
