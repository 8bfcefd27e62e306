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
        if (x is null || !x.Parameters.IsPerTensor || x.Parameters.StorageType == ElementType.Int32) return false;
        // Other inputs (shapes, indices, axes, split sizes) must be compile-time constants.
        if (node.Inputs.Skip(1).Any(i => i.Length > 0 && !_graph.Tensor(i).IsConstant)) return false;
        EmitOnIntegers(node, [x.Quantized, .. node.Inputs.Skip(1)], x);
        return true;
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
            _nodes.Add(new Node(FreshName(floatName + "_view"), "DequantizeLinear", "",
                OperatorRegistry.Default.ResolveVersion("", "DequantizeLinear", _graph.DefaultOpset)!.Value, dequantizeInputs, [floatName], new Dictionary<string, Attribute>()));
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
        if (x is null || output is null || !x.Parameters.IsPerTensor || !output.IsPerTensor || x.Parameters.StorageType == ElementType.Int32) return false;
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
                if (consumer.Domain.Length != 0) return null;
                if (consumer.OpType == "QuantizeLinear")
                {
                    if (quantize is not null && !Equals(ParametersOf(quantize), ParametersOf(consumer))) return null;
                    quantize ??= consumer;
                    continue;
                }
                if (!DataMovementOps.Names.Contains(consumer.OpType) || consumer.Inputs[0] != current) return null;
                foreach (var output in consumer.Outputs) if (output.Length > 0) pending.Push(output);
            }
        }
        if (quantize is null || ParametersOf(quantize) is not { IsPerTensor: true } parameters || parameters.StorageType == ElementType.Int32) return null;
        return new Dequantized("", parameters, quantize.Inputs[1], quantize.HasInput(2) ? quantize.Inputs[2] : null);
    }

    /// <summary>ReduceMean over the spatial axes of an NCHW tensor is a global average pool.</summary>
    private bool LowerReduceMean(Node node)
    {
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor) return false;
        var shape = _graph.Tensor(node.Inputs[0]).Shape;
        var axes = node.OpsetVersion < 18 ? node.GetInts("axes") : node.HasInput(1) ? _graph.Tensor(node.Inputs[1]).ConstantValue?.ToInt64Array() : null;
        if (axes is null || shape.Rank != 4) return false;
        var normalized = axes.Select(a => a < 0 ? a + shape.Rank : a).OrderBy(a => a).ToArray();
        if (!normalized.SequenceEqual([2L, 3L])) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
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
        if (x is null || !x.Parameters.IsPerTensor) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
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
        var sources = node.Inputs.Select(SourceOf).ToList();
        if (sources.Any(s => s is null || !s.Parameters.IsPerTensor)) return false;
        if (sources.All(s => s!.Parameters.Equals(sources[0]!.Parameters)))
        {
            EmitOnIntegers(node, sources.Select(s => s!.Quantized).ToList(), sources[0]!);
            return true;
        }
        // Inputs at different parameters whose concatenation is only moved around and then quantized to one
        // set of parameters (ShuffleNet's channel shuffle): requantize each input to those parameters first.
        if (DownstreamQuantization(node.Outputs[0]) is { } target)
        {
            var rescaledInputs = new List<string>();
            for (int i = 0; i < sources.Count; i++)
            {
                var source = sources[i]!;
                if (source.Parameters.Equals(target.Parameters)) { rescaledInputs.Add(source.Quantized); continue; }
                var rescaled = FreshName(node.Inputs[i] + "_rescaled");
                _graph.Tensors[rescaled] = new TensorInfo(rescaled, target.Parameters.StorageType, _graph.Tensor(node.Inputs[i]).Shape, null, target.Parameters);
                EmitRequantize(source.Quantized, source.Parameters, rescaled, target.Parameters, $"{node.Name}_requantize_{i}");
                rescaledInputs.Add(rescaled);
            }
            EmitOnIntegers(node, rescaledInputs, target);
            return true;
        }
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var (quantize, output, _, _, _) = result.Value;
        if (sources.Any(s => s!.Parameters.StorageType != output.StorageType)) return false;
        var inputs = new List<string>();
        for (int i = 0; i < sources.Count; i++)
        {
            var s = sources[i]!;
            if (s.Parameters.Scale == output.Scale && s.Parameters.ZeroPoint == output.ZeroPoint) { inputs.Add(s.Quantized); continue; }
            var rescaled = FreshName(node.Inputs[i] + "_rescaled");
            _graph.Tensors[rescaled] = new TensorInfo(rescaled, output.StorageType, _graph.Tensor(s.Quantized).Shape, null, output);
            EmitRequantize(s.Quantized, s.Parameters, rescaled, output, $"{node.Name}_requantize_{i}");
            inputs.Add(rescaled);
        }
        _nodes.Add(new Node(node.Name, "Concat", "", node.OpsetVersion, inputs, [quantize.Outputs[0]], node.Attributes));
        ClaimProducerOf(quantize.Outputs[0]);
        return true;
    }
}
