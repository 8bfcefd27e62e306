using Octet.Compiler.Quantization;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>What <see cref="TransformerFusion.Run"/> fused: one line per fused node ("LayerNormalization: 'ReduceMean_15' … → 'Add_26'").</summary>
public sealed record FusionSummary(int LayerNormalizations, int ErfGelus, int TanhGelus, IReadOnlyList<string> Details, int LinearBiases = 0)
{
    public int Total => LayerNormalizations + ErfGelus + TanhGelus + LinearBiases;
}

/// <summary>
/// Fuses the decomposed forms of transformer building blocks in a float graph into single nodes before
/// quantization: LayerNormalization (<see cref="LayerNormFusion"/>) and GELU in its erf and tanh forms
/// (<see cref="GeluFusion"/>). Quantizing the fused graph gives one quantized tensor per block instead of
/// one per intermediate, and lets lowering pick the integer algorithm for the whole function (I-LayerNorm,
/// ShiftGELU, i-GELU or a table) instead of composing eight roundings. Last, N-D linear layers written as
/// MatMul + bias Add become Gemm between two view Reshapes (<see cref="LinearBiasFusion"/>), so the bias is
/// added in the int32 accumulator instead of after a second int8 rounding.
/// </summary>
/// <remarks>
/// The fused nodes are the ONNX operators LayerNormalization-17 and Gelu-20. A graph whose default-domain
/// import is older gets its import raised to that version, every other node keeping the version it was
/// resolved to (the executor and lowering go by each node's own version; the ONNX writer refuses such a
/// mixed graph by name rather than writing a file whose reader would resolve them differently).
/// </remarks>
public static class TransformerFusion
{
    /// <summary>Fuses in place. The graph must be shape-inferred; it stays so (shapes of kept tensors do not change).</summary>
    public static FusionSummary Run(ModelGraph graph)
    {
        if (!graph.IsShapeInferred) throw new ArgumentException("the graph must be shape-inferred before pattern fusion");
        // LayerNorm first: its Div and Add nodes could otherwise never be claimed by the GELU matcher, but
        // running them separately keeps each pass's consumer lists exact for the graph it sees.
        var layerNorms = LayerNormFusion.Find(new PatternGraph(graph)).ToList();
        Fusion.Apply(graph, layerNorms);
        var gelus = GeluFusion.Find(new PatternGraph(graph)).ToList();
        Fusion.Apply(graph, gelus);

        var linearBiases = LinearBiasFusion.Run(graph);

        int needed = Math.Max(layerNorms.Count > 0 ? LayerNormFusion.FusedVersion : 0, gelus.Count > 0 ? GeluFusion.FusedVersion : 0);
        // The fused nodes need a newer opset than the model may import; every other node is raised with it (attributes
        // that later versions take as inputs move into constants), so the graph still means one thing at one opset and
        // can be written out (the QDQ export ONNX Runtime runs).
        if (graph.DefaultOpset < needed) QdqQuantizer.RaiseOpset(graph, needed);

        var details = layerNorms.Concat(gelus)
            .Select(f => $"{f.Kind}: {string.Join(", ", f.Replaced.Select(n => $"'{n.Name}'"))} → '{f.Fused.Name}' ({f.Fused.Outputs[0]})")
            .Concat(linearBiases)
            .ToList();
        return new FusionSummary(layerNorms.Count, gelus.Count(f => f.Kind == "Gelu (erf)"), gelus.Count(f => f.Kind == "Gelu (tanh)"), details, linearBiases.Count);
    }
}
