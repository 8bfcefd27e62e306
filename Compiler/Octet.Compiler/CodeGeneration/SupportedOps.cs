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
        "ISoftmax", "IGelu", "ILayerNorm", "IShiftAttention", "ChannelShuffle", "QuantizeInteger", "Select",
    };

    /// <summary>
    /// ONNX Runtime's com.microsoft QuantizeLinear / DequantizeLinear: the form int16 Q/DQ nodes take in a graph whose
    /// default opset is below 21 (int16 entered the ONNX ops at 21). For the attributes a plan can carry (axis) they
    /// compute what the ONNX ops compute, so the plan names them as the ONNX ops and one emitter serves both.
    /// </summary>
    public const string MicrosoftDomain = "com.microsoft";

    public static bool IsSupported(Node node) =>
        node.Domain is "" or "ai.onnx" ? Onnx.Contains(node.OpType)
        : IsMicrosoftLinearQuantization(node) || node.Domain == IntegerOperator.OctetDomain && Octet.Contains(node.OpType);

    /// <summary>
    /// The plan's op type: the ONNX name for default-domain ops and for com.microsoft QuantizeLinear/DequantizeLinear
    /// (same semantics, see <see cref="MicrosoftDomain"/>), domain-qualified otherwise.
    /// </summary>
    public static string PlanOpType(Node node) =>
        node.Domain is "" or "ai.onnx" || IsMicrosoftLinearQuantization(node) ? node.OpType : $"{node.Domain}.{node.OpType}";

    private static bool IsMicrosoftLinearQuantization(Node node) =>
        node.Domain == MicrosoftDomain && node.OpType is "QuantizeLinear" or "DequantizeLinear";

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
