using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Planning;

/// <summary>The steps during which a tensor's bytes must stay intact: from its write to its last read, inclusive.</summary>
public readonly record struct Lifetime(int First, int Last)
{
    public bool Overlaps(Lifetime other) => First <= other.Last && other.First <= Last;
    public override string ToString() => $"{First}..{Last}";
}

/// <summary>
/// Lifetimes of the non-constant tensors of a graph whose nodes are in execution order. Step k is node k;
/// graph inputs are written at step −1 (the generated class copies them in before the first node) and
/// graph outputs are read at step <c>Nodes.Count</c> (copied out after the last). A tensor nobody reads
/// (an unused optional output) lives only at the step that writes it.
/// </summary>
public sealed class TensorLifetimes
{
    private readonly Dictionary<string, Lifetime> _lifetimes = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    private TensorLifetimes() { }

    /// <summary>Graph inputs in their order, then node outputs in execution order.</summary>
    public IReadOnlyList<string> Order => _order;
    public Lifetime this[string tensor] => _lifetimes[tensor];
    public bool Contains(string tensor) => _lifetimes.ContainsKey(tensor);

    public static TensorLifetimes Compute(ModelGraph graph)
    {
        if (!graph.IsShapeInferred)
            throw new OctetException($"model '{graph.Name}': memory planning needs a shape-inferred graph");
        var result = new TensorLifetimes();
        int end = graph.Nodes.Count;
        foreach (var input in graph.Inputs)
            if (!graph.Tensor(input).IsConstant) result.Define(input, -1);
        for (int step = 0; step < graph.Nodes.Count; step++)
        {
            var node = graph.Nodes[step];
            foreach (var input in node.Inputs)
            {
                if (input.Length == 0 || graph.Tensor(input).IsConstant) continue;
                if (!result._lifetimes.TryGetValue(input, out var lifetime))
                    throw OctetException.AtNode(node, $"reads '{input}' before any node writes it; nodes must be in execution order");
                result._lifetimes[input] = lifetime with { Last = Math.Max(lifetime.Last, step) };
            }
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0 || graph.Tensor(output).IsConstant) continue;
                if (result._lifetimes.ContainsKey(output))
                    throw OctetException.AtNode(node, $"writes '{output}', which is already written by an earlier node or is a graph input");
                result.Define(output, step);
            }
        }
        // Run copies every input into the arena before the first op, and the edge QuantizeLinear steps (scheduled
        // first) write their tensors then too, so those writes do not happen in step order. An input that some node
        // reads outlives every edge step (nodes that read inputs come after them); one that no node reads would
        // otherwise end at step -1 and could share bytes with an edge step's output, overwriting it when copied in.
        // It keeps its bytes for the whole run: it costs its size, and only a model with an unused input pays it.
        foreach (var input in graph.Inputs)
            if (result._lifetimes.TryGetValue(input, out var lifetime) && lifetime.Last < 0)
                result._lifetimes[input] = lifetime with { Last = end };
        foreach (var output in graph.Outputs)
        {
            if (graph.Tensor(output).IsConstant) continue;
            if (!result._lifetimes.TryGetValue(output, out var lifetime))
                throw OctetException.AtTensor(output, "is a graph output that no node writes");
            result._lifetimes[output] = lifetime with { Last = end };
        }
        return result;
    }

    private void Define(string tensor, int step)
    {
        if (_lifetimes.ContainsKey(tensor)) return;
        _lifetimes[tensor] = new Lifetime(step, step);
        _order.Add(tensor);
    }

    /// <summary>Bytes a tensor occupies: element count × element size.</summary>
    public static long SizeInBytes(TensorInfo tensor) => tensor.Shape.ElementCount * tensor.ElementType.SizeInBytes();
}
