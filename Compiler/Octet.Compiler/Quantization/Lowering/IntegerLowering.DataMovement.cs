using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>Lowering of data movement and pooling: ops that only move values run on the integers, Q∘DQ pairs cancel, averages pool in integers.</summary>
public sealed partial class IntegerLowering
{

    /// <summary>
    /// Data movement (Reshape, Transpose, Split, MaxPool, Concat of equal parameters, …) on a dequantized
    /// tensor runs on the int8 values themselves; its float results become views — DequantizeLinear of the
    /// int8 results with the same parameters — so the ops after them lower as if the model had quantized there.
    /// </summary>
    private bool LowerValuePreserving(Node node)
    {
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsActivation(x.Parameters)) return false;
        if (x.Parameters.StorageType == ElementType.Int16 && !Int16DataMovement.Contains(node.OpType)) return false;
        // Other inputs (shapes, indices, axes, split sizes) must be compile-time constants.
        if (node.Inputs.Skip(1).Any(i => i.Length > 0 && !_graph.Tensor(i).IsConstant)) return false;
        EmitOnIntegers(node, [x.Quantized, .. node.Inputs.Skip(1)], x);
        return true;
    }

    /// <summary>The data-movement operators lowered on int16 tensors (the rest — pooling, Expand — only on 8-bit ones).</summary>
    private static readonly HashSet<string> Int16DataMovement =
        ["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather", "Identity", "Split", "Concat"];

    /// <summary>
    /// A DequantizeLinear node for a view of a quantized tensor: ONNX's, or ONNX Runtime's com.microsoft form for
    /// int16 before opset 21 (where ONNX's does not take int16).
    /// </summary>
    private Node DequantizeNode(string name, ElementType quantizedType, IReadOnlyList<string> inputs, string output)
    {
        if (quantizedType == ElementType.Int16 && _graph.DefaultOpset < 21)
        {
            _graph.OpsetImports.TryAdd(MicrosoftDomain, 1);
            return new Node(name, "DequantizeLinear", MicrosoftDomain, 1, inputs, [output], new Dictionary<string, Attribute>());
        }
        return new Node(name, "DequantizeLinear", "", OperatorRegistry.Default.ResolveVersion("", "DequantizeLinear", _graph.DefaultOpset)!.Value,
            inputs, [output], new Dictionary<string, Attribute>());
    }

    private void EmitOnIntegers(Node node, IReadOnlyList<string> inputs, Dequantized parameters)
    {
        var outputs = new string[node.Outputs.Count];
        for (int k = 0; k < outputs.Length; k++)
        {
            var floatName = node.Outputs[k];
            if (floatName.Length == 0) { outputs[k] = ""; continue; }
            var quantized = FreshName(floatName + "_int8");
            _graph.Tensors[quantized] = new TensorInfo(quantized, parameters.Parameters.StorageType, _graph.Tensor(floatName).Shape, null, parameters.Parameters);
            outputs[k] = quantized;
            var dequantizeInputs = parameters.ZeroPointName is null
                ? new[] { quantized, parameters.ScaleName } : new[] { quantized, parameters.ScaleName, parameters.ZeroPointName };
            // The view: dead (and removed) unless something stays float and reads it.
            _nodes.Add(DequantizeNode(FreshName(floatName + "_view"), parameters.Parameters.StorageType, dequantizeInputs, floatName));
            _views[floatName] = parameters with { Quantized = quantized };
        }
        // Added before its views in _nodes order would break topological order, so insert it ahead of them.
        int firstView = _nodes.Count - outputs.Count(o => o.Length > 0);
        _nodes.Insert(firstView, new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, inputs, outputs, node.Attributes));
    }

    /// <summary>
    /// QuantizeLinear of a dequantized tensor: the same integers when the parameters agree (the pair cancels),
    /// else one Requantize from the old parameters to the new.
    /// </summary>
    private bool LowerQuantizeOfView(Node quantize)
    {
        var x = SourceOf(quantize.Inputs[0]);
        var output = ParametersOf(quantize);
        if (x is null || output is null || !x.Parameters.IsPerTensor || !output.IsPerTensor || !IsActivation(x.Parameters) || !IsActivation(output)) return false;
        if (x.Parameters.Equals(output))
        {
            _renamed[quantize.Outputs[0]] = x.Quantized;
            return true;
        }
        EmitRequantize(x.Quantized, x.Parameters, quantize.Outputs[0], output, quantize.Name + "_requantize");
        return true;
    }

    /// <summary>
    /// The parameters every QuantizeLinear reached from <paramref name="tensor"/> through data movement only
    /// (Reshape, Transpose, Split, …) quantizes to, when they are all the same; else null.
    /// </summary>
    private Dequantized? DownstreamQuantization(string tensor)
    {
        Node? quantize = null;
        var pending = new Stack<string>([tensor]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (_graph.Outputs.Contains(current)) return null;
            foreach (var consumer in _graph.Consumers(current))
            {
                if (consumer.OpType == "QuantizeLinear" && IsQdqDomain(consumer.Domain))
                {
                    if (quantize is not null && !Equals(ParametersOf(quantize), ParametersOf(consumer))) return null;
                    quantize ??= consumer;
                    continue;
                }
                if (consumer.Domain.Length != 0 || !DataMovementOps.Names.Contains(consumer.OpType) || consumer.Inputs[0] != current) return null;
                foreach (var output in consumer.Outputs) if (output.Length > 0) pending.Push(output);
            }
        }
        if (quantize is null || ParametersOf(quantize) is not { IsPerTensor: true } parameters || !IsActivation(parameters)) return null;
        return new Dequantized("", parameters, quantize.Inputs[1], quantize.HasInput(2) ? quantize.Inputs[2] : null);
    }

    /// <summary>ReduceMean over the spatial axes of an NCHW tensor is a global average pool.</summary>
    private bool LowerReduceMean(Node node)
    {
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsEightBit(x.Parameters)) return false;
        var shape = _graph.Tensor(node.Inputs[0]).Shape;
        var axes = node.OpsetVersion < 18 ? node.GetInts("axes") : node.HasInput(1) ? _graph.Tensor(node.Inputs[1]).ConstantValue?.ToInt64Array() : null;
        if (axes is null || shape.Rank != 4) return false;
        var normalized = axes.Select(a => a < 0 ? a + shape.Rank : a).OrderBy(a => a).ToArray();
        if (!normalized.SequenceEqual([2L, 3L])) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null || !IsEightBit(result.Value.Output)) return false;
        var (quantize, output, _, _, _) = result.Value;
        var attributes = RequantizationAttributes.Create(_mode, x.Parameters.Scale, null, output, output.QMin, output.QMax);
        attributes["x_zero_point"] = new("x_zero_point", AttributeKind.Int, (long)x.Parameters.ZeroPoint);
        bool keepDims = node.GetInt("keepdims", 1) != 0;
        if (keepDims)
        {
            Emit("QGlobalAveragePool", [x.Quantized], quantize.Outputs[0], attributes, node.Name);
            return true;
        }
        // keepdims=0: pool to [N, C, 1, 1], then drop the two unit axes with a Reshape on the integers.
        var pooled = FreshName(node.Outputs[0] + "_pooled");
        _graph.Tensors[pooled] = new TensorInfo(pooled, output.StorageType, new Shape(shape[0], shape[1], 1, 1), null, output);
        Emit("QGlobalAveragePool", [x.Quantized], pooled, attributes, node.Name);
        var target = _graph.UniqueName(node.Outputs[0] + "_shape");
        _graph.Tensors[target] = TensorInfo.ForConstant(target, Tensor.Create(new Shape(2), new long[] { shape[0], shape[1] }));
        _nodes.Add(new Node(node.Name + "_squeeze", "Reshape", "", OperatorRegistry.Default.ResolveVersion("", "Reshape", _graph.DefaultOpset)!.Value,
            [pooled, target], [quantize.Outputs[0]], new Dictionary<string, Attribute>()));
        ClaimProducerOf(quantize.Outputs[0]);
        return true;
    }

    private void EmitRequantize(string input, QuantizationParameters from, string output, QuantizationParameters to, string name)
    {
        var attributes = RequantizationAttributes.Create(_mode, from.Scale, null, to, to.QMin, to.QMax);
        attributes["x_zero_point"] = new("x_zero_point", AttributeKind.Int, (long)from.ZeroPoint);
        Emit("Requantize", [input], output, attributes, name);
    }

    private bool LowerAveragePool(Node node)
    {
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsEightBit(x.Parameters)) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null || !IsEightBit(result.Value.Output)) return false;
        var (quantize, output, _, _, _) = result.Value;
        var attributes = node.OpType == "AveragePool"
            ? Copy(node, "auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides")
            : new Dictionary<string, Attribute>(StringComparer.Ordinal);
        foreach (var a in RequantizationAttributes.Create(_mode, x.Parameters.Scale, null, output, output.QMin, output.QMax).Values)
            attributes[a.Name] = a;
        attributes["x_zero_point"] = new("x_zero_point", AttributeKind.Int, (long)x.Parameters.ZeroPoint);
        Emit(node.OpType == "AveragePool" ? "QAveragePool" : "QGlobalAveragePool", [x.Quantized], quantize.Outputs[0], attributes, node.Name);
        return true;
    }

    private bool LowerConcat(Node node)
    {
        if (LowerConcatWithConstants(node)) return true;
        var sources = node.Inputs.Select(SourceOf).ToList();
        if (sources.Any(s => s is null || !s.Parameters.IsPerTensor || !IsActivation(s.Parameters))) return false;
        if (sources.All(s => s!.Parameters.Equals(sources[0]!.Parameters)))
        {
            EmitOnIntegers(node, sources.Select(s => s!.Quantized).ToList(), sources[0]!);
            return true;
        }
        // Inputs at different parameters whose concatenation is only moved around and then quantized to one
        // set of parameters (ShuffleNet's channel shuffle): requantize each input to those parameters first.
        if (DownstreamQuantization(node.Outputs[0]) is { } target)
        {
            var rescaledInputs = sources.Select((source, i) => AtOutputParameters(node, i, source!, target.Parameters)).ToList();
            EmitOnIntegers(node, rescaledInputs, target);
            return true;
        }
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var (quantize, output, _, _, _) = result.Value;
        if (sources.Any(s => s!.Parameters.StorageType != output.StorageType)) return false;
        var inputs = new List<string>();
        for (int i = 0; i < sources.Count; i++) inputs.Add(AtOutputParameters(node, i, sources[i]!, output));
        _nodes.Add(new Node(node.Name, "Concat", "", node.OpsetVersion, inputs, [quantize.Outputs[0]], node.Attributes));
        ClaimProducerOf(quantize.Outputs[0]);
        return true;
    }

    /// <summary>Concat input <paramref name="index"/>'s integers at the output's parameters <paramref name="output"/>: as they are, or requantized to them.</summary>
    private string AtOutputParameters(Node node, int index, Dequantized source, QuantizationParameters output)
    {
        if (source.Parameters.Equals(output)) return source.Quantized;
        var rescaled = FreshName(node.Inputs[index] + "_rescaled");
        _graph.Tensors[rescaled] = new TensorInfo(rescaled, output.StorageType, _graph.Tensor(source.Quantized).Shape, null, output);
        EmitRequantize(source.Quantized, source.Parameters, rescaled, output, $"{node.Name}_requantize_{index}");
        return rescaled;
    }

    /// <summary>
    /// Q(Concat(ĉ | x̂, …)) where some inputs are float constants (ViT's class token before the residual stream):
    /// each constant is quantized at the output's parameters — the rounding the QDQ model applies to it too — each
    /// quantized input is requantized to them where they differ, and the Concat moves integers (int8, uint8 or
    /// int16, whatever the output is stored as). Integer-only numerics only: ONNX Runtime-compatible plans keep the
    /// float Concat, whose requantization by float is what they must match.
    /// </summary>
    private bool LowerConcatWithConstants(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        var constants = node.Inputs.Select(i => _graph.Tensor(i).ConstantValue is { ElementType: ElementType.Float32 } c ? c : null).ToList();
        if (constants.All(c => c is null)) return false;
        var sources = node.Inputs.Select((input, k) => constants[k] is null ? SourceOf(input) : null).ToList();
        for (int k = 0; k < sources.Count; k++)
            if (constants[k] is null && (sources[k] is not { Parameters.IsPerTensor: true } source || !IsActivation(source.Parameters))) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null || !result.Value.Output.IsPerTensor) return false;
        var (quantize, output, _, _, _) = result.Value;

        var inputs = new List<string>();
        for (int k = 0; k < node.Inputs.Count; k++)
            inputs.Add(constants[k] is { } constant
                ? QuantizedConstant(node.Inputs[k], constant, output)
                : AtOutputParameters(node, k, sources[k]!, output));
        _nodes.Add(new Node(node.Name, "Concat", "", node.OpsetVersion, inputs, [quantize.Outputs[0]], node.Attributes));
        ClaimProducerOf(quantize.Outputs[0]);
        return true;
    }

    /// <summary>
    /// Q(Gather(T, indices)) of a float constant table T (BERT's embedding lookups): Q is element-wise, so it equals
    /// Gather(Q(T), indices) exactly — the table is quantized once at the output's parameters and the lookup moves
    /// integers. Integer-only numerics, as <see cref="LowerConcatWithConstants"/>.
    /// </summary>
    private bool LowerGatherOfConstant(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null || !result.Value.Output.IsPerTensor) return false;
        var (quantize, output, _, _, _) = result.Value;
        var table = QuantizedConstant(node.Inputs[0], _graph.Tensor(node.Inputs[0]).ConstantValue!, output);
        _nodes.Add(new Node(node.Name, "Gather", "", node.OpsetVersion, [table, .. node.Inputs.Skip(1)], [quantize.Outputs[0]], node.Attributes));
        ClaimProducerOf(quantize.Outputs[0]);
        return true;
    }

    /// <summary>
    /// A new constant tensor: <paramref name="constant"/> quantized at <paramref name="output"/>'s per-tensor
    /// parameters (round half to even, saturate: QuantizeLinear's definition), stored as the output's integer type.
    /// With <paramref name="broadcastTo"/>, a constant of more than one element is first broadcast to that shape.
    /// </summary>
    private string QuantizedConstant(string name, Tensor constant, QuantizationParameters output, Shape? broadcastTo = null)
    {
        var floats = constant.As<float>();
        var shape = broadcastTo is { } target && floats.Length > 1 ? target : constant.Shape;
        var sources = shape == constant.Shape ? null : Broadcasting.SourceIndices(constant.Shape, shape);
        var values = new int[sources?.Length ?? floats.Length];
        for (int i = 0; i < values.Length; i++)
            values[i] = QuantizationMath.Quantize(floats[sources?[i] ?? i], output.Scale, output.ZeroPoint, output.QMin, output.QMax);
        var quantizedName = _graph.UniqueName(name + "_" + output.StorageType.OnnxName());
        _graph.Tensors[quantizedName] = new TensorInfo(quantizedName, output.StorageType, shape,
            IntegerAttributes.ToTensor(output.StorageType, shape, values), output);
        return quantizedName;
    }
}
