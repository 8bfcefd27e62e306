using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Operators.Layout;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// Replaces ShuffleNet's channel shuffle — Reshape [N, C, H, W] → [N, g, C/g, H, W], Transpose perm (0, 2, 1, 3, 4),
/// Reshape back to [N, C, H, W] — by one <see cref="ChannelShuffle"/> node, folding in the Concat (along channels)
/// that feeds it and the Split (along channels) that reads it when nothing else uses the tensors between them.
/// <para>Why: in the ONNX form the shuffle goes through rank-5 tensors, which only exist row-major, so an NHWC
/// network converts to row-major before every shuffle and back after it (two relayouts of every activation per
/// block). The shuffle itself is a per-pixel permutation of the channel vector, which <see cref="LayoutAssignment"/>
/// can keep NHWC; folding the Concat and Split in makes the whole Concat → shuffle → Split one pass over the data.</para>
/// <para>Only exact matches are rewritten: the first Reshape's output shape must be [N, g, C/g, H, W] of its
/// [N, C, H, W] input with 1 &lt; g &lt; C, the perm exactly (0, 2, 1, 3, 4), and the second Reshape's output
/// [N, C, H, W] again; the intermediate tensors must have no other reader and not be graph outputs. Anything else
/// (another perm, a reshape that regroups H or W, a shuffle read twice) is left as it is. The node is named after
/// the Transpose, so the plan's <c>from</c> line names it; it replaces a pure data movement by another, so the
/// graph computes exactly the same values, and 8-bit tensors keep their quantization.</para>
/// </summary>
public static class ChannelShuffleFusion
{
    /// <summary>Rewrites every channel shuffle in <paramref name="graph"/> (shape-inferred); returns how many.</summary>
    public static int Run(ModelGraph graph)
    {
        int fused = 0;
        for (int index = 0; index < graph.Nodes.Count; index++)
        {
            var match = Match(graph, graph.Nodes[index]);
            if (match is null) continue;
            Replace(graph, match);
            fused++;
            index = -1; // node positions changed; scan again (graphs are small, shuffles few)
        }
        return fused;
    }

    private sealed record Shuffle(Node? Concat, Node Reshape, Node Transpose, Node ReshapeBack, Node? Split, int Groups);

    private static bool IsOnnx(Node node, string opType) => node.Domain is "" or "ai.onnx" && node.OpType == opType;

    /// <summary>The shuffle whose Transpose is <paramref name="transpose"/>, or null when it is not one.</summary>
    private static Shuffle? Match(ModelGraph graph, Node transpose)
    {
        if (!IsOnnx(transpose, "Transpose") || transpose.Inputs.Count != 1 || transpose.Outputs.Count != 1) return null;
        if (transpose.GetInts("perm") is not [0, 2, 1, 3, 4]) return null;
        if (!OnlyReadBy(graph, transpose.Inputs[0], out _) || !OnlyReadBy(graph, transpose.Outputs[0], out var back)) return null;
        if (graph.Producer(transpose.Inputs[0]) is not { } producer || !IsOnnx(producer, "Reshape") || !IsOnnx(back, "Reshape")) return null;
        if (back.Inputs[0] != transpose.Outputs[0] || producer.Outputs.Count != 1) return null;

        var x = graph.Tensor(producer.Inputs[0]);
        var grouped = graph.Tensor(transpose.Inputs[0]).Shape;
        var y = graph.Tensor(back.Outputs[0]);
        if (x.IsConstant || x.Shape.Rank != 4 || grouped.Rank != 5 || y.Shape != x.Shape || y.ElementType != x.ElementType) return null;
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int groups = grouped[1];
        if (groups <= 1 || groups >= c || (long)groups * grouped[2] != c) return null;
        if (grouped[0] != n || grouped[3] != h || grouped[4] != w) return null;

        Node? concat = null;
        if (graph.Producer(producer.Inputs[0]) is { } before && IsOnnx(before, "Concat") && ChannelAxis(before, 4)
            && before.Inputs.All(i => i.Length > 0 && !graph.Tensor(i).IsConstant)
            && OnlyReadBy(graph, producer.Inputs[0], out _))
            concat = before;

        Node? split = null;
        if (OnlyReadBy(graph, back.Outputs[0], out var after) && IsOnnx(after, "Split") && after.Inputs[0] == back.Outputs[0]
            && ChannelAxis(after, 4) && after.Outputs.All(o => o.Length > 0))
            split = after;
        return new Shuffle(concat, producer, transpose, back, split, groups);
    }

    /// <summary>True when <paramref name="tensor"/> is read by exactly one node, once, and is not a graph output.</summary>
    private static bool OnlyReadBy(ModelGraph graph, string tensor, out Node reader)
    {
        reader = null!;
        if (graph.Outputs.Contains(tensor)) return false;
        var readers = graph.Consumers(tensor);
        if (readers.Count != 1 || readers[0].Inputs.Count(i => i == tensor) != 1) return false;
        reader = readers[0];
        return true;
    }

    private static bool ChannelAxis(Node node, int rank) => node.GetInt("axis", 0) is var axis && (axis == 1 || axis == 1 - rank);

    private static void Replace(ModelGraph graph, Shuffle match)
    {
        var absorbed = new List<Node> { match.Reshape, match.Transpose, match.ReshapeBack };
        if (match.Concat is not null) absorbed.Insert(0, match.Concat);
        if (match.Split is not null) absorbed.Add(match.Split);

        var inputs = match.Concat?.Inputs.ToArray() ?? [match.Reshape.Inputs[0]];
        var outputs = match.Split?.Outputs.ToArray() ?? [match.ReshapeBack.Outputs[0]];
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["groups"] = new Attribute("groups", AttributeKind.Int, (long)match.Groups),
        };
        if (outputs.Length > 1)
            attributes["split"] = new Attribute("split", AttributeKind.Ints, outputs.Select(o => (long)graph.Tensor(o).Shape[1]).ToArray());
        var shuffle = new Node(match.Transpose.Name, ChannelShuffle.Name, IntegerOperator.OctetDomain, 1, inputs, outputs, attributes);

        // In the last absorbed node's place: every input is written before the first absorbed node (the Concat or
        // Reshape), and every reader of an output comes after the last one.
        int position = graph.Nodes.IndexOf(absorbed[^1]);
        graph.Nodes[position] = shuffle;
        foreach (var node in absorbed.Take(absorbed.Count - 1)) graph.Nodes.Remove(node);

        // The tensors between the absorbed nodes are gone, and so are the Reshapes' shape constants nothing else reads.
        var kept = new HashSet<string>(inputs.Concat(outputs), StringComparer.Ordinal);
        foreach (var tensor in absorbed.SelectMany(n => n.Inputs.Concat(n.Outputs)).Where(t => t.Length > 0).Distinct())
        {
            if (kept.Contains(tensor) || graph.Inputs.Contains(tensor) || graph.Outputs.Contains(tensor)) continue;
            if (graph.Nodes.Any(n => n.Inputs.Contains(tensor) || n.Outputs.Contains(tensor))) continue;
            graph.Tensors.Remove(tensor);
        }
        graph.OpsetImports.TryAdd(IntegerOperator.OctetDomain, 1);
    }
}
