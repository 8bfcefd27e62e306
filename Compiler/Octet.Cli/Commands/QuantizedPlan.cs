using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Compiler.Quantization.Lowering;

namespace Octet.Cli.Commands;

/// <summary>
/// The int8 side of verify and eval: a quantization applied from a config (float models) or the one a
/// quantized model carries, lowered to integer operators; and the model ONNX Runtime should run as the
/// matching reference (the exported QDQ model, or the quantized original).
/// </summary>
public sealed record QuantizedPlan(ModelGraph Qdq, ModelGraph Plan, NumericsMode Mode, string? ExportedQdqPath)
{
    /// <summary>
    /// Null when the model is float and no config is given. <paramref name="exportFolder"/> receives the QDQ
    /// export for ONNX Runtime when a config is applied.
    /// </summary>
    internal static QuantizedPlan? Create(ModelGraph graph, string? quantPath, string? numerics, string exportFolder)
    {
        var overrideMode = EvalCommand.ParseNumerics(numerics);
        if (quantPath is not null)
        {
            if (QuantizedModelImport.IsQuantized(graph))
                throw new OctetException($"{graph.SourcePath} is already quantized; run it without --quant (its own quantization is kept exactly)");
            var config = GraphPreparation.LoadConfig(quantPath, graph);
            var qdq = GraphPreparation.ToQdq(graph, config);
            var mode = overrideMode ?? config.Numerics;
            Directory.CreateDirectory(exportFolder);
            var exported = Path.Combine(exportFolder, Path.GetFileNameWithoutExtension(graph.SourcePath) + ".qdq.onnx");
            OnnxModelWriter.Write(qdq, exported);
            return new QuantizedPlan(qdq, IntegerLowering.Lower(qdq, mode, config.ToLoweringOptions()), mode, exported);
        }
        if (!QuantizedModelImport.IsQuantized(graph)) return null;
        var imported = QuantizedModelImport.ToQdq(graph);
        var importedMode = overrideMode ?? NumericsMode.IntegerOnly;
        return new QuantizedPlan(imported, IntegerLowering.Lower(imported, importedMode), importedMode, null);
    }

    /// <summary>The quantization step of a plan output written by DequantizeLinear (per tensor), else null.</summary>
    public float? OutputStep(string output)
    {
        var producer = Plan.Nodes.FirstOrDefault(n => n.Outputs.Contains(output));
        if (producer is null || producer.OpType != "DequantizeLinear") return null;
        var scale = Plan.Tensor(producer.Inputs[1]).ConstantValue;
        return scale is { ElementCount: 1 } ? scale.ToFloatArray()[0] : null;
    }
}
