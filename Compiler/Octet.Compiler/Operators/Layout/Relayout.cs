using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;

namespace Octet.Compiler.Operators.Layout;

/// <summary>
/// octet.Relayout(X) → Y: the same logical tensor (same type, shape, values, quantization) stored in another
/// memory layout. Attributes <c>from</c> and <c>to</c> (strings, "rowmajor" or "NHWC", different; NHWC needs
/// a rank-4 tensor). Code generation inserts it where a consumer needs the other layout than the producer
/// wrote (see <c>CodeGeneration.LayoutAssignment</c>). The reference executor works on logical tensors, where
/// layout does not exist, so here it is the identity: a laid-out graph computes exactly what it did before.
/// </summary>
public sealed class Relayout : OperatorDefinition
{
    public const string RowMajor = "rowmajor";
    public const string Nhwc = "NHWC";

    public override string OpType => "Relayout";
    public override string Domain => IntegerOperator.OctetDomain;
    public override IReadOnlyList<int> SinceVersions { get; } = [1];

    public override void InferOutputs(InferenceContext context)
    {
        if (context.InputCount != 1 || !context.HasInput(0)) throw context.Error("takes exactly one input");
        if (context.OutputCount != 1) throw context.Error("has exactly one output");
        foreach (var name in context.Node.Attributes.Keys)
            if (name is not ("from" or "to")) throw context.Error($"unknown attribute '{name}'; Relayout takes from, to");
        string from = context.Node.GetString("from", "");
        string to = context.Node.GetString("to", "");
        if (from is not (RowMajor or Nhwc) || to is not (RowMajor or Nhwc))
            throw context.Error($"attributes from='{from}' and to='{to}' must each be {RowMajor} or {Nhwc}");
        if (from == to) throw context.Error($"converts {from} to itself");
        if (context.InputShape(0).Rank != 4) throw context.Error($"NHWC needs a rank-4 tensor, not {context.InputShape(0)}");
        context.SetOutput(0, context.InputType(0), context.InputShape(0));
    }

    public override void Execute(KernelContext context) => context.SetOutput(0, context.Input(0));
}
