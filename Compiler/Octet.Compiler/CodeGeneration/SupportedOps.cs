using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;

namespace Octet.Compiler.CodeGeneration;

/// <summary>The ops code generation can emit today; a plan may contain nothing else.</summary>
public static class SupportedOps
{
    public static readonly IReadOnlySet<string> Onnx = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Clip", "Sigmoid", "Exp", "Tanh", "LeakyRelu",
        "MaxPool", "AveragePool", "GlobalAveragePool", "Concat", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
        "Transpose", "Split", "Slice", "Softmax", "QuantizeLinear", "DequantizeLinear",
        "Gather", "Cast",
    };

    public static readonly IReadOnlySet<string> Octet = new HashSet<string>(StringComparer.Ordinal)
    {
        "QConv", "QGemm", "QMatMul", "QAdd", "QMul", "Requantize", "Table", "QAveragePool", "QGlobalAveragePool", "Relayout",
        "ISoftmax", "IGelu", "ILayerNorm", "IShiftAttention", "ChannelShuffle",
    };

    public static bool IsSupported(Node node) =>
        node.Domain is "" or "ai.onnx" ? Onnx.Contains(node.OpType)
        : node.Domain == IntegerOperator.OctetDomain && Octet.Contains(node.OpType);

    /// <summary>The plan's op type: the ONNX name for default-domain ops, domain-qualified otherwise.</summary>
    public static string PlanOpType(Node node) => node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}";

    /// <summary>Throws naming the first node code generation cannot emit.</summary>
    public static void Check(ModelGraph graph)
    {
        foreach (var node in graph.Nodes)
        {
            if (!IsSupported(node))
                throw OctetException.AtNode(node, $"code generation does not support {PlanOpType(node)} yet (model '{graph.SourcePath}')");
        }
    }
}
