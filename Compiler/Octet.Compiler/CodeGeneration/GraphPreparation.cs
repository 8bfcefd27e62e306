using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Normalization;
using Octet.Compiler.Quantization.Patterns;

namespace Octet.Compiler.CodeGeneration;

/// <summary>What code generation starts from: the graph to lay out and plan, and the numerics it computes with.</summary>
/// <param name="Graph">Normalized float graph, or the lowered integer graph.</param>
/// <param name="Numerics">The plan's numerics: "float32", "integer-only" or "ort-compatible".</param>
/// <param name="Source">The graph the ONNX nodes came from (float or QDQ), for the plan's <c>from</c> lines.</param>
public sealed record PreparedGraph(ModelGraph Graph, string Numerics, ModelGraph Source);

/// <summary>
/// The stages before code generation proper, chosen by what the model is:
/// <list type="bullet">
/// <item>a float model without a config: normalization (identity/dropout elimination, BatchNorm folding,
/// bias-add fusion, dead nodes) → a float32 plan;</item>
/// <item>a float model with a quantization config: transformer pattern fusion (<see cref="TransformerFusion"/>),
/// <see cref="QdqQuantizer"/> (which normalizes the same way)
/// and <see cref="IntegerLowering"/> in the config's numerics (or the override);</item>
/// <item>a model that is quantized already (QDQ or QOperator): <see cref="QuantizedModelImport.ToQdq"/> and
/// lowering, integer-only unless overridden.</item>
/// </list>
/// </summary>
public static class GraphPreparation
{
    public static PreparedGraph Prepare(ModelGraph graph, QuantizationConfig? config, NumericsMode? numerics)
    {
        if (!graph.IsShapeInferred) throw new ArgumentException("the graph must be shape-inferred", nameof(graph));
        bool quantized = QuantizedModelImport.IsQuantized(graph);
        if (config is not null)
        {
            if (quantized)
                throw new OctetException($"{graph.SourcePath} is already quantized; compile it without a quantization config (its own quantization is kept exactly)");
            var qdq = ToQdq(graph, config);
            var mode = numerics ?? config.Numerics;
            return new PreparedGraph(IntegerLowering.Lower(qdq, mode, config.ToLoweringOptions()), mode.Name(), qdq);
        }
        if (quantized)
        {
            var qdq = QuantizedModelImport.ToQdq(graph);
            var mode = numerics ?? NumericsMode.IntegerOnly;
            return new PreparedGraph(IntegerLowering.Lower(qdq, mode), mode.Name(), qdq);
        }
        if (numerics is not null)
            throw new OctetException($"{graph.SourcePath} is a float model: --numerics applies to quantized models only (give a quantization config, or leave --numerics out for a float32 plan)");

        var normalized = graph.Clone();
        IdentityElimination.Run(normalized);
        BatchNormFolding.Run(normalized);
        BiasAddFusion.Run(normalized);
        DeadNodeElimination.Run(normalized);
        return new PreparedGraph(normalized, Generator.Plan.ModelPlan.Float32, graph);
    }

    /// <summary>
    /// The float graph a quantization config describes: a copy with <see cref="TransformerFusion"/> applied (decomposed
    /// LayerNorm / GELU as single nodes, so lowering gives each its integer operator — ILayerNorm, IGelu or a table —
    /// and linear layers as Gemm between view Reshapes). Calibrate this graph, and check a config's tensor names
    /// against it; a graph without those patterns comes back unchanged.
    /// </summary>
    public static ModelGraph FuseTransformerPatterns(ModelGraph graph)
    {
        var fused = graph.Clone();
        TransformerFusion.Run(fused);
        return fused;
    }

    /// <summary>
    /// The float graph a config with these <paramref name="settings"/> describes: <see cref="FuseTransformerPatterns"/>,
    /// then <see cref="PreRmsNormConversion"/> when the config asks for it (a model that does not qualify is refused
    /// with the reason). Quantizing, compiling, verifying and benchmarking all start from this graph, and calibration
    /// (<c>octet quantize</c>) produces its names and ranges.
    /// </summary>
    public static ModelGraph DescribedGraph(ModelGraph graph, TransformerSettings settings)
    {
        var described = FuseTransformerPatterns(graph);
        if (settings.PreRmsNorm)
        {
            var summary = PreRmsNormConversion.Run(described);
            if (!summary.Converted)
                throw new OctetException($"{graph.SourcePath}: the quantization config asks for pre_rmsnorm, but the model does not qualify: {summary.Refusal}");
        }
        return described;
    }

    /// <summary>
    /// The QDQ graph a config gives <paramref name="graph"/>: <see cref="QdqQuantizer"/> applied to the graph the config
    /// describes. What integer lowering starts from, and what ONNX Runtime runs when it checks or times Octet's int8 plan.
    /// </summary>
    public static ModelGraph ToQdq(ModelGraph graph, QuantizationConfig config) =>
        QdqQuantizer.Apply(DescribedGraph(graph, config.Transformer), config.ToRequest());

    /// <summary>
    /// Reads a quantization config for <paramref name="graph"/> and checks its tensor and node names against the
    /// graph it describes (<see cref="DescribedGraph"/>: a transformer config names fused LayerNorm / GELU / linear
    /// tensors that the ONNX file spells out in pieces).
    /// </summary>
    public static QuantizationConfig LoadConfig(string path, ModelGraph graph)
    {
        var settings = QuantizationConfig.Load(path).Transformer;
        return QuantizationConfig.Load(path, DescribedGraph(graph, settings));
    }
}
