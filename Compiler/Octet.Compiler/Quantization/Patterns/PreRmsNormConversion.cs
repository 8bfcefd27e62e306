using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>What <see cref="PreRmsNormConversion.Run"/> found: converted, or the reason the model does not qualify.</summary>
public sealed record PreRmsNormSummary(bool Converted, string? Refusal, IReadOnlyList<string> RmsNormEquivalent, int CenteredConstants)
{
    public override string ToString() => Converted
        ? $"converted: {RmsNormEquivalent.Count} LayerNorm input(s) made zero-mean ({CenteredConstants} constant(s) centered)"
        : $"not converted: {Refusal}";
}

/// <summary>
/// Pre-LN → Pre-RMSNorm (Jiang et al., NeurIPS 2023) as a float graph rewrite: every value written into the
/// residual stream is made zero-mean over the hidden (last) axis by centering the constants that produce it —
/// the output columns of each branch's last linear layer (W[k, :] − mean, b − mean), the embedding's
/// constants (position embedding, class token, the patch convolution's output channels). The stream is then
/// zero-mean everywhere, so each LayerNormalization computes exactly RMSNorm(x) = γ x / √(mean(x²) + ε) + β
/// and the mean subtraction can be dropped at inference. The model's outputs do not change: the stream only
/// loses its mean, which every reader (LayerNorms, further residual Adds) ignores.
/// </summary>
/// <remarks>
/// The model qualifies when, for every LayerNormalization over the last axis, its input traces back through
/// <list type="bullet">
/// <item>Add (either operand, broadcasting only over leading axes or from a constant), Concat along another axis;</item>
/// <item>Reshape and Transpose that keep the centered axis whole (a Reshape keeping the dimensions up to it);</item>
/// <item>to producers that can be centered: float constants, Gather from a constant table (embeddings), Gemm / MatMul with a constant weight (and constant
/// bias), Conv with constant weights (along its channel axis);</item>
/// </list>
/// and every tensor on those paths is read only by LayerNormalizations over the last axis and by nodes on the
/// paths (no graph output, no other reader that would see the removed mean). A post-LN model fails here: its
/// residual stream passes through LayerNormalization, whose output is not zero-mean; the refusal names it.
/// The LayerNormalization nodes are kept (they compute the same values); an RMSNorm operator would drop the
/// mean subtraction.
/// </remarks>
public static class PreRmsNormConversion
{
    /// <summary>Rewrites <paramref name="graph"/> in place when it qualifies; otherwise leaves it unchanged and says why.</summary>
    public static PreRmsNormSummary Run(ModelGraph graph)
    {
        var layerNorms = graph.Nodes.Where(n => n.OpType == "LayerNormalization" && n.Domain.Length == 0).ToList();
        if (layerNorms.Count == 0) return new PreRmsNormSummary(false, "the model has no LayerNormalization", [], 0);
        var walk = new Walk(graph);
        foreach (var ln in layerNorms)
        {
            var shape = graph.Tensor(ln.Inputs[0]).Shape;
            int axis = (int)ln.GetInt("axis", -1);
            if (shape.Rank == 0 || (axis < 0 ? axis + shape.Rank : axis) != shape.Rank - 1)
                return new PreRmsNormSummary(false, $"LayerNormalization '{ln.Name}' does not normalize the last axis", [], 0);
            var refusal = walk.Center(ln.Inputs[0], shape.Rank - 1);
            if (refusal is not null) return new PreRmsNormSummary(false, $"the input of LayerNormalization '{ln.Name}': {refusal}", [], 0);
        }
        var reader = walk.CheckReaders();
        if (reader is not null) return new PreRmsNormSummary(false, reader, [], 0);
        walk.Apply();
        return new PreRmsNormSummary(true, null, layerNorms.Select(n => n.Name).ToList(), walk.EditCount);
    }

    private sealed class Walk(ModelGraph graph)
    {
        private readonly Dictionary<string, int> _centered = new(StringComparer.Ordinal);
        private readonly HashSet<Node> _onPath = new();
        private readonly Dictionary<(Node Node, int Input), Tensor> _edits = new();

        public int EditCount => _edits.Count;

        /// <summary>Plans centering of <paramref name="tensor"/> along <paramref name="axis"/>; null on success, else why not.</summary>
        public string? Center(string tensor, int axis)
        {
            if (_centered.TryGetValue(tensor, out int done)) return done == axis ? null : $"'{tensor}' would need centering along two axes";
            _centered[tensor] = axis;
            var info = graph.Tensor(tensor);
            if (graph.Outputs.Contains(tensor)) return $"'{tensor}' is a graph output";
            if (info.IsConstant) return $"'{tensor}' is a constant read directly";
            var producer = graph.Producer(tensor);
            if (producer is null) return $"'{tensor}' is a graph input (its mean cannot be removed by centering constants)";
            _onPath.Add(producer);
            var outShape = info.Shape;
            switch (producer.OpType)
            {
                case "Add":
                    for (int i = 0; i < 2; i++)
                    {
                        var input = producer.Inputs[i];
                        var inShape = graph.Tensor(input).Shape;
                        int inAxis = axis - (outShape.Rank - inShape.Rank);
                        if (inAxis < 0 || inShape[inAxis] != outShape[axis])
                        {
                            if (graph.Tensor(input).ConstantValue is null) return $"Add '{producer.Name}' broadcasts '{input}' along the hidden axis";
                            _edits[(producer, i)] = Tensor.Zeros(ElementType.Float32, inShape); // a constant the same in every channel: its centered value is 0
                            continue;
                        }
                        var problem = CenterOperand(producer, i, inAxis);
                        if (problem is not null) return problem;
                    }
                    return null;
                case "Concat":
                    {
                        long concatAxis = producer.GetInt("axis", 0);
                        if ((concatAxis < 0 ? concatAxis + outShape.Rank : concatAxis) == axis) return $"Concat '{producer.Name}' concatenates along the hidden axis";
                        for (int i = 0; i < producer.Inputs.Count; i++)
                        {
                            var problem = CenterOperand(producer, i, axis);
                            if (problem is not null) return problem;
                        }
                        return null;
                    }
                case "Transpose":
                    {
                        var perm = producer.GetInts("perm") ?? Enumerable.Range(0, outShape.Rank).Reverse().Select(i => (long)i).ToArray();
                        return Center(producer.Inputs[0], (int)perm[axis]);
                    }
                case "Reshape":
                    {
                        var inShape = graph.Tensor(producer.Inputs[0]).Shape;
                        // The centered axis must be whole in both shapes: same dimensions up to it (leading), or the last axis of both.
                        if (axis < inShape.Rank && Enumerable.Range(0, axis + 1).All(d => inShape[d] == outShape[d])) return Center(producer.Inputs[0], axis);
                        if (axis == outShape.Rank - 1 && inShape[^1] == outShape[^1]) return Center(producer.Inputs[0], inShape.Rank - 1);
                        return $"Reshape '{producer.Name}' splits or merges the hidden axis";
                    }
                case "Gemm":
                    {
                        if (axis != 1 || producer.GetInt("transA", 0) != 0) return $"Gemm '{producer.Name}' is not A·W + b with the hidden axis as its columns";
                        bool transB = producer.GetInt("transB", 0) != 0;
                        var w = Constant(producer, 1);
                        if (w is null) return $"Gemm '{producer.Name}' has no constant weight";
                        _edits[(producer, 1)] = CenterAlong(w, transB ? 0 : 1);
                        if (producer.HasInput(2))
                        {
                            var b = Constant(producer, 2);
                            if (b is null) return $"Gemm '{producer.Name}' has no constant bias";
                            _edits[(producer, 2)] = b.ElementCount == 1 ? Tensor.Zeros(ElementType.Float32, b.Shape) : CenterAlong(b, b.Shape.Rank - 1);
                        }
                        return null;
                    }
                case "MatMul":
                    {
                        var w = Constant(producer, 1);
                        if (w is null || w.Shape.Rank != 2 || axis != outShape.Rank - 1) return $"MatMul '{producer.Name}' is not x·W with a constant W";
                        _edits[(producer, 1)] = CenterAlong(w, 1);
                        return null;
                    }
                case "Conv":
                    {
                        var w = Constant(producer, 1);
                        if (w is null || axis != 1) return $"Conv '{producer.Name}' has no constant weight, or the hidden axis is not its channel axis";
                        _edits[(producer, 1)] = CenterAlong(w, 0);
                        if (producer.HasInput(2))
                        {
                            var b = Constant(producer, 2);
                            if (b is null) return $"Conv '{producer.Name}' has no constant bias";
                            _edits[(producer, 2)] = CenterAlong(b, 0);
                        }
                        return null;
                    }
                case "Gather":
                    {
                        // An embedding lookup: center the table along the axis that becomes the hidden one.
                        var table = Constant(producer, 0);
                        int indicesRank = graph.Tensor(producer.Inputs[1]).Shape.Rank;
                        long g = producer.GetInt("axis", 0);
                        if (table is null) return $"Gather '{producer.Name}' does not read a constant table";
                        if (g < 0) g += table.Shape.Rank;
                        int tableAxis = axis < g ? axis : axis >= g + indicesRank ? axis - indicesRank + 1 : -1;
                        if (tableAxis < 0) return $"Gather '{producer.Name}' selects along the hidden axis";
                        _edits[(producer, 0)] = CenterAlong(table, tableAxis);
                        return null;
                    }
                case "LayerNormalization":
                    return $"'{tensor}' is written by LayerNormalization '{producer.Name}', whose output is not zero-mean (a post-LN block: the residual stream passes through LayerNorm)";
                default:
                    return $"'{tensor}' is written by {producer.OpType} '{producer.Name}', which cannot be centered";
            }
        }

        private string? CenterOperand(Node node, int input, int axis)
        {
            var value = graph.Tensor(node.Inputs[input]).ConstantValue;
            if (value is null) return Center(node.Inputs[input], axis);
            if (value.ElementType != ElementType.Float32) return $"'{node.Inputs[input]}' is not a float constant";
            _edits[(node, input)] = CenterAlong(value, axis);
            return null;
        }

        private Tensor? Constant(Node node, int input) =>
            node.HasInput(input) && graph.Tensor(node.Inputs[input]).ConstantValue is { ElementType: ElementType.Float32 } v ? v : null;

        /// <summary>Every tensor made zero-mean must be read only by LayerNorms and by nodes on the centered paths.</summary>
        public string? CheckReaders()
        {
            foreach (var tensor in _centered.Keys)
                foreach (var reader in graph.Consumers(tensor))
                    if (!(reader.OpType == "LayerNormalization" && reader.Inputs[0] == tensor) && !_onPath.Contains(reader))
                        return $"'{tensor}' is also read by {reader.OpType} '{reader.Name}', which would see its mean removed";
            return null;
        }

        public void Apply()
        {
            foreach (var group in _edits.GroupBy(e => e.Key.Node))
            {
                var node = group.Key;
                var inputs = node.Inputs.ToArray();
                foreach (var ((_, index), value) in group)
                {
                    var name = graph.UniqueName(inputs[index] + "_centered");
                    graph.Tensors[name] = TensorInfo.ForConstant(name, value);
                    inputs[index] = name;
                }
                graph.Nodes[graph.Nodes.IndexOf(node)] = new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, inputs, node.Outputs, node.Attributes);
            }
        }
    }

    /// <summary>The tensor minus its mean along <paramref name="axis"/> (computed in double).</summary>
    private static Tensor CenterAlong(Tensor value, int axis)
    {
        var values = value.As<float>();
        int n = value.Shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < value.Shape.Rank; d++) inner *= value.Shape[d];
        int outer = n == 0 ? 0 : values.Length / (n * inner);
        var result = new float[values.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += values[(o * n + k) * inner + i];
                double mean = sum / n;
                for (int k = 0; k < n; k++) result[(o * n + k) * inner + i] = (float)(values[(o * n + k) * inner + i] - mean);
            }
        return Tensor.Create(value.Shape, result);
    }
}
