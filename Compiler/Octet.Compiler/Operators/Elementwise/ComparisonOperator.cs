using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// Equal, Less (and their kin): two inputs of one type, numpy-style broadcasting, a bool result. Version 1
/// broadcasts by the legacy <c>broadcast</c>/<c>axis</c> attributes and predates the opsets Octet reads, so it
/// is listed but not implemented.
/// </summary>
public abstract class ComparisonOperator : OperatorDefinition
{
    private IReadOnlyList<int>? _implementedVersions;

    public override IReadOnlyList<int> ImplementedVersions => _implementedVersions ??= SinceVersions.Where(v => v > 1).ToArray();

    /// <summary>The element types the node's version admits.</summary>
    protected abstract ElementType[] AllowedTypes(int version);

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, AllowedTypes(context.Node.OpsetVersion));
        OperatorChecks.ExpectSameType(context, 0, 1);
        context.SetOutput(0, ElementType.Bool, Broadcasting.Broadcast(context, 0, 1));
    }

    public override void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var output = Broadcasting.TryBroadcast(a.Shape, b.Shape)
            ?? throw context.Error($"input shapes {a.Shape} and {b.Shape} cannot be broadcast together");
        context.SetOutput(0, Compare(a, b, output));
    }

    /// <summary>The bool result of shape <paramref name="output"/>.</summary>
    protected abstract Tensor Compare(Tensor a, Tensor b, Shape output);
}
