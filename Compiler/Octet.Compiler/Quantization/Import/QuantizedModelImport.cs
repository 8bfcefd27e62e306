using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Normalization;

namespace Octet.Compiler.Quantization.Import;

/// <summary>
/// Brings a model that arrives quantized (QDQ or QOperator form) into the QDQ form integer lowering reads:
/// pass-through nodes between QuantizeLinear and DequantizeLinear removed, QOperator nodes expanded.
/// The model's own integers, scales and zero points are kept as they are.
/// </summary>
public static class QuantizedModelImport
{
    private static readonly HashSet<string> QuantizedOps =
        ["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul",
         "QLinearSigmoid", "QLinearGlobalAveragePool", "QLinearConcat", "MatMulInteger", "ConvInteger"];

    /// <summary>True if the model already contains quantization (so no config is needed to run it in int8).</summary>
    public static bool IsQuantized(ModelGraph graph) => graph.Nodes.Any(n => QuantizedOps.Contains(n.OpType));

    public static ModelGraph ToQdq(ModelGraph source)
    {
        var graph = source.Clone();
        QOperatorToQdq.Run(graph);
        IdentityElimination.Run(graph);
        return graph;
    }
}
