using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Proves, on a lowered plan, that no float arithmetic happens between input quantization and output
/// dequantization. Float is allowed only at the edges: a QuantizeLinear reading a graph input, and the
/// output tail — DequantizeLinear and what follows it on the way to graph outputs (e.g. a final Softmax,
/// which may stay float until the integer softmax exists). Everything else must read and write integer
/// tensors only and carry no float constants (which rules out ort-compatible float requantization).
/// </summary>
public static class IntegerPlanCheck
{
    /// <summary>One message per node that computes in float outside the edges; empty for an integer-only plan.</summary>
    public static IReadOnlyList<string> FindFloatArithmetic(ModelGraph plan)
    {
        var tail = OutputTail(plan);
        var problems = new List<string>();
        foreach (var node in plan.Nodes)
        {
            if (tail.Contains(node)) continue;
            if (node.OpType == "QuantizeLinear" && plan.Inputs.Contains(node.Inputs[0])) continue;
            var floatTensors = node.Inputs.Concat(node.Outputs)
                .Where(t => t.Length > 0 && plan.Tensor(t).ElementType == ElementType.Float32).ToList();
            if (floatTensors.Count > 0)
                problems.Add($"{node.Describe()} computes on float tensor(s) {string.Join(", ", floatTensors.Select(t => $"'{t}'"))}");
            var floatAttributes = node.Attributes.Values.Where(a => a.Kind is AttributeKind.Float or AttributeKind.Floats).ToList();
            if (floatAttributes.Count > 0)
                problems.Add($"{node.Describe()} has float constant(s) {string.Join(", ", floatAttributes.Select(a => a.Name))}");
        }
        return problems;
    }

    /// <summary>
    /// Output DequantizeLinear nodes and the nodes after them whose values reach only graph outputs, not
    /// another quantized op.
    /// </summary>
    public static HashSet<Node> OutputTail(ModelGraph plan)
    {
        var tail = new HashSet<Node>();
        var tailTensors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in plan.Nodes)
        {
            bool isTail = node.OpType == "DequantizeLinear" ||
                          node.Inputs.Any(tailTensors.Contains) && node.Outputs.All(o => o.Length == 0 || plan.Tensor(o).ElementType == ElementType.Float32);
            if (!isTail) continue;
            tail.Add(node);
            foreach (var o in node.Outputs) if (o.Length > 0) tailTensors.Add(o);
        }
        // A tail node must not feed anything outside the tail (that would be float inside the plan).
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var node in tail.ToList())
            {
                bool leaks = node.Outputs.Any(o => o.Length > 0 && plan.Consumers(o).Any(c => !tail.Contains(c)));
                if (leaks) { tail.Remove(node); changed = true; }
            }
        }
        return tail;
    }
}
