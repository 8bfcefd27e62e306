using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Import;

/// <summary>
/// Rewrites QOperator-form nodes (QLinearConv, QLinearMatMul, and ONNX Runtime's com.microsoft QLinearAdd,
/// QLinearMul, QLinearSigmoid, QLinearGlobalAveragePool, QLinearConcat) into the equivalent QDQ form —
/// DequantizeLinear on each quantized input, the float operator, QuantizeLinear on the result — so that
/// quantized models of both forms reach integer lowering as one representation. The integer weights, biases,
/// scales and zero points are kept exactly as the model stores them.
/// </summary>
public static class QOperatorToQdq
{
    public static int Run(ModelGraph graph)
    {
        var rewriter = new Rewriter(graph);
        int converted = 0;
        var nodes = new List<Node>();
        foreach (var node in graph.Nodes)
        {
            var replacement = rewriter.Convert(node);
            if (replacement is null) { nodes.Add(node); continue; }
            nodes.AddRange(replacement);
            converted++;
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
        return converted;
    }

    private sealed class Rewriter(ModelGraph graph)
    {
        private readonly List<Node> _emitted = new();

        public List<Node>? Convert(Node node)
        {
            _emitted.Clear();
            bool contrib = node.Domain == "com.microsoft";
            if (node.Domain.Length != 0 && !contrib) return null;
            switch (contrib ? "ms." + node.OpType : node.OpType)
            {
                case "QLinearConv":
                {
                    var x = Dequantize(node, 0, 1, 2, axis: null);
                    var w = Dequantize(node, 3, 4, 5, axis: 0);
                    var inputs = new List<string> { x, w };
                    if (node.HasInput(8)) inputs.Add(DequantizeBias(node, node.Inputs[8], node.Inputs[1], node.Inputs[4]));
                    var y = Float(node, "Conv", inputs, node.Attributes);
                    Quantize(node, y, 6, 7, node.Outputs[0]);
                    break;
                }
                case "QLinearMatMul":
                {
                    var a = Dequantize(node, 0, 1, 2, axis: null);
                    var b = Dequantize(node, 3, 4, 5, axis: 1);
                    var y = Float(node, "MatMul", [a, b], new Dictionary<string, Attribute>());
                    Quantize(node, y, 6, 7, node.Outputs[0]);
                    break;
                }
                case "ms.QLinearAdd" or "ms.QLinearMul":
                {
                    var a = Dequantize(node, 0, 1, 2, axis: null);
                    var b = Dequantize(node, 3, 4, 5, axis: null);
                    var y = Float(node, node.OpType == "QLinearAdd" ? "Add" : "Mul", [a, b], new Dictionary<string, Attribute>());
                    Quantize(node, y, 6, 7, node.Outputs[0]);
                    break;
                }
                case "ms.QLinearSigmoid":
                {
                    var x = Dequantize(node, 0, 1, 2, axis: null);
                    var y = Float(node, "Sigmoid", [x], new Dictionary<string, Attribute>());
                    Quantize(node, y, 3, 4, node.Outputs[0]);
                    break;
                }
                case "ms.QLinearGlobalAveragePool":
                {
                    if (node.GetInt("channels_last", 0) != 0)
                        throw OctetException.AtNode(node, "channels_last=1 is not supported; Octet's graphs are NCHW");
                    var x = Dequantize(node, 0, 1, 2, axis: null);
                    var y = Float(node, "GlobalAveragePool", [x], new Dictionary<string, Attribute>());
                    Quantize(node, y, 3, 4, node.Outputs[0]);
                    break;
                }
                case "ms.QLinearConcat":
                {
                    if ((node.Inputs.Count - 2) % 3 != 0) throw OctetException.AtNode(node, "expects Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) triples");
                    var inputs = new List<string>();
                    for (int i = 2; i < node.Inputs.Count; i += 3) inputs.Add(Dequantize(node, i, i + 1, i + 2, axis: null));
                    var y = Float(node, "Concat", inputs, node.Attributes);
                    Quantize(node, y, 0, 1, node.Outputs[0]);
                    break;
                }
                default:
                    return null;
            }
            return new List<Node>(_emitted);
        }

        private int Version(string opType) => OperatorRegistry.Default.ResolveVersion("", opType, graph.DefaultOpset)
            ?? throw new OctetException($"{graph.SourcePath}: {opType} does not exist at ai.onnx opset {graph.DefaultOpset}");

        private string Dequantize(Node node, int value, int scale, int zeroPoint, int? axis)
        {
            var input = node.Inputs[value];
            var output = graph.UniqueName($"{input}_dequantized");
            var attributes = new Dictionary<string, Attribute>();
            // Per-channel parameters: one scale per index along the channel axis.
            if (axis is { } a && graph.Tensor(node.Inputs[scale]).Shape.ElementCount > 1)
                attributes["axis"] = new Attribute("axis", AttributeKind.Int, (long)a);
            var inputs = node.HasInput(zeroPoint) ? new[] { input, node.Inputs[scale], node.Inputs[zeroPoint] } : new[] { input, node.Inputs[scale] };
            Emit(node.Name + "_dequantize_" + value, "DequantizeLinear", inputs, output, attributes);
            graph.Tensors[output] = new TensorInfo(output, ElementType.Float32, graph.Tensor(input).Shape);
            return output;
        }

        /// <summary>QLinearConv's int32 bias is at scale x_scale · w_scale (per channel) with zero point 0.</summary>
        private string DequantizeBias(Node node, string bias, string xScale, string wScale)
        {
            var xs = graph.Tensor(xScale).ConstantValue ?? throw OctetException.AtNode(node, "x_scale must be a constant");
            var ws = graph.Tensor(wScale).ConstantValue ?? throw OctetException.AtNode(node, "w_scale must be a constant");
            var w = ws.As<float>();
            float x = xs.As<float>()[0];
            var product = w.Select(s => x * s).ToArray();
            var biasShape = graph.Tensor(bias).Shape;
            var scaleName = graph.UniqueName(bias + "_scale");
            graph.Tensors[scaleName] = TensorInfo.ForConstant(scaleName, Tensor.Create(product.Length == 1 ? Shape.Scalar : new Shape(product.Length), product));
            var zeroName = graph.UniqueName(bias + "_zero_point");
            graph.Tensors[zeroName] = TensorInfo.ForConstant(zeroName, Tensor.Create(product.Length == 1 ? Shape.Scalar : new Shape(product.Length), new int[product.Length]));
            var output = graph.UniqueName(bias + "_dequantized");
            var attributes = new Dictionary<string, Attribute>();
            if (product.Length > 1) attributes["axis"] = new Attribute("axis", AttributeKind.Int, 0L);
            Emit(node.Name + "_dequantize_bias", "DequantizeLinear", [bias, scaleName, zeroName], output, attributes);
            graph.Tensors[output] = new TensorInfo(output, ElementType.Float32, biasShape);
            return output;
        }

        private string Float(Node node, string opType, IReadOnlyList<string> inputs, IReadOnlyDictionary<string, Attribute> attributes)
        {
            var output = graph.UniqueName(node.Outputs[0] + "_float");
            Emit(node.Name, opType, inputs, output, attributes.ToDictionary(a => a.Key, a => a.Value));
            // The float result has the quantized output's shape.
            graph.Tensors[output] = new TensorInfo(output, ElementType.Float32, graph.Tensor(node.Outputs[0]).Shape);
            return output;
        }

        private void Quantize(Node node, string value, int scale, int zeroPoint, string output)
        {
            var inputs = node.HasInput(zeroPoint) ? new[] { value, node.Inputs[scale], node.Inputs[zeroPoint] } : new[] { value, node.Inputs[scale] };
            Emit(node.Name + "_quantize", "QuantizeLinear", inputs, output, new Dictionary<string, Attribute>());
        }

        private void Emit(string name, string opType, IReadOnlyList<string> inputs, string output, Dictionary<string, Attribute> attributes) =>
            _emitted.Add(new Node(name, opType, "", Version(opType), inputs, [output], attributes));
    }
}
