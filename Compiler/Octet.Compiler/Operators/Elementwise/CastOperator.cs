using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// ONNX Cast: converts to the element type named by <c>to</c> (see <see cref="ElementConversion"/> for the
/// rules). Targets Octet cannot hold — float8/float4 (the only types <c>saturate</c> and <c>round_mode</c>
/// affect), float16, double, 16-bit and unsigned wide integers, strings — are rejected by name.
/// </summary>
public sealed class CastOperator : OperatorDefinition
{
    public override string OpType => "Cast";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 9, 13, 19, 21, 23, 24, 25];

    /// <summary>Cast-1 names the target as a string and predates the opsets Octet reads.</summary>
    public override IReadOnlyList<int> ImplementedVersions { get; } = [6, 9, 13, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, ElementTypeSets.All);
        var target = (ElementType)context.Node.GetInt("to");
        ElementConversion.CheckTarget(context, target, "target type 'to'");
        context.SetOutput(0, target, context.InputShape(0));
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, ElementConversion.Convert(context.Input(0), (ElementType)context.Node.GetInt("to")));
}
