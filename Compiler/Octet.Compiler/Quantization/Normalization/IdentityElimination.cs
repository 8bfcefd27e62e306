using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Normalization;

/// <summary>
/// Removes nodes that pass their input through unchanged — Identity, inference-mode Dropout, and Cast to
/// the type the tensor already has (exporters put these between QuantizeLinear and DequantizeLinear) — so
/// that pattern matching sees QuantizeLinear → DequantizeLinear directly. A node writing a graph output is
/// kept, so output names never change.
/// </summary>
public static class IdentityElimination
{
    public static int Run(ModelGraph graph)
    {
        int removed = 0;
        var replacement = new Dictionary<string, string>(StringComparer.Ordinal);
        var kept = new List<Node>();
        foreach (var original in graph.Nodes)
        {
            var node = Rewire(original, replacement);
            if (IsPassThrough(graph, node) && !graph.Outputs.Contains(node.Outputs[0]))
            {
                replacement[node.Outputs[0]] = node.Inputs[0];
                foreach (var output in node.Outputs) if (output.Length > 0) graph.Tensors.Remove(output);
                removed++;
                continue;
            }
            kept.Add(node);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        return removed;
    }

    private static bool IsPassThrough(ModelGraph graph, Node node)
    {
        if (node.Domain.Length != 0 || node.Outputs.Count == 0 || node.Outputs[0].Length == 0) return false;
        return node.OpType switch
        {
            "Identity" => true,
            // Inference-mode Dropout, when nothing reads its mask.
            "Dropout" => node.Outputs.Skip(1).All(o => o.Length == 0 || (!graph.Outputs.Contains(o) && graph.Consumers(o).Count == 0)),
            "Cast" => node.Outputs.Count == 1 && graph.Tensor(node.Inputs[0]).ElementType == graph.Tensor(node.Outputs[0]).ElementType,
            _ => false,
        };
    }

    private static Node Rewire(Node node, Dictionary<string, string> replacement) =>
        node.Inputs.Any(replacement.ContainsKey)
            ? new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion,
                node.Inputs.Select(i => replacement.GetValueOrDefault(i, i)).ToArray(), node.Outputs, node.Attributes)
            : node;
}
