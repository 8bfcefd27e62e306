using Octet.Compiler.Graph;
using Octet.Compiler.Reference;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>What <see cref="LayerNormReparameterization.Run"/> did: one line per LayerNorm, reparameterized or why not.</summary>
public sealed record ReparameterizationSummary(int Reparameterized, IReadOnlyList<string> Details);

/// <summary>
/// RepQ-ViT's scale reparameterization of post-LayerNorm activations, as a float graph rewrite before
/// calibration. Post-LayerNorm channels can have very different ranges; per-channel quantization (scale s_c,
/// zero point z_c from each channel's calibrated range) fits them, but the integer linear layer that reads
/// them needs one scale. With s̃ = mean(s_c), z̃ = round(mean(z_c)), r1_c = s_c / s̃ and r2_c = z_c − z̃:
/// <code>
/// γ'_c = γ_c / r1_c      β'_c = (β_c + s_c · r2_c) / r1_c          (the LayerNorm's affine)
/// W'[c, n] = r1_c · W[c, n]   b'_n = b_n − Σ_c s_c · r2_c · W[c, n] (every linear layer reading it)
/// </code>
/// The float model computes the same outputs (X_c = r1_c X'_c − s_c r2_c is substituted exactly), and the
/// per-tensor quantization (s̃, z̃) of X' is the per-channel quantization (s_c, z_c) of X: X'_c = s̃ (q − z̃)
/// exactly when X_c = s_c (q − z_c). Calibrating the rewritten graph finds that range.
/// </summary>
/// <remarks>
/// A LayerNormalization qualifies when it normalizes the last axis with constant γ (and β, if any), and every
/// reader of its output is a linear layer over that axis with constant weights: MatMul(X, W [C, N]) whose
/// only reader is Add of a constant [N] bias, Gemm(X, W [C, N], b) (2-D X, no transposes, α = β = 1), or a
/// Reshape to [M, C] read only by such a Gemm (the form <see cref="LinearBiasFusion"/> writes). Post-LN
/// models, whose LayerNorm output also feeds a residual Add, do not qualify: the residual would see X'.
/// </remarks>
public static class LayerNormReparameterization
{
    /// <summary>
    /// Rewrites <paramref name="graph"/> in place (shape-inferred, after <see cref="TransformerFusion"/>),
    /// calibrating each qualifying LayerNorm output per channel (min/max over <paramref name="calibration"/>).
    /// </summary>
    public static ReparameterizationSummary Run(ModelGraph graph, IReadOnlyList<Dictionary<string, Tensor>> calibration,
        ElementType activationType = ElementType.Int8)
    {
        var details = new List<string>();
        var plans = new List<(Node LayerNorm, List<LinearReader> Readers)>();
        foreach (var node in graph.Nodes.Where(n => n.OpType == "LayerNormalization" && n.Domain.Length == 0))
        {
            var reason = Qualifies(graph, node, out var readers);
            if (reason is null) plans.Add((node, readers));
            else details.Add($"'{node.Name}' ({node.Outputs[0]}) not reparameterized: {reason}");
        }
        if (plans.Count == 0) return new ReparameterizationSummary(0, details);

        // Per-channel ranges of every qualifying output, from the float graph as it is.
        var ranges = plans.ToDictionary(p => p.LayerNorm.Outputs[0], p =>
        {
            int c = graph.Tensor(p.LayerNorm.Outputs[0]).Shape[^1];
            return (Min: Enumerable.Repeat(0f, c).ToArray(), Max: Enumerable.Repeat(0f, c).ToArray()); // ranges include 0, as FromRange widens them
        }, StringComparer.Ordinal);
        var executor = new ReferenceExecutor(graph);
        foreach (var sample in calibration)
            executor.Run(sample, (name, value) =>
            {
                if (!ranges.TryGetValue(name, out var range)) return;
                var v = value.As<float>();
                int c = range.Min.Length;
                for (int i = 0; i < v.Length; i++)
                {
                    int ch = i % c;
                    if (v[i] < range.Min[ch]) range.Min[ch] = v[i];
                    if (v[i] > range.Max[ch]) range.Max[ch] = v[i];
                }
            });

        foreach (var (layerNorm, readers) in plans)
        {
            var (min, max) = ranges[layerNorm.Outputs[0]];
            int channels = min.Length;
            var scales = new double[channels];
            var zeroPoints = new double[channels];
            for (int c = 0; c < channels; c++)
            {
                var p = QuantizationMath.FromRange(min[c], max[c], activationType, symmetric: false);
                scales[c] = p.Scale;
                zeroPoints[c] = p.ZeroPoint;
            }
            double meanScale = scales.Average();
            double meanZeroPoint = Math.Round(zeroPoints.Average(), MidpointRounding.ToEven);
            var r1 = scales.Select(s => s / meanScale).ToArray();
            var shift = new double[channels]; // s_c · r2_c
            for (int c = 0; c < channels; c++) shift[c] = scales[c] * (zeroPoints[c] - meanZeroPoint);

            var gamma = Broadcast(graph.Tensor(layerNorm.Inputs[1]).ConstantValue!, channels);
            var beta = layerNorm.HasInput(2) ? Broadcast(graph.Tensor(layerNorm.Inputs[2]).ConstantValue!, channels) : new float[channels];
            var newGamma = new float[channels];
            var newBeta = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                newGamma[c] = (float)(gamma[c] / r1[c]);
                newBeta[c] = (float)((beta[c] + shift[c]) / r1[c]);
            }
            var gammaName = Constant(graph, layerNorm.Name + "_gamma_reparameterized", Tensor.Create(new Shape(channels), newGamma));
            var betaName = Constant(graph, layerNorm.Name + "_beta_reparameterized", Tensor.Create(new Shape(channels), newBeta));
            Replace(graph, layerNorm, new Node(layerNorm.Name, layerNorm.OpType, layerNorm.Domain, layerNorm.OpsetVersion,
                [layerNorm.Inputs[0], gammaName, betaName], layerNorm.Outputs, layerNorm.Attributes));

            foreach (var reader in readers)
            {
                var w = graph.Tensor(reader.Layer.Inputs[1]).ConstantValue!.As<float>();
                int n = w.Length / channels;
                var b = graph.Tensor(reader.BiasHolder.Inputs[reader.BiasIndex]).ConstantValue!.As<float>();
                var newW = new float[w.Length];
                var newB = new double[n];
                for (int j = 0; j < n; j++) newB[j] = b[j];
                for (int c = 0; c < channels; c++)
                    for (int j = 0; j < n; j++)
                    {
                        newW[c * n + j] = (float)(w[c * n + j] * r1[c]);
                        newB[j] -= shift[c] * w[c * n + j];
                    }
                var wName = Constant(graph, reader.Layer.Inputs[1] + "_reparameterized", Tensor.Create(new Shape(channels, n), newW));
                var biasShape = graph.Tensor(reader.BiasHolder.Inputs[reader.BiasIndex]).Shape;
                var bName = Constant(graph, reader.BiasHolder.Inputs[reader.BiasIndex] + "_reparameterized", Tensor.Create(biasShape, newB.Select(v => (float)v).ToArray()));
                var layerInputs = reader.Layer.Inputs.ToArray();
                layerInputs[1] = wName;
                if (reader.BiasHolder == reader.Layer) layerInputs[2] = bName;
                Replace(graph, reader.Layer, new Node(reader.Layer.Name, reader.Layer.OpType, reader.Layer.Domain, reader.Layer.OpsetVersion, layerInputs, reader.Layer.Outputs, reader.Layer.Attributes));
                if (reader.BiasHolder != reader.Layer)
                {
                    var addInputs = reader.BiasHolder.Inputs.ToArray();
                    addInputs[reader.BiasIndex] = bName;
                    Replace(graph, reader.BiasHolder, new Node(reader.BiasHolder.Name, reader.BiasHolder.OpType, reader.BiasHolder.Domain, reader.BiasHolder.OpsetVersion, addInputs, reader.BiasHolder.Outputs, reader.BiasHolder.Attributes));
                }
            }
            details.Add($"'{layerNorm.Name}' ({layerNorm.Outputs[0]}) reparameterized into {readers.Count} linear layer(s): per-channel scale ratio r1 in [{r1.Min():G3}, {r1.Max():G3}]");
        }
        return new ReparameterizationSummary(plans.Count, details);
    }

    /// <summary>A linear layer reading the LayerNorm output: its weight input is 1, its bias is input <c>BiasIndex</c> of <c>BiasHolder</c>.</summary>
    private sealed record LinearReader(Node Layer, Node BiasHolder, int BiasIndex);

    private static string? Qualifies(ModelGraph graph, Node node, out List<LinearReader> readers)
    {
        readers = new List<LinearReader>();
        var shape = graph.Tensor(node.Inputs[0]).Shape;
        int axis = (int)node.GetInt("axis", -1);
        if (shape.Rank == 0 || (axis < 0 ? axis + shape.Rank : axis) != shape.Rank - 1) return "it does not normalize the last axis";
        if (node.Outputs.Skip(1).Any(o => o.Length > 0)) return "its Mean / InvStdDev outputs are used";
        int channels = shape[^1];
        if (!IsChannelConstant(graph, node.Inputs[1], channels) || (node.HasInput(2) && !IsChannelConstant(graph, node.Inputs[2], channels)))
            return "γ or β is not a constant per channel";
        var output = node.Outputs[0];
        if (graph.Outputs.Contains(output)) return "its output is a graph output";
        foreach (var reader in graph.Consumers(output))
        {
            var layer = reader;
            if (reader.OpType == "Reshape")
            {
                var to = graph.Tensor(reader.Outputs[0]).Shape;
                var next = graph.Consumers(reader.Outputs[0]);
                if (to.Rank != 2 || to[1] != channels || next.Count != 1 || graph.Outputs.Contains(reader.Outputs[0])) return $"'{reader.Name}' (Reshape) is not a flattening read only by a linear layer";
                layer = next[0];
                if (layer.OpType != "Gemm") return $"'{layer.Name}' ({layer.OpType}) reads it through a Reshape and is not a Gemm";
            }
            var found = AsLinear(graph, layer, channels);
            if (found is null) return $"'{layer.Name}' ({layer.OpType}) reads it and is not a linear layer with constant weights [{channels}, N] and a constant bias";
            if (layer != reader && layer.Inputs[0] != reader.Outputs[0]) return $"'{layer.Name}' does not read it as its input";
            if (layer == reader && layer.Inputs[0] != output) return $"'{layer.Name}' reads it as a weight";
            readers.Add(found);
        }
        return readers.Count == 0 ? "nothing reads it" : null;
    }

    private static LinearReader? AsLinear(ModelGraph graph, Node layer, int channels)
    {
        if (layer.Domain.Length != 0 || layer.Inputs.Count < 2) return null;
        var w = graph.Tensor(layer.Inputs[1]);
        if (w.ConstantValue is not { ElementType: ElementType.Float32 } || w.Shape.Rank != 2 || w.Shape[0] != channels) return null;
        if (graph.Consumers(layer.Inputs[1]).Count != 1) return null;
        int n = w.Shape[1];
        if (layer.OpType == "Gemm")
        {
            if (layer.GetInt("transA", 0) != 0 || layer.GetInt("transB", 0) != 0 || layer.GetFloat("alpha", 1) != 1 || layer.GetFloat("beta", 1) != 1) return null;
            if (!layer.HasInput(2) || !IsChannelConstant(graph, layer.Inputs[2], n) || graph.Tensor(layer.Inputs[2]).ConstantValue!.ElementCount != n) return null;
            return new LinearReader(layer, layer, 2);
        }
        if (layer.OpType != "MatMul" || graph.Outputs.Contains(layer.Outputs[0])) return null;
        var next = graph.Consumers(layer.Outputs[0]);
        if (next.Count != 1 || next[0] is not { OpType: "Add", Domain: "" } add || add.Inputs.Count != 2) return null;
        int biasIndex = add.Inputs[0] == layer.Outputs[0] ? 1 : 0;
        var bias = graph.Tensor(add.Inputs[biasIndex]).ConstantValue;
        if (bias is not { ElementType: ElementType.Float32 } || bias.ElementCount != n || (bias.Shape.Rank > 0 && bias.Shape[^1] != n)) return null;
        if (graph.Consumers(add.Inputs[biasIndex]).Count != 1) return null;
        return new LinearReader(layer, add, biasIndex);
    }

    private static bool IsChannelConstant(ModelGraph graph, string tensor, int channels) =>
        graph.Tensor(tensor).ConstantValue is { ElementType: ElementType.Float32 } value && (value.ElementCount == channels || value.ElementCount == 1);

    private static float[] Broadcast(Tensor value, int channels)
    {
        var values = value.As<float>();
        return values.Length == channels ? values : Enumerable.Repeat(values[0], channels).ToArray();
    }

    private static string Constant(ModelGraph graph, string stem, Tensor value)
    {
        var name = graph.UniqueName(stem);
        graph.Tensors[name] = TensorInfo.ForConstant(name, value);
        return name;
    }

    private static void Replace(ModelGraph graph, Node old, Node replacement) => graph.Nodes[graph.Nodes.IndexOf(old)] = replacement;
}
