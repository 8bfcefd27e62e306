using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Quantization.Normalization;
using Octet.Compiler.Quantization.WideActivations;

namespace Octet.Compiler.Quantization;

/// <summary>
/// Applies a quantization to a float graph and writes the result in QDQ form, the representation ONNX
/// itself uses for quantized models: every quantized activation passes through QuantizeLinear →
/// DequantizeLinear, and every quantized weight is an int8 constant followed by DequantizeLinear. The
/// result is still a valid float graph (the reference executor runs it as simulated quantization), ONNX
/// Runtime runs it with its int8 kernels when exported, and integer lowering pattern-matches it. Quantized
/// models imported from QDQ files are already in this form.
/// </summary>
/// <remarks>
/// Steps, in order:
/// <list type="number">
/// <item>pass-through nodes (Identity, inference Dropout) removed, BatchNormalization folded into the
/// preceding Conv, and constant bias Adds moved into Conv/Gemm biases;</item>
/// <item>which activations carry quantization: graph inputs and node outputs, except a linear layer's output
/// that only feeds a Relu/Clip (the activation folds into the layer's clamp bounds, so only its output is
/// quantized), and outputs of ops that merely move values (Reshape, MaxPool, …), which reuse their input's
/// parameters so no requantization happens there;</item>
/// <item>with a wide-activation policy (<see cref="QuantizationRequest.WideActivations"/>), the tensors of
/// <see cref="ResidualStreamRoles"/> get symmetric int16 parameters, and linear layers with an 8-bit output read a
/// 16-bit input through an 8-bit copy (DQ16 → QuantizeLinear int8 → DequantizeLinear; <see cref="WideActivationAssignment"/>);</item>
/// <item>weights quantized per output channel, symmetric; biases to int32 at s_in · s_w[c] (s_in of the input the
/// layer reads: the 8-bit copy's where there is one);</item>
/// <item>Q/DQ nodes inserted. Models whose default opset predates per-axis DequantizeLinear (13) are raised
/// to opset 13 where every operator keeps its meaning (and refused by name where one would not). int16 Q/DQ
/// nodes are ONNX's from opset 21 and ONNX Runtime's com.microsoft forms below it (ONNX defines int16 there only
/// from 21; ONNX Runtime runs the contrib forms at any opset).</item>
/// </list>
/// </remarks>
public static class QdqQuantizer
{
    /// <summary>Activations that fold into the clamp bounds of the layer before them.</summary>
    private static readonly HashSet<string> FusibleActivations = ["Relu", "Clip"];
    private static readonly HashSet<string> LinearLayers = ["Conv", "Gemm", "MatMul", "Add"];
    private const string MicrosoftDomain = "com.microsoft";

    public static ModelGraph Apply(ModelGraph source, QuantizationRequest request)
    {
        if (!source.IsShapeInferred) throw new ArgumentException("the graph must be shape-inferred");
        var graph = source.Clone();
        IdentityElimination.Run(graph);
        BatchNormFolding.Run(graph);
        BiasAddFusion.Run(graph);

        var eightBit = ChooseActivationParameters(graph, request);
        var (activations, copies) = WideActivationAssignment.Apply(graph, request, eightBit, node => QuantizedOutput(graph, node));
        var weights = ChooseWeights(graph, request, (n, tensor) =>
            copies.TryGetValue((n, tensor), out var copy) ? copy : activations.GetValueOrDefault(tensor));
        return Rewrite(graph, activations, weights, copies);
    }

    /// <summary>The tensor that carries a node's quantization: its output, or the Relu / Clip output it folds into; null when none.</summary>
    private static string? QuantizedOutput(ModelGraph graph, Node node)
    {
        var output = node.Outputs.Count > 0 ? node.Outputs[0] : "";
        if (output.Length == 0) return null;
        return FeedsOnlyAFusedActivation(graph, node, output) ? graph.Consumers(output)[0].Outputs[0] : output;
    }

    private static Dictionary<string, QuantizationParameters> ChooseActivationParameters(ModelGraph graph, QuantizationRequest request)
    {
        var chosen = new Dictionary<string, QuantizationParameters>(StringComparer.Ordinal);
        QuantizationParameters Require(string tensor) => request.ActivationParameters(tensor)
            ?? throw new OctetException($"{request.Source}: no quantization parameters for tensor '{tensor}' " +
                                        "(calibrate the model with 'octet quantize', or mark the tensor keep_float)");

        foreach (var input in graph.Inputs)
            if (graph.Tensor(input).ElementType == ElementType.Float32 && !request.KeepsFloat(input))
                chosen[input] = Require(input);

        foreach (var node in graph.Nodes)
        {
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0 || graph.Tensor(output).ElementType != ElementType.Float32 || request.KeepsFloat(output)) continue;
                if (DataMovementOps.Contains(node) && chosen.TryGetValue(node.Inputs[0], out var shared))
                {
                    chosen[output] = shared;
                    continue;
                }
                if (FeedsOnlyAFusedActivation(graph, node, output)) continue;
                // A final Softmax stays float (no integer softmax yet): its result is the model's output as is.
                if (node.OpType is "Softmax" or "LogSoftmax" && graph.Outputs.Contains(output)) continue;
                chosen[output] = Require(output);
            }
        }
        return chosen;
    }

    private static bool FeedsOnlyAFusedActivation(ModelGraph graph, Node node, string output)
    {
        if (node.Domain.Length != 0 || !LinearLayers.Contains(node.OpType) || graph.Outputs.Contains(output)) return false;
        var consumers = graph.Consumers(output);
        return consumers.Count == 1 && consumers[0].Domain.Length == 0 && FusibleActivations.Contains(consumers[0].OpType)
               && consumers[0].Inputs.Skip(1).All(i => i.Length == 0 || graph.Tensor(i).IsConstant);
    }

    /// <summary>A weight or bias to quantize: its parameters and the quantized values.</summary>
    private sealed record QuantizedConstant(Tensor Values, QuantizationParameters Parameters);

    /// <param name="inputParameters">The parameters of the activation node n reads as tensor t (null when it is float).</param>
    private static Dictionary<string, QuantizedConstant> ChooseWeights(ModelGraph graph, QuantizationRequest request,
        Func<int, string, QuantizationParameters?> inputParameters)
    {
        var result = new Dictionary<string, QuantizedConstant>(StringComparer.Ordinal);
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            var node = graph.Nodes[n];
            if (node.Domain.Length != 0 || request.NodeKeepsFloat(node.Name)) continue;
            int axis;
            switch (node.OpType)
            {
                case "Conv": axis = 0; break;
                case "Gemm": axis = node.GetInt("transB", 0) != 0 ? 0 : 1; break;
                case "MatMul" when graph.Tensor(node.Inputs[1]).Shape.Rank == 2: axis = 1; break;
                default: continue;
            }
            if (node.OpType == "Gemm" && (node.GetInt("transA", 0) != 0 || node.GetFloat("alpha", 1) != 1 || node.GetFloat("beta", 1) != 1))
                continue; // only plain A·W + b maps onto an integer GEMM
            var w = graph.Tensor(node.Inputs[1]);
            if (w.ConstantValue is not { ElementType: ElementType.Float32 } wValue || result.ContainsKey(w.Name)) continue;
            if (inputParameters(n, node.Inputs[0]) is not { } input) continue; // a float input keeps float weights

            var weight = QuantizeWeight(wValue, request.WeightsPerChannel ? axis : -1, request);
            result[w.Name] = weight;
            if (node.HasInput(2) && graph.Tensor(node.Inputs[2]).ConstantValue is { ElementType: ElementType.Float32 } bias
                && bias.Shape.Rank == 1 && !result.ContainsKey(node.Inputs[2]))
                result[node.Inputs[2]] = QuantizeBias(bias, input.Scale, weight.Parameters);
        }
        return result;
    }

    /// <summary>Per output channel (or per tensor): symmetric range ±max|w|, quantized with round-half-even.</summary>
    private static QuantizedConstant QuantizeWeight(Tensor w, int axis, QuantizationRequest request)
    {
        var values = w.As<float>();
        int channels = axis < 0 ? 1 : w.Shape[axis];
        int inner = 1;
        for (int d = axis + 1; d < w.Shape.Rank && axis >= 0; d++) inner *= w.Shape[d];
        var scales = new float[channels];
        var zeroPoints = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            float min = 0, max = 0;
            ForChannel(values.Length, channels, inner, c, i => { min = MathF.Min(min, values[i]); max = MathF.Max(max, values[i]); });
            var p = QuantizationMath.FromRange(min, max, request.WeightType, request.WeightsSymmetric);
            scales[c] = p.Scale;
            zeroPoints[c] = p.ZeroPoint;
        }
        var parameters = new QuantizationParameters(request.WeightType, scales, zeroPoints, axis);
        var quantized = Tensor.Zeros(request.WeightType, w.Shape);
        for (int c = 0; c < channels; c++)
        {
            int qmin = request.WeightType == ElementType.Int8 && request.WeightsSymmetric ? -127 : parameters.QMin;
            ForChannel(values.Length, channels, inner, c, i =>
            {
                int q = QuantizationMath.Quantize(values[i], scales[c], zeroPoints[c], qmin, parameters.QMax);
                if (request.WeightType == ElementType.Int8) quantized.As<sbyte>()[i] = (sbyte)q;
                else quantized.As<byte>()[i] = (byte)q;
            });
        }
        return new QuantizedConstant(quantized, parameters);
    }

    /// <summary>Visits the flat indices of channel <paramref name="c"/> along an axis with <paramref name="inner"/> elements per step.</summary>
    private static void ForChannel(int length, int channels, int inner, int c, Action<int> visit)
    {
        if (channels == 1) { for (int i = 0; i < length; i++) visit(i); return; }
        for (int start = c * inner; start < length; start += channels * inner)
            for (int i = start; i < start + inner; i++) visit(i);
    }

    /// <summary>int32 bias at scale s_in · s_w[c] (float32 product, as ONNX Runtime's quantizer computes it), zero point 0.</summary>
    private static QuantizedConstant QuantizeBias(Tensor bias, float inputScale, QuantizationParameters weight)
    {
        var values = bias.As<float>();
        var scales = new float[values.Length];
        var quantized = new int[values.Length];
        for (int c = 0; c < values.Length; c++)
        {
            scales[c] = inputScale * weight.Scales[weight.IsPerTensor ? 0 : c];
            double q = Math.Round(values[c] / (double)scales[c], MidpointRounding.ToEven);
            quantized[c] = (int)Math.Clamp(q, int.MinValue, int.MaxValue);
        }
        var parameters = weight.IsPerTensor
            ? QuantizationParameters.PerTensor(ElementType.Int32, scales[0], 0)
            : new QuantizationParameters(ElementType.Int32, scales, new int[values.Length], 0);
        return new QuantizedConstant(Tensor.Create(bias.Shape, quantized), parameters);
    }

    private static ModelGraph Rewrite(ModelGraph graph, Dictionary<string, QuantizationParameters> activations,
        Dictionary<string, QuantizedConstant> weights, Dictionary<(int Node, string Tensor), QuantizationParameters> eightBitCopies)
    {
        // Per-axis DequantizeLinear needs opset 13, and ONNX Runtime's fused int8 kernels (QLinearConv, …)
        // need at least 10: older models are raised to opset 13 where that keeps every operator's meaning.
        if (graph.DefaultOpset < 13) RaiseOpset(graph, 13);
        const string domain = "";
        int qVersion = OperatorRegistry.Default.ResolveVersion("", "QuantizeLinear", graph.DefaultOpset)!.Value;
        int dqVersion = OperatorRegistry.Default.ResolveVersion("", "DequantizeLinear", graph.DefaultOpset)!.Value;
        // int16 Q/DQ: ONNX's own from opset 21, else ONNX Runtime's contrib forms (which take int16 at any opset).
        bool int16InContrib = graph.DefaultOpset < 21;
        if (int16InContrib && activations.Values.Any(p => p.StorageType == ElementType.Int16))
        {
            if (graph.OpsetImports.TryGetValue(MicrosoftDomain, out var imported) && imported < 1)
                throw new OctetException($"{graph.SourcePath}: imports {MicrosoftDomain} opset {imported}; the int16 QuantizeLinear / DequantizeLinear need version 1");
            graph.OpsetImports[MicrosoftDomain] = 1;
        }
        (string Domain, int Version) QuantizeOp(QuantizationParameters p) =>
            p.StorageType == ElementType.Int16 && int16InContrib ? (MicrosoftDomain, 1) : (domain, qVersion);
        (string Domain, int Version) DequantizeOp(QuantizationParameters p) =>
            p.StorageType == ElementType.Int16 && int16InContrib ? (MicrosoftDomain, 1) : (domain, dqVersion);

        var nodes = new List<Node>();
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);

        (string Scale, string ZeroPoint) AddParameterConstants(string stem, QuantizationParameters p)
        {
            var shape = p.IsPerTensor ? Shape.Scalar : new Shape(p.Scales.Length);
            var scale = graph.UniqueName(stem + "_scale");
            graph.Tensors[scale] = TensorInfo.ForConstant(scale, Tensor.Create(shape, (float[])p.Scales.Clone()));
            var zeroPoint = graph.UniqueName(stem + "_zero_point");
            Tensor zp = p.StorageType switch
            {
                ElementType.Int8 => Tensor.Create(shape, p.ZeroPoints.Select(z => (sbyte)z).ToArray()),
                ElementType.UInt8 => Tensor.Create(shape, p.ZeroPoints.Select(z => (byte)z).ToArray()),
                ElementType.Int16 => Tensor.Create(shape, p.ZeroPoints.Select(z => (short)z).ToArray()),
                _ => Tensor.Create(shape, (int[])p.ZeroPoints.Clone()),
            };
            graph.Tensors[zeroPoint] = TensorInfo.ForConstant(zeroPoint, zp);
            return (scale, zeroPoint);
        }

        Dictionary<string, Graph.Attribute> AxisAttribute(QuantizationParameters p) => p.IsPerTensor
            ? new Dictionary<string, Graph.Attribute>()
            : new Dictionary<string, Graph.Attribute> { ["axis"] = new("axis", AttributeKind.Int, (long)p.Axis) };

        // Weights: int8 constant → DequantizeLinear → the float name the layer already reads.
        foreach (var (name, weight) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var info = graph.Tensor(name);
            var quantizedName = graph.UniqueName(name + "_quantized");
            graph.Tensors[quantizedName] = new TensorInfo(quantizedName, weight.Values.ElementType, weight.Values.Shape, weight.Values, weight.Parameters);
            var (scale, zeroPoint) = AddParameterConstants(name, weight.Parameters);
            nodes.Add(new Node(graph.UniqueName(name + "_DequantizeLinear"), "DequantizeLinear", domain, dqVersion,
                [quantizedName, scale, zeroPoint], [name], AxisAttribute(weight.Parameters)));
            graph.Tensors[name] = new TensorInfo(name, ElementType.Float32, info.Shape);
        }

        // Activations: tensor → QuantizeLinear → DequantizeLinear; readers take the dequantized copy.
        void QuantizeActivation(string tensor)
        {
            if (!activations.TryGetValue(tensor, out var p)) return;
            renamed[tensor] = AddQuantizeDequantize(tensor, tensor, graph.Tensor(tensor).Shape, p);
        }

        // tensor → QuantizeLinear → DequantizeLinear, named after stem; returns the dequantized tensor's name.
        string AddQuantizeDequantize(string tensor, string stem, Shape shape, QuantizationParameters p)
        {
            var quantizedName = graph.UniqueName(stem + "_quantized");
            var dequantizedName = graph.UniqueName(stem + "_dequantized");
            var (scale, zeroPoint) = AddParameterConstants(stem, p);
            graph.Tensors[quantizedName] = new TensorInfo(quantizedName, p.StorageType, shape, null, p);
            graph.Tensors[dequantizedName] = new TensorInfo(dequantizedName, ElementType.Float32, shape);
            var (qDomain, qOpVersion) = QuantizeOp(p);
            var (dqDomain, dqOpVersion) = DequantizeOp(p);
            nodes.Add(new Node(graph.UniqueName(stem + "_QuantizeLinear"), "QuantizeLinear", qDomain, qOpVersion,
                [tensor, scale, zeroPoint], [quantizedName], new Dictionary<string, Graph.Attribute>()));
            nodes.Add(new Node(graph.UniqueName(stem + "_DequantizeLinear"), "DequantizeLinear", dqDomain, dqOpVersion,
                [quantizedName, scale, zeroPoint], [dequantizedName], new Dictionary<string, Graph.Attribute>()));
            return dequantizedName;
        }

        // The 8-bit copy of a 16-bit activation, made once (before its first reader) and shared by its linear readers.
        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        string EightBitCopy(string tensor, QuantizationParameters p)
        {
            if (copies.TryGetValue(tensor, out var copy)) return copy;
            var sixteenBit = renamed[tensor];
            return copies[tensor] = AddQuantizeDequantize(sixteenBit, tensor + "_8bit", graph.Tensor(tensor).Shape, p);
        }

        foreach (var input in graph.Inputs) QuantizeActivation(input);
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            var node = graph.Nodes[n];
            var inputs = node.Inputs.Select(i => eightBitCopies.TryGetValue((n, i), out var p8) ? EightBitCopy(i, p8) : renamed.GetValueOrDefault(i, i)).ToArray();
            nodes.Add(new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, inputs, node.Outputs, node.Attributes));
            foreach (var output in node.Outputs)
                if (output.Length > 0) QuantizeActivation(output);
        }

        // A quantized graph output keeps its name: it is the dequantized value the caller reads.
        for (int i = 0; i < graph.Outputs.Count; i++)
            if (renamed.TryGetValue(graph.Outputs[i], out var dequantized)) graph.Outputs[i] = dequantized;

        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
        RestoreOutputNames(graph, source: renamed);
        return graph;
    }

    /// <summary>
    /// Re-resolves every default-domain node at a newer opset. Most operators keep their meaning across the
    /// versions in between. Those that do not:
    /// <list type="bullet">
    /// <item>Softmax / LogSoftmax / Hardmax, whose pre-13 form flattens everything from <c>axis</c> on: that
    /// equals the new single-axis form when all later dims are 1, and is refused by name otherwise;</item>
    /// <item>Slice (before 10), Squeeze / Unsqueeze / Split / ReduceSum (before 13): the same meaning, with
    /// attributes that became inputs (see <see cref="AttributesBecameInputs"/>), which are moved into
    /// constant inputs.</item>
    /// </list>
    /// </summary>
    internal static void RaiseOpset(ModelGraph graph, int opset)
    {
        graph.OpsetImports[""] = opset;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node.Domain.Length != 0) continue;
            var version = OperatorRegistry.Default.ResolveVersion("", node.OpType, opset)
                ?? throw new OctetException($"{graph.SourcePath}: {node.Describe()} has no version at opset {opset}, needed for per-channel quantization");
            if (node.OpType is "Softmax" or "LogSoftmax" or "Hardmax" && node.OpsetVersion < 13)
            {
                var shape = graph.Tensor(node.Inputs[0]).Shape;
                int axis = Shape.NormalizeAxis(node.GetInt("axis", 1), shape.Rank);
                if (shape.Dims[(axis + 1)..].ToArray().Any(d => d != 1))
                    throw new OctetException($"{graph.SourcePath}: {node.Describe()} flattens dims {axis}.. of {shape}, which has no opset-13 equivalent; quantizing needs opset 13");
            }
            if (!OperatorRegistry.Default.Supports("", node.OpType, version))
                throw new OctetException($"{graph.SourcePath}: {node.Describe()}: version {version} at opset {opset} is not implemented");
            var attributes = node.Attributes;
            var inputs = node.Inputs;
            if (AttributesBecameInputs(node, version) is { } moved)
                (inputs, attributes) = MoveAttributesToInputs(graph, node, moved);
            if (node.OpType is "Softmax" or "LogSoftmax" or "Hardmax" && node.OpsetVersion < 13 && !node.HasAttribute("axis"))
            {
                // The default axis changed from 1 to -1 at version 13: write the old default explicitly.
                attributes = new Dictionary<string, Graph.Attribute>(attributes) { ["axis"] = new("axis", AttributeKind.Int, 1L) };
            }
            graph.Nodes[i] = new Node(node.Name, node.OpType, node.Domain, version, inputs, node.Outputs, attributes);
        }
    }

    /// <summary>
    /// For an operator whose newer version takes as inputs what its older version took as int attributes: the
    /// attribute names in input order (from input 1 on), when raising <paramref name="node"/> to
    /// <paramref name="version"/> crosses that change; else null.
    /// </summary>
    private static string[]? AttributesBecameInputs(Node node, int version) => node.OpType switch
    {
        "Slice" when node.OpsetVersion < 10 && version >= 10 => ["starts", "ends", "axes"],
        "Squeeze" or "Unsqueeze" or "ReduceSum" when node.OpsetVersion < 13 && version >= 13 => ["axes"],
        "Split" when node.OpsetVersion < 13 && version >= 13 => ["split"],
        "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2" or "ReduceLogSum" or "ReduceLogSumExp"
            or "ReduceSumSquare" when node.OpsetVersion < 18 && version >= 18 => ["axes"],
        _ => null,
    };

    /// <summary>
    /// Moves the int attributes <paramref name="names"/> into new int64 constant inputs 1, 2, ... (an absent
    /// attribute becomes an absent optional input, trailing ones are dropped).
    /// </summary>
    private static (IReadOnlyList<string> Inputs, IReadOnlyDictionary<string, Graph.Attribute> Attributes) MoveAttributesToInputs(
        ModelGraph graph, Node node, string[] names)
    {
        var inputs = new List<string> { node.Inputs[0] };
        foreach (var name in names)
        {
            var values = node.GetInts(name);
            if (values is null)
            {
                inputs.Add("");
                continue;
            }
            var tensor = graph.UniqueName($"{node.Name}_{name}");
            graph.Tensors[tensor] = TensorInfo.ForConstant(tensor, Tensor.Create(new Shape(values.Length), values));
            inputs.Add(tensor);
        }
        while (inputs.Count > 1 && inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
        var attributes = node.Attributes.Where(a => !names.Contains(a.Key))
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return (inputs, attributes);
    }

    /// <summary>
    /// Renames the dequantized copies of graph outputs back to the original output names (and the float
    /// pre-quantization tensor to NAME_float), so callers see the names the model declared.
    /// </summary>
    private static void RestoreOutputNames(ModelGraph graph, Dictionary<string, string> source)
    {
        foreach (var (original, dequantized) in source)
        {
            int index = graph.Outputs.IndexOf(dequantized);
            if (index < 0) continue;
            var floatName = graph.UniqueName(original + "_float");
            var map = new Dictionary<string, string> { [original] = floatName, [dequantized] = original };
            for (int n = 0; n < graph.Nodes.Count; n++)
            {
                var node = graph.Nodes[n];
                if (!node.Inputs.Concat(node.Outputs).Any(map.ContainsKey)) continue;
                graph.Nodes[n] = new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion,
                    node.Inputs.Select(i => map.GetValueOrDefault(i, i)).ToArray(),
                    node.Outputs.Select(o => map.GetValueOrDefault(o, o)).ToArray(), node.Attributes);
            }
            var floatInfo = graph.Tensor(original);
            var outputInfo = graph.Tensor(dequantized);
            graph.Tensors.Remove(dequantized);
            graph.Tensors[floatName] = new TensorInfo(floatName, floatInfo.ElementType, floatInfo.Shape);
            graph.Tensors[original] = new TensorInfo(original, outputInfo.ElementType, outputInfo.Shape);
            graph.Outputs[index] = original;
        }
    }
}
