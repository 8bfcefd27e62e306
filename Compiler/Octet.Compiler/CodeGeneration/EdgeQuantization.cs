using Octet.Compiler.Graph;
using Octet.Generator.Plan;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// The QuantizeLinear right after a graph input and the DequantizeLinear right before a graph output, which
/// the plan states on its <c>input</c>/<c>output</c> lines instead of as ops, so the op list runs 8-bit to 8-bit
/// (generated <c>Run</c> does those two steps, <c>RunQuantized</c> skips them). Taken only when the step is
/// per tensor with constant parameters, an int8/uint8 result, and nothing else depends on it being an op:
/// a float32 graph input read by that QuantizeLinear alone, or a DequantizeLinear whose output is a float32
/// graph output no node reads.
/// </summary>
public sealed class EdgeQuantization
{
    private EdgeQuantization(Dictionary<string, (Node Node, PlanEdgeQuantization Step)> inputs,
        Dictionary<string, (Node Node, PlanEdgeQuantization Step)> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Graph input name → its QuantizeLinear and the step as the plan states it.</summary>
    public IReadOnlyDictionary<string, (Node Node, PlanEdgeQuantization Step)> Inputs { get; }

    /// <summary>Graph output name → its DequantizeLinear and the step as the plan states it.</summary>
    public IReadOnlyDictionary<string, (Node Node, PlanEdgeQuantization Step)> Outputs { get; }

    /// <summary>The QuantizeLinear and DequantizeLinear nodes of the edge steps, as found.</summary>
    public IEnumerable<Node> Nodes => Inputs.Values.Select(e => e.Node).Concat(Outputs.Values.Select(e => e.Node));

    /// <summary>The 8-bit tensors on the inner side of an edge step: like graph edges, they keep the ONNX layout.</summary>
    public IEnumerable<string> QuantizedTensors => Inputs.Values.Select(e => e.Step.Tensor).Concat(Outputs.Values.Select(e => e.Step.Tensor));

    public static EdgeQuantization Find(ModelGraph graph)
    {
        var inputs = new Dictionary<string, (Node, PlanEdgeQuantization)>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, (Node, PlanEdgeQuantization)>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            if (graph.Tensor(input).ElementType != ElementType.Float32 || graph.Outputs.Contains(input)) continue;
            var consumers = graph.Consumers(input);
            if (consumers.Count != 1 || !IsOnnx(consumers[0]) || consumers[0].OpType != "QuantizeLinear") continue;
            var quantize = consumers[0];
            if (quantize.Inputs[0] != input || quantize.Inputs.Skip(1).Contains(input)) continue;
            if (graph.Outputs.Contains(quantize.Outputs[0])) continue;
            if (Step(graph, quantize, quantize.Outputs[0]) is { } step) inputs[input] = (quantize, step);
        }
        foreach (var output in graph.Outputs.Distinct())
        {
            var producer = graph.Producer(output);
            if (producer is null || !IsOnnx(producer) || producer.OpType != "DequantizeLinear") continue;
            if (graph.Tensor(output).ElementType != ElementType.Float32 || graph.Consumers(output).Count > 0) continue;
            if (graph.Outputs.Count(o => o == output) != 1 || graph.Inputs.Contains(output)) continue;
            var quantized = producer.Inputs[0];
            if (graph.Tensor(quantized).IsConstant || graph.Inputs.Contains(quantized) || graph.Outputs.Contains(quantized)) continue;
            if (Step(graph, producer, quantized) is { } step) outputs[output] = (producer, step);
        }
        return new EdgeQuantization(inputs, outputs);
    }

    private static bool IsOnnx(Node node) => node.Domain is "" or "ai.onnx";

    /// <summary>The step's parameters when it is per tensor with constant scale (and zero point), else null.</summary>
    private static PlanEdgeQuantization? Step(ModelGraph graph, Node node, string quantizedTensor)
    {
        var type = graph.Tensor(quantizedTensor).ElementType;
        if (type is not (ElementType.Int8 or ElementType.UInt8)) return null;
        if (node.Inputs.Count < 2 || graph.Tensor(node.Inputs[1]).ConstantValue is not { ElementCount: 1 } scale) return null;
        if (scale.ElementType != ElementType.Float32) return null;
        int zeroPoint = 0;
        if (node.HasInput(2))
        {
            if (graph.Tensor(node.Inputs[2]).ConstantValue is not { ElementCount: 1 } zp || zp.ElementType != type) return null;
            zeroPoint = (int)zp.ToInt64Array()[0];
        }
        // Attributes that change the meaning (saturate, output_dtype, block_size, precision) make it not a plain step.
        if (node.Attributes.Keys.Any(k => k != "axis")) return null;
        return new PlanEdgeQuantization(quantizedTensor, type == ElementType.Int8 ? "int8" : "uint8", scale.ToFloatArray()[0], zeroPoint);
    }
}
