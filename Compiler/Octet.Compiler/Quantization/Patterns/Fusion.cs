using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>
/// One recognized pattern: the nodes it replaces and the single node that computes the same values. The
/// fused node writes the pattern's final tensor (same name, so readers are untouched) and reads only tensors
/// available before the pattern's first node.
/// </summary>
/// <param name="Kind">What was recognized, for reports ("LayerNormalization", "Gelu (erf)", ...).</param>
internal sealed record Fusion(string Kind, IReadOnlyList<Node> Replaced, Node Fused, IReadOnlyList<(string Name, Tensor Value)> NewConstants)
{
    /// <summary>
    /// Applies non-overlapping fusions to <paramref name="graph"/>: each fused node takes the place of the
    /// last node of its pattern (by then all of its inputs exist), the other replaced nodes go, and so do the
    /// intermediate tensors only they used.
    /// </summary>
    public static void Apply(ModelGraph graph, IReadOnlyList<Fusion> fusions)
    {
        if (fusions.Count == 0) return;
        var replacedBy = new Dictionary<Node, Fusion>();
        foreach (var fusion in fusions)
            foreach (var node in fusion.Replaced)
                if (!replacedBy.TryAdd(node, fusion))
                    throw new InvalidOperationException($"internal error: {node.Describe()} matched two patterns");

        var result = new List<Node>(graph.Nodes.Count);
        var remaining = fusions.ToDictionary(f => f, f => f.Replaced.Count);
        foreach (var node in graph.Nodes)
        {
            if (!replacedBy.TryGetValue(node, out var fusion)) { result.Add(node); continue; }
            if (--remaining[fusion] == 0) result.Add(fusion.Fused);
        }

        foreach (var fusion in fusions)
        {
            foreach (var (name, value) in fusion.NewConstants) graph.Tensors[name] = TensorInfo.ForConstant(name, value);
            var kept = new HashSet<string>(fusion.Fused.Inputs.Concat(fusion.Fused.Outputs), StringComparer.Ordinal);
            foreach (var node in fusion.Replaced)
                foreach (var output in node.Outputs)
                    if (output.Length > 0 && !kept.Contains(output)) graph.Tensors.Remove(output);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(result);
    }
}
