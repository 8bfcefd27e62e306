using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// Add, Sub, Mul, Div: two inputs of one numeric type, numpy-style broadcasting, result of the same type.
/// Versions 1 and 6 broadcast by the legacy <c>broadcast</c>/<c>axis</c> attributes instead; Octet reads
/// opset 7 and later only, so those versions are listed for resolution but not implemented.
/// </summary>
public abstract class BinaryArithmeticOperator : OperatorDefinition
{
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 7, 13, 14];
    public override IReadOnlyList<int> ImplementedVersions { get; } = [7, 13, 14];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        // int8/uint8 (and the 16-bit types) joined in opset 14.
        context.ExpectType(0, context.Node.OpsetVersion >= 14 ? ElementTypeSets.Numeric : ElementTypeSets.FloatAndWideIntegers);
        OperatorChecks.ExpectSameType(context, 0, 1);
        context.SetOutput(0, context.InputType(0), Broadcasting.Broadcast(context, 0, 1));
    }

    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var output = Broadcasting.TryBroadcast(a.Shape, b.Shape)
            ?? throw context.Error($"input shapes {a.Shape} and {b.Shape} cannot be broadcast together");
        context.SetOutput(0, Compute(context, a, b, output));
    }

    /// <summary>The element-wise result of shape <paramref name="output"/>.</summary>
    protected abstract Tensor Compute(KernelContext context, Tensor a, Tensor b, Shape output);
}
