using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Operators.Layout;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.CodeGeneration;

/// <summary>A graph whose every non-constant tensor has a memory layout, with Relayout nodes where layouts meet.</summary>
/// <param name="Layouts">Tensor name → <see cref="Relayout.RowMajor"/> or <see cref="Relayout.Nhwc"/>, for every non-constant tensor.</param>
public sealed record LaidOutGraph(ModelGraph Graph, IReadOnlyDictionary<string, string> Layouts)
{
    public string LayoutOf(string tensor) => Layouts[tensor];
}

/// <summary>
/// Chooses NHWC (channels last) or row-major for every activation, following the conventions the emitters rely
/// on (artifacts brief, "Layout conventions"):
/// <list type="bullet">
/// <item>Conv, QConv, MaxPool, AveragePool, QAveragePool, GlobalAveragePool, QGlobalAveragePool read and write
/// NHWC (their inputs must be rank 4: 2-D convolution and pooling only);</item>
/// <item>element-wise ops whose data inputs all have the output's rank-4 shape, and rank-4 Concat of computed
/// tensors, follow their inputs: NHWC when any data input arrives NHWC, so chains of Conv → Relu → Add →
/// Concat → Conv never leave channels-last;</item>
/// <item>octet.ChannelShuffle (what <see cref="ChannelShuffleFusion"/>, run first, makes of ShuffleNet's
/// Concat → Reshape → Transpose → Reshape → Split) and rank-4 Split of a computed tensor follow their inputs too:
/// a channel shuffle is a per-pixel permutation of the channel vector and a Split a slab of it, so shuffle blocks
/// stay channels-last as well;</item>
/// <item>everything else (Reshape, Gemm, Softmax, broadcasting element-wise ops, ...) and the graph's inputs and
/// outputs, including the 8-bit tensors of edge quantization steps, are row-major (the ONNX order).</item>
/// </list>
/// Where a consumer needs the other layout, an octet.Relayout node is inserted right before the first such
/// consumer and shared by later ones. A graph output written by an NHWC op is renamed on the op and rebuilt
/// row-major by a Relayout right after it, so output names never change. The decision is made in one pass in
/// execution order, so it is deterministic.
/// </summary>
public static class LayoutAssignment
{
    private static readonly HashSet<string> ChannelsLastOnnx = ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool"];
    private static readonly HashSet<string> ChannelsLastOctet = ["QConv", "QAveragePool", "QGlobalAveragePool"];

    /// <param name="pinnedRowMajorNodes">Nodes that must stay row-major whatever their inputs (edge quantization steps).</param>
    public static LaidOutGraph Run(ModelGraph source, IReadOnlySet<Node> pinnedRowMajorNodes) =>
        Run(source, pinnedRowMajorNodes, fuseChannelShuffles: true);

    /// <param name="fuseChannelShuffles">Whether to run <see cref="ChannelShuffleFusion"/> first (tests turn it off
    /// to compare with the unfused layout).</param>
    public static LaidOutGraph Run(ModelGraph source, IReadOnlySet<Node> pinnedRowMajorNodes, bool fuseChannelShuffles)
    {
        if (fuseChannelShuffles)
        {
            // Untouched nodes stay the same objects, so pinnedRowMajorNodes still finds them.
            source = source.Clone();
            ChannelShuffleFusion.Run(source);
        }
        var graph = source.Clone();
        var layouts = new Dictionary<string, string>(StringComparer.Ordinal);
        var converted = new Dictionary<(string Tensor, string Layout), string>();
        var renamedOutputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var graphOutputs = new HashSet<string>(graph.Outputs, StringComparer.Ordinal);
        var nodes = new List<Node>(graph.Nodes.Count);

        foreach (var input in graph.Inputs)
            if (!graph.Tensor(input).IsConstant) layouts[input] = Relayout.RowMajor;

        foreach (var original in source.Nodes)
        {
            var node = original;
            var inputs = node.Inputs.Select(i => renamedOutputs.GetValueOrDefault(i, i)).ToArray();
            var dataInputs = ChannelsLastDataInputs(graph, node);
            bool channelsLast = dataInputs is not null && !pinnedRowMajorNodes.Contains(original)
                && (IsAnchor(node) || dataInputs.Any(i => !graph.Tensor(inputs[i]).IsConstant && layouts[inputs[i]] == Relayout.Nhwc));

            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].Length == 0) continue;
                string wanted = channelsLast && dataInputs!.Contains(i) ? Relayout.Nhwc : Relayout.RowMajor;
                if (graph.Tensor(inputs[i]).IsConstant)
                {
                    if (wanted == Relayout.Nhwc) throw OctetException.AtNode(node, $"input '{inputs[i]}' is a constant; code generation needs it computed to lay it out channels-last");
                    continue;
                }
                if (!layouts.TryGetValue(inputs[i], out var have))
                    throw OctetException.AtNode(node, $"reads '{inputs[i]}' before any node writes it");
                if (have != wanted) inputs[i] = Convert(graph, inputs[i], have, wanted, converted, layouts, nodes);
            }

            var outputs = node.Outputs.ToArray();
            var trailing = new List<(string Nhwc, string Original)>();
            for (int o = 0; o < outputs.Length; o++)
            {
                if (outputs[o].Length == 0) continue;
                if (channelsLast && graphOutputs.Contains(outputs[o]))
                {
                    var renamed = graph.UniqueName(outputs[o] + "__nhwc");
                    graph.Tensors[renamed] = Copy(graph.Tensor(outputs[o]), renamed);
                    renamedOutputs[outputs[o]] = renamed;
                    trailing.Add((renamed, outputs[o]));
                    outputs[o] = renamed;
                }
                layouts[outputs[o]] = channelsLast ? Relayout.Nhwc : Relayout.RowMajor;
            }

            bool changed = !inputs.SequenceEqual(node.Inputs) || !outputs.SequenceEqual(node.Outputs);
            nodes.Add(changed ? new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, inputs, outputs, node.Attributes) : node);
            foreach (var (nhwc, originalName) in trailing)
            {
                nodes.Add(RelayoutNode(nhwc, originalName, Relayout.Nhwc, Relayout.RowMajor));
                layouts[originalName] = Relayout.RowMajor;
                converted[(nhwc, Relayout.RowMajor)] = originalName;
            }
        }

        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
        graph.OpsetImports.TryAdd(IntegerOperator.OctetDomain, 1);
        return new LaidOutGraph(graph, layouts);
    }

    private static bool IsOnnx(Node node) => node.Domain is "" or "ai.onnx";

    private static bool IsAnchor(Node node) =>
        IsOnnx(node) ? ChannelsLastOnnx.Contains(node.OpType)
        : node.Domain == IntegerOperator.OctetDomain && ChannelsLastOctet.Contains(node.OpType);

    /// <summary>
    /// The inputs that are laid out NHWC when the node runs channels-last, or null when it cannot (then
    /// everything it touches is row-major). Anchors must be able to; element-wise ops and Concat may.
    /// </summary>
    private static int[]? ChannelsLastDataInputs(ModelGraph graph, Node node)
    {
        if (IsAnchor(node))
        {
            var x = graph.Tensor(node.Inputs[0]).Shape;
            if (x.Rank != 4) throw OctetException.AtNode(node, $"input '{node.Inputs[0]}' has shape {x}; code generation supports 2-D convolution and pooling only (rank-4 tensors)");
            if (node.Outputs.Count(o => o.Length > 0) != 1 || node.Outputs[0].Length == 0)
                throw OctetException.AtNode(node, "code generation supports this op with its first output only (no MaxPool Indices)");
            return [0];
        }
        if (node.Domain == IntegerOperator.OctetDomain && node.OpType == ChannelShuffle.Name)
            return AllRank4(graph, node.Inputs) && AllRank4(graph, node.Outputs) ? Enumerable.Range(0, node.Inputs.Count).ToArray() : null;
        if (IsOnnx(node) && node.OpType == "Split")
            return AllRank4(graph, node.Inputs.Take(1)) && AllRank4(graph, node.Outputs) ? [0] : null;
        if (node.Outputs.Count != 1 || node.Outputs[0].Length == 0) return null;
        var output = graph.Tensor(node.Outputs[0]).Shape;
        if (output.Rank != 4) return null;

        if (IsOnnx(node) && node.OpType == "Concat")
            return node.Inputs.All(i => i.Length > 0 && !graph.Tensor(i).IsConstant) ? Enumerable.Range(0, node.Inputs.Count).ToArray() : null;

        int[]? data = ElementwiseDataInputs(graph, node);
        if (data is null) return null;
        // Same shape on every data input: NHWC element i of each is NHWC element i of the output.
        foreach (int i in data)
        {
            if (!node.HasInput(i)) return null;
            var info = graph.Tensor(node.Inputs[i]);
            if (info.IsConstant || info.Shape != output) return null;
        }
        return data;
    }

    /// <summary>True when every one of <paramref name="tensors"/> is present, computed and rank 4.</summary>
    private static bool AllRank4(ModelGraph graph, IEnumerable<string> tensors) =>
        tensors.All(t => t.Length > 0 && graph.Tensor(t) is { IsConstant: false, Shape.Rank: 4 });

    private static int[]? ElementwiseDataInputs(ModelGraph graph, Node node)
    {
        if (IsOnnx(node))
        {
            switch (node.OpType)
            {
                case "Add" or "Sub" or "Mul" or "Div": return [0, 1];
                case "Relu" or "Sigmoid" or "Exp" or "Tanh" or "LeakyRelu" or "Clip": return [0];
                case "QuantizeLinear" or "DequantizeLinear":
                    // Per tensor only: a per-axis step indexes its parameters by the logical channel.
                    return graph.Tensor(node.Inputs[1]).Shape.ElementCount == 1 ? [0] : null;
                default: return null;
            }
        }
        if (node.Domain == IntegerOperator.OctetDomain)
        {
            return node.OpType switch
            {
                "QAdd" or "QMul" => [0, 1],
                "Requantize" or "Table" => [0],
                _ => null,
            };
        }
        return null;
    }

    private static string Convert(ModelGraph graph, string tensor, string from, string to,
        Dictionary<(string, string), string> converted, Dictionary<string, string> layouts, List<Node> nodes)
    {
        if (converted.TryGetValue((tensor, to), out var existing)) return existing;
        var name = graph.UniqueName($"{tensor}__{(to == Relayout.Nhwc ? "nhwc" : "rowmajor")}");
        graph.Tensors[name] = Copy(graph.Tensor(tensor), name);
        nodes.Add(RelayoutNode(tensor, name, from, to));
        layouts[name] = to;
        converted[(tensor, to)] = name;
        return name;
    }

    private static TensorInfo Copy(TensorInfo info, string name) => new(name, info.ElementType, info.Shape, null, info.Quantization);

    private static Node RelayoutNode(string input, string output, string from, string to)
    {
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["from"] = new Attribute("from", AttributeKind.String, from),
            ["to"] = new Attribute("to", AttributeKind.String, to),
        };
        // Named after the tensor it writes, which is unique, so the node name is too.
        return new Node($"{output}__relayout", "Relayout", IntegerOperator.OctetDomain, 1, [input], [output], attributes);
    }
}
