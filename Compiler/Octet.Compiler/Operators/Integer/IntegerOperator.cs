namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// An operator of the lowered integer plan: domain "octet", version 1. These are what lowering turns a
/// quantized graph into (see the issue-3 brief, "Lowered integer operators"), and their kernels are the
/// bit-exact specification generated code is tested against: every constant they need is an attribute or a
/// constant input, and every step is integer arithmetic except in the explicitly float requantization mode.
/// </summary>
public abstract class IntegerOperator : OperatorDefinition
{
    /// <summary>The domain lowered integer operators live in.</summary>
    public const string OctetDomain = "octet";

    public sealed override string Domain => OctetDomain;
    public sealed override IReadOnlyList<int> SinceVersions { get; } = [1];

    /// <summary>
    /// The attribute names this node may carry in its requantization mode. Anything else is rejected: a
    /// misspelled optional attribute (say <c>y_zeropoint</c>) would otherwise silently take its default.
    /// </summary>
    protected abstract IEnumerable<string> AllowedAttributes(Graph.Node node);

    /// <summary>Rejects attributes this operator does not define (see <see cref="AllowedAttributes"/>).</summary>
    protected void ExpectKnownAttributes(InferenceContext context)
    {
        var allowed = new HashSet<string>(AllowedAttributes(context.Node), StringComparer.Ordinal);
        foreach (var name in context.Node.Attributes.Keys.Order(StringComparer.Ordinal))
            if (!allowed.Contains(name))
                throw context.Error($"unknown attribute '{name}'; {OpType} takes {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
    }
}
