using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Normalization;

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
/// <item>a float model with a quantization config: <see cref="QdqQuantizer"/> (which normalizes the same way)
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
            var qdq = QdqQuantizer.Apply(graph, config.ToRequest());
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
}
