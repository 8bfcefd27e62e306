using System.Reflection;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators;

/// <summary>
/// Every operator Octet implements, found by type: each <see cref="OperatorDefinition"/> subclass in this
/// assembly is one operator. Resolves a node to its definition or says exactly why it cannot.
/// </summary>
public sealed class OperatorRegistry
{
    private readonly Dictionary<(string Domain, string OpType), OperatorDefinition> _byName;

    private OperatorRegistry(IEnumerable<OperatorDefinition> definitions)
    {
        _byName = new();
        foreach (var d in definitions)
        {
            if (!_byName.TryAdd((d.Domain, d.OpType), d))
                throw new InvalidOperationException($"two definitions of operator {d.Domain}:{d.OpType}");
        }
    }

    /// <summary>All built-in operators.</summary>
    public static OperatorRegistry Default { get; } = new(
        typeof(OperatorRegistry).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(OperatorDefinition)) && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (OperatorDefinition)Activator.CreateInstance(t)!));

    public IEnumerable<OperatorDefinition> Definitions => _byName.Values.OrderBy(d => d.Domain).ThenBy(d => d.OpType);

    public OperatorDefinition? Find(string domain, string opType) =>
        _byName.TryGetValue((NormalizeDomain(domain), opType), out var d) ? d : null;

    /// <summary>"ai.onnx" and "" both mean the default domain.</summary>
    public static string NormalizeDomain(string domain) => domain == "ai.onnx" ? "" : domain;

    /// <summary>
    /// The version an op resolves to in a model importing <paramref name="opset"/> for its domain:
    /// the newest since-version ≤ opset, or null when the op did not exist yet or is unknown.
    /// </summary>
    public int? ResolveVersion(string domain, string opType, int opset)
    {
        var d = Find(domain, opType);
        if (d is null) return null;
        int? best = null;
        foreach (var v in d.SinceVersions)
            if (v <= opset) best = v;
        return best;
    }

    /// <summary>Whether Octet implements this op at this resolved version.</summary>
    public bool Supports(string domain, string opType, int resolvedVersion) =>
        Find(domain, opType) is { } d && d.ImplementedVersions.Contains(resolvedVersion);
}
