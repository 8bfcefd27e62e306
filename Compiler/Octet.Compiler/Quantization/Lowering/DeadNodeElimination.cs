using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Removes nodes none of whose outputs reach a graph output (the QuantizeLinear / DequantizeLinear pairs and
/// float ops that lowering replaced), and the tensors only they used.
/// </summary>
public static class DeadNodeElimination
{
    public static int Run(ModelGraph graph)
    {
        var live = new HashSet<string>(graph.Outputs, StringComparer.Ordinal);
        var kept = new List<Node>();
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var node = graph.Nodes[i];
            if (!node.Outputs.Any(live.Contains)) continue;
            kept.Add(node);
            foreach (var input in node.Inputs) if (input.Length > 0) live.Add(input);
        }
        kept.Reverse();
        int removed = graph.Nodes.Count - kept.Count;
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        foreach (var name in graph.Tensors.Keys.ToList())
            if (!live.Contains(name) && !graph.Inputs.Contains(name)) graph.Tensors.Remove(name);
        return removed;
    }
}
