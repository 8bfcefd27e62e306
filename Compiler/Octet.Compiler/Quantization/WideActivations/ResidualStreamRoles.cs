using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.WideActivations;

/// <summary>
/// The tensors of a transformer graph that get 16-bit activations under the <c>"residual"</c> policy
/// (<c>transformer.wide_activations</c>; docs/integer-transformers.md, "Which precision would reach the targets",
/// row 9a). The error analysis there found that 8-bit activations miss issue 6's targets mostly through the
/// residual stream: its range covers every token and channel (a coarse step), and every later block reads it.
/// Widening the stream alone is not enough; the roles that reach the targets together are:
/// <list type="bullet">
/// <item><see cref="Stream"/>: every LayerNormalization input, and the Adds / Concats it is summed from (position
/// embedding, class token, residual Adds, BERT's embedding sums), walking back through views (Reshape, Flatten,
/// Transpose, Squeeze, Unsqueeze, Identity). A bias Add (a rank-1 constant operand) belongs to a linear layer,
/// not to the stream. Graph inputs are never part of it (the model input stays 8-bit).</item>
/// <item><see cref="Writers"/>: what the stream's Adds and Concats read besides the stream (attention output
/// projection, fc2, patch embedding, embedding lookups), LayerNorm outputs excepted.</item>
/// <item><see cref="Head"/>: everything computed from the last stream Add / Concat on (final LayerNorm, pooler,
/// output layers), the stream excepted.</item>
/// <item><see cref="StreamLayerNormOutputs"/>: LayerNorm outputs the stream reads (post-LN models such as BERT,
/// where the normalized value <em>is</em> the stream). Pre-LN models (ViT) have none outside the head; their
/// LayerNorm outputs only feed the linear layers and stay 8-bit.</item>
/// </list>
/// Everything else — Q/K/V, attention scores and probabilities, A·V, GELU in the blocks — stays 8-bit.
/// <para>
/// The sets name computed tensors of the graph given (the fused graph the quantizer works on). Views and other
/// data-movement ops (<see cref="DataMovementOps"/>) that read a 16-bit tensor carry its type and parameters
/// without being listed: the QDQ quantizer shares their input's parameters whatever the policy. A 16-bit tensor
/// read by a linear layer (Conv / Gemm / MatMul) whose own output is 8-bit gets an 8-bit copy for that reader
/// (<see cref="QdqQuantizer"/>; int16-contract point 3).
/// </para>
/// </summary>
public sealed class ResidualStreamRoles
{
    /// <summary>Ops that give their input's values in another shape without computing: the role walks pass through them.</summary>
    public static IReadOnlySet<string> Views { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity",
    };

    private ResidualStreamRoles(HashSet<string> stream, HashSet<string> writers, HashSet<string> head, HashSet<string> streamLayerNormOutputs)
    {
        Stream = stream;
        Writers = writers;
        Head = head;
        StreamLayerNormOutputs = streamLayerNormOutputs;
        var wide = new HashSet<string>(stream, StringComparer.Ordinal);
        wide.UnionWith(writers);
        wide.UnionWith(head);
        wide.UnionWith(streamLayerNormOutputs);
        Wide = wide;
    }

    public IReadOnlySet<string> Stream { get; }
    public IReadOnlySet<string> Writers { get; }
    public IReadOnlySet<string> Head { get; }
    public IReadOnlySet<string> StreamLayerNormOutputs { get; }

    /// <summary>The union of the four roles: the tensors that get 16 bits.</summary>
    public IReadOnlySet<string> Wide { get; }

    /// <summary>True when the graph has no residual stream (no LayerNormalization reading a computed tensor).</summary>
    public bool IsEmpty => Stream.Count == 0;

    /// <summary>The roles of <paramref name="graph"/> (a fused graph: LayerNorm as LayerNormalization nodes, see <c>TransformerFusion</c>).</summary>
    public static ResidualStreamRoles Find(ModelGraph graph)
    {
        var stream = FindStream(graph);
        var writers = new HashSet<string>(StringComparer.Ordinal);
        var streamLayerNorms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in stream)
        {
            var producer = graph.Producer(tensor)!;
            if (producer.OpType is not ("Add" or "Concat")) continue;
            foreach (var input in producer.Inputs.Where(i => i.Length > 0 && !graph.Tensor(i).IsConstant))
            {
                var root = Root(graph, input);
                if (stream.Contains(root) || graph.Producer(root) is not { } p) continue;
                if (p.OpType == "LayerNormalization") streamLayerNorms.Add(root);
                else writers.Add(root);
            }
        }
        var head = FindHead(graph, stream);
        return new ResidualStreamRoles(stream, writers, head, streamLayerNorms);
    }

    /// <summary>The tensor a chain of views starts from.</summary>
    public static string Root(ModelGraph graph, string tensor)
    {
        while (graph.Producer(tensor) is { } p && Views.Contains(p.OpType)) tensor = p.Inputs[0];
        return tensor;
    }

    private static HashSet<string> FindStream(ModelGraph graph)
    {
        var stream = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(graph.Nodes.Where(n => n.OpType == "LayerNormalization").Select(n => Root(graph, n.Inputs[0])));
        while (pending.TryPop(out var tensor))
        {
            var producer = graph.Producer(tensor);
            if (producer is null || !stream.Add(tensor)) continue;
            if (!IsStreamSum(graph, producer)) continue;
            foreach (var input in producer.Inputs.Where(i => i.Length > 0 && !graph.Tensor(i).IsConstant))
            {
                var root = Root(graph, input);
                if (graph.Producer(root) is { } p && IsStreamSum(graph, p)) pending.Push(root);
            }
        }
        return stream;
    }

    /// <summary>An Add or Concat that sums / joins stream values; a bias Add (rank-1 constant operand) is a linear layer's.</summary>
    private static bool IsStreamSum(ModelGraph graph, Node node) =>
        node.OpType switch
        {
            "Concat" => true,
            "Add" => !node.Inputs.Any(i => graph.Tensor(i).ConstantValue is { Shape.Rank: 1 }),
            _ => false,
        };

    /// <summary>Everything computed from the last stream Add / Concat on (in node order), the stream excepted.</summary>
    private static HashSet<string> FindHead(ModelGraph graph, HashSet<string> stream)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var sums = stream.Where(t => graph.Producer(t)!.OpType is "Add" or "Concat").ToList();
        if (sums.Count == 0) return reached;
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var o in graph.Nodes[i].Outputs) if (o.Length > 0) position[o] = i;
        var last = sums.MaxBy(t => position[t])!;
        var pending = new Stack<string>([last]);
        while (pending.TryPop(out var t))
            foreach (var reader in graph.Consumers(t))
                foreach (var o in reader.Outputs.Where(o => o.Length > 0 && reached.Add(o))) pending.Push(o);
        reached.ExceptWith(stream);
        return reached;
    }
}
