using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Lowering of the transformer nonlinearities to integer-only operators (integer-only numerics only; in
/// ort-compatible mode they stay float, as ONNX Runtime keeps them):
/// <list type="bullet">
/// <item>Q(Softmax(x̂)) over the last axis → ISoftmax (fixed output scale 1/256), followed by a Requantize
/// when the config quantized the softmax output differently;</item>
/// <item>Q(LayerNormalization(x̂, γ, β)) over the last axis with constant γ, β → ILayerNorm (8- or 16-bit input
/// and output; C ≤ 1,290 for an int16 input);</item>
/// <item>Q(Gelu(x̂)) → IGelu (shiftgelu or ibert) or the exact Table, as <see cref="TransformerLoweringOptions.Gelu"/> says;
/// an int16 input always becomes the exact 65,536-entry Table (IGelu is 8-bit).</item>
/// </list>
/// Softmax and attention stay 8-bit: they are matched on 8-bit tensors only.
/// </summary>
public sealed partial class IntegerLowering
{
    private bool LowerSoftmax(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsEightBit(x.Parameters)) return false;
        var shape = _graph.Tensor(node.Inputs[0]).Shape;
        // Softmax-13 normalizes one axis; before 13 it flattens axis.. — the same when axis is the last one.
        int axis = (int)node.GetInt("axis", node.OpsetVersion < 13 ? 1 : -1);
        if (shape.Rank == 0 || (axis < 0 ? axis + shape.Rank : axis) != shape.Rank - 1) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null || !IsEightBit(result.Value.Output)) return false;
        var (quantize, output, _, _, _) = result.Value;

        var attributes = ISoftmax.Create(_transformer.Softmax, x.Parameters.Scale, output.StorageType);
        var natural = ISoftmax.OutputParameters(output.StorageType);
        if (natural.Equals(output))
        {
            Emit("ISoftmax", [x.Quantized], quantize.Outputs[0], attributes, node.Name);
            return true;
        }
        var probabilities = FreshName(node.Outputs[0] + "_probabilities");
        _graph.Tensors[probabilities] = new TensorInfo(probabilities, natural.StorageType, shape, null, natural);
        _nodes.Add(new Node(node.Name, "ISoftmax", IntegerOperator.OctetDomain, 1, [x.Quantized], [probabilities], attributes));
        EmitRequantize(probabilities, natural, quantize.Outputs[0], output, node.Name + "_requantize");
        return true;
    }

    /// <summary>
    /// MatMul(Â, V̂) where Â is the quantized output of a last-axis Softmax of a quantized tensor, with a log2
    /// or log√2 softmax quantizer chosen: IShiftAttention from the scores and V. The ISoftmax emitted for
    /// the Softmax is then dead unless something else reads it.
    /// </summary>
    private bool LowerShiftAttention(Node matMul, Dequantized a, Dequantized v)
    {
        if (_mode != NumericsMode.IntegerOnly || _transformer.SoftmaxQuantizer == TransformerLoweringOptions.UniformQuantizer) return false;
        var quantize = _graph.Producer(a.Quantized);
        if (quantize is not { OpType: "QuantizeLinear" }) return false;
        var softmax = _graph.Producer(quantize.Inputs[0]);
        if (softmax is not { OpType: "Softmax", Domain: "" }) return false;
        var scores = SourceOf(softmax.Inputs[0]);
        if (scores is null || !scores.Parameters.IsPerTensor || !IsEightBit(scores.Parameters)) return false;
        var scoreShape = _graph.Tensor(softmax.Inputs[0]).Shape;
        var valueShape = _graph.Tensor(matMul.Inputs[1]).Shape;
        int axis = (int)softmax.GetInt("axis", softmax.OpsetVersion < 13 ? 1 : -1);
        if (scoreShape.Rank < 2 || (axis < 0 ? axis + scoreShape.Rank : axis) != scoreShape.Rank - 1 || valueShape.Rank != scoreShape.Rank) return false;
        for (int d = 0; d < scoreShape.Rank - 2; d++) if (scoreShape[d] != valueShape[d]) return false; // no broadcasting
        if (!IsEightBit(v.Parameters)) return false;
        var result = QuantizedResult(matMul.Outputs[0], allowActivation: false);
        if (result is null || !IsEightBit(result.Value.Output)) return false;
        var attributes = IShiftAttention.Create(_transformer.Softmax, _transformer.SoftmaxQuantizer, _transformer.SoftmaxLogBits,
            scores.Parameters.Scale, v.Parameters, result.Value.Output);
        Emit("IShiftAttention", [scores.Quantized, v.Quantized], result.Value.Quantize.Outputs[0], attributes, matMul.Name);
        return true;
    }

    private bool LowerLayerNorm(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        if (node.Outputs.Skip(1).Any(o => o.Length > 0)) return false; // Mean / InvStdDev would stay float
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsActivation(x.Parameters)) return false;
        var shape = _graph.Tensor(node.Inputs[0]).Shape;
        int axis = (int)node.GetInt("axis", -1);
        if (shape.Rank == 0 || (axis < 0 ? axis + shape.Rank : axis) != shape.Rank - 1) return false;
        int channels = shape[^1];
        if (channels > ILayerNorm.MaxChannelsFor(x.Parameters.StorageType))
            throw OctetException.AtNode(node,
                $"LayerNormalization over {channels} channels of a {x.Parameters.StorageType.OnnxName()} input: ILayerNorm takes at most " +
                $"{ILayerNorm.MaxChannelsFor(x.Parameters.StorageType)} (Σ c² must fit int64); quantize this input to 8 bits");
        var gamma = PerChannelConstant(node.Inputs[1], channels);
        var beta = node.HasInput(2) ? PerChannelConstant(node.Inputs[2], channels) : null;
        if (gamma is null || (node.HasInput(2) && beta is null)) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var (quantize, output, _, _, _) = result.Value;
        var attributes = ILayerNorm.Create(x.Parameters, output, gamma, beta, node.GetFloat("epsilon", 1e-5f));
        Emit("ILayerNorm", [x.Quantized], quantize.Outputs[0], attributes, node.Name);
        return true;
    }

    private bool LowerGelu(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly || _transformer.Gelu == TransformerLoweringOptions.TableMethod) return LowerTable(node);
        // IGelu implements the erf definition (ibert) or x·σ(1.702x) (shiftgelu), either an approximation of both forms.
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsActivation(x.Parameters)) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        // IGelu is 8-bit; a 16-bit input or output is the exact table.
        if (!IsEightBit(x.Parameters) || !IsEightBit(result.Value.Output)) return LowerTable(node);
        Emit("IGelu", [x.Quantized], result.Value.Quantize.Outputs[0], IGelu.Create(_transformer.Gelu, x.Parameters, result.Value.Output), node.Name);
        return true;
    }

    /// <summary>Symmetric int16 parameters of a constant's range: zero point 0, ±max|v| on [−32767, 32767] (scale 1 when all zero).</summary>
    private static QuantizationParameters SymmetricInt16(float[] values)
    {
        float absMax = values.Length == 0 ? 0 : values.Max(MathF.Abs);
        float scale = absMax / 32767f;
        return QuantizationParameters.PerTensor(ElementType.Int16, scale > 0 && float.IsFinite(scale) ? scale : 1f, 0);
    }

    /// <summary>A float constant broadcast to <paramref name="channels"/> values along the last axis, or null.</summary>
    private float[]? PerChannelConstant(string tensor, int channels)
    {
        var value = _graph.Tensor(tensor).ConstantValue;
        if (value is null || value.ElementType != ElementType.Float32) return null;
        var values = value.As<float>();
        if (values.Length == channels) return (float[])values.Clone();
        if (values.Length == 1) return Enumerable.Repeat(values[0], channels).ToArray();
        return null;
    }

    /// <summary>True for Add/Sub/Mul/Div of one activation and one float constant (biases, attention scales).</summary>
    private bool HasFloatConstantOperand(Node node) =>
        node.Inputs.Count == 2 && node.Inputs.Count(i => _graph.Tensor(i).ConstantValue is { ElementType: ElementType.Float32 }) == 1;

    /// <summary>
    /// An element-wise op with one float constant operand. A one-element constant makes it a function of
    /// one int8 tensor: the exact 256-entry Table. Otherwise (a bias vector after MatMul, a position
    /// embedding) Add and Mul quantize the constant to int8 at its own per-tensor range and become QAdd/QMul;
    /// Sub and Div by a vector stay float.
    /// </summary>
    private bool LowerConstantOperand(Node node)
    {
        if (_mode != NumericsMode.IntegerOnly) return false;
        int constantIndex = _graph.Tensor(node.Inputs[0]).IsConstant ? 0 : 1;
        int xIndex = 1 - constantIndex;
        var constant = _graph.Tensor(node.Inputs[constantIndex]).ConstantValue!;
        var x = SourceOf(node.Inputs[xIndex]);
        if (x is null || !x.Parameters.IsPerTensor || !IsActivation(x.Parameters)) return false;
        if (_graph.Tensor(node.Outputs[0]).Shape != _graph.Tensor(node.Inputs[xIndex]).Shape) return false; // no broadcasting x up
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var output = result.Value.Output;

        if (constant.ElementCount == 1)
        {
            int entries = Table.EntriesFor(x.Parameters.StorageType);
            var inputs = new float[entries];
            for (int i = 0; i < entries; i++) inputs[i] = (x.Parameters.QMin + i - x.Parameters.ZeroPoint) * x.Parameters.Scale;
            var definition = Operators.OperatorRegistry.Default.Find("", node.OpType)!;
            var values = new List<Tensor?> { null, null };
            values[xIndex] = Tensor.Create(new Shape(entries), inputs);
            values[constantIndex] = constant.Reshape(Shape.Scalar);
            var context = new Operators.KernelContext(node, values);
            Analysis.ShapeInference.Guard(node, "table construction", () => definition.Execute(context));
            var y = context.Output(0)!.As<float>();
            var table = new long[entries];
            for (int i = 0; i < entries; i++) table[i] = QuantizationMath.Quantize(y[i], output.Scale, output.ZeroPoint, output.QMin, output.QMax);
            Emit("Table", [x.Quantized], result.Value.Quantize.Outputs[0], new Dictionary<string, Attribute>(StringComparer.Ordinal)
            {
                ["table"] = new("table", AttributeKind.Ints, table),
                ["y_type"] = new("y_type", AttributeKind.Int, (long)output.StorageType),
            }, node.Name);
            return true;
        }
        if (node.OpType is not ("Add" or "Mul")) return false;
        if (node.OpType == "Mul" && !IsEightBit(x.Parameters)) return false;

        // The constant as a tensor of x's type at its own range, registered as a dequantized view so QAdd/QMul
        // see two quantized operands. An int16 x (the residual stream, e.g. a position embedding added to it)
        // gets an int16 constant, symmetric as 16-bit activations are.
        var floats = constant.As<float>();
        var parameters = x.Parameters.StorageType == ElementType.Int16
            ? SymmetricInt16(floats)
            : QuantizationMath.FromRange(floats.Min(), floats.Max(), x.Parameters.StorageType, symmetric: false);
        var quantized = Tensor.Zeros(parameters.StorageType, constant.Shape);
        for (int i = 0; i < floats.Length; i++)
        {
            int q = QuantizationMath.Quantize(floats[i], parameters.Scale, parameters.ZeroPoint, parameters.QMin, parameters.QMax);
            switch (parameters.StorageType)
            {
                case ElementType.Int8: quantized.As<sbyte>()[i] = (sbyte)q; break;
                case ElementType.Int16: quantized.As<short>()[i] = (short)q; break;
                default: quantized.As<byte>()[i] = (byte)q; break;
            }
        }
        var name = node.Inputs[constantIndex];
        var quantizedName = _graph.UniqueName(name + "_quantized");
        _graph.Tensors[quantizedName] = new TensorInfo(quantizedName, parameters.StorageType, constant.Shape, quantized, parameters);
        var scaleName = _graph.UniqueName(name + "_scale");
        _graph.Tensors[scaleName] = TensorInfo.ForConstant(scaleName, Tensor.Scalar(parameters.Scale));
        var zeroPointName = _graph.UniqueName(name + "_zero_point");
        _graph.Tensors[zeroPointName] = TensorInfo.ForConstant(zeroPointName, parameters.StorageType switch
        {
            ElementType.Int8 => Tensor.Scalar((sbyte)parameters.ZeroPoint),
            ElementType.Int16 => Tensor.Scalar((short)parameters.ZeroPoint),
            _ => Tensor.Scalar((byte)parameters.ZeroPoint),
        });
        _views[name] = new Dequantized(quantizedName, parameters, scaleName, zeroPointName);
        if (LowerBinary(node)) return true;
        _views.Remove(name);
        return false;
    }
}
