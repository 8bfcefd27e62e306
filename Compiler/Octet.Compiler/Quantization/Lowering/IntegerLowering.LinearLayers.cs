using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Lowering of Conv, Gemm and MatMul: QConv, QGemm, QMatMul, with biases checked or quantized and the input zero
/// point folded in. QConv takes an 8-bit input; QGemm also an int16 one (its exact int64 path); either may
/// write an int16 output. Two-activation MatMuls stay 8-bit.
/// </summary>
public sealed partial class IntegerLowering
{

    private bool LowerConv(Node conv)
    {
        var x = SourceOf(conv.Inputs[0]);
        var w = SourceOf(conv.Inputs[1]);
        if (x is null || w is null || !x.Parameters.IsPerTensor || !IsEightBit(x.Parameters) || !_graph.Tensor(w.Quantized).IsConstant) return false;
        if (!IsEightBit(w.Parameters) || !(w.Parameters.IsPerTensor || w.Parameters.Axis == 0)) return false;
        var bias = conv.HasInput(2) ? BiasOf(conv.Inputs[2], x.Parameters, w.Parameters) : null;
        if (conv.HasInput(2) && bias is null) return false;
        var result = QuantizedResult(conv.Outputs[0], allowActivation: true);
        if (result is null) return false;
        var (quantize, output, clampMin, clampMax, _) = result.Value;

        int channels = _graph.Tensor(w.Quantized).Shape[0];
        var attributes = Copy(conv, "dilations", "group", "kernel_shape", "strides");
        var pads = ExplicitPads(conv);
        if (pads is null) return false;
        RequantizationAttributes.Add(attributes, new Attribute("pads", AttributeKind.Ints, pads));
        RequantizationAttributes.Add(attributes, new Attribute("x_zero_point", AttributeKind.Int, (long)x.Parameters.ZeroPoint));
        RequantizationAttributes.Add(attributes, new Attribute("w_zero_point", AttributeKind.Ints, PerChannel(w.Parameters.ZeroPoints, channels)));
        foreach (var a in RequantizationAttributes.Create(_mode, x.Parameters.Scale, PerChannelScales(w.Parameters, channels), output, clampMin, clampMax).Values)
            RequantizationAttributes.Add(attributes, a);
        var weightValues = _graph.Tensor(w.Quantized).ConstantValue!;
        int perChannel = (int)(weightValues.ElementCount / channels);
        var folded = FoldBias(bias, weightValues, PerChannel(w.Parameters.ZeroPoints, channels), channels, i => i / perChannel, x.Parameters.ZeroPoint, conv);
        attributes[FoldedBias.AttributeName] = new Attribute(FoldedBias.AttributeName, AttributeKind.Int, 1L);
        Emit("QConv", [x.Quantized, w.Quantized, folded], quantize.Outputs[0], attributes, conv.Name);
        return true;
    }

    /// <summary>Resolves auto_pad to explicit begin/end pads from the static shapes, as Conv's inference does.</summary>
    private long[]? ExplicitPads(Node conv)
    {
        var autoPad = conv.GetString("auto_pad", "NOTSET");
        var inputShape = _graph.Tensor(conv.Inputs[0]).Shape;
        int spatial = inputShape.Rank - 2;
        if (autoPad is "NOTSET") return conv.GetInts("pads") ?? new long[2 * spatial];
        if (autoPad is "VALID") return new long[2 * spatial];
        var kernel = conv.GetInts("kernel_shape") ?? _graph.Tensor(conv.Inputs[1]).Shape.ToLongArray()[2..];
        var strides = conv.GetInts("strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = conv.GetInts("dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var pads = new long[2 * spatial];
        for (int i = 0; i < spatial; i++)
        {
            long input = inputShape[i + 2];
            long output = (input + strides[i] - 1) / strides[i];
            long total = Math.Max(0, (output - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input);
            long small = total / 2, large = total - small;
            (pads[i], pads[i + spatial]) = autoPad == "SAME_LOWER" ? (large, small) : (small, large);
        }
        return pads;
    }

    private bool LowerGemmOrMatMul(Node node)
    {
        var a = SourceOf(node.Inputs[0]);
        var b = SourceOf(node.Inputs[1]);
        if (a is null || b is null || !a.Parameters.IsPerTensor || !IsActivation(a.Parameters)) return false;
        var bInfo = _graph.Tensor(b.Quantized);

        if (node.OpType == "MatMul" && !bInfo.IsConstant)
        {
            // Two activations (e.g. attention's Q·Kᵀ): per-tensor 8-bit parameters on both sides and the output.
            if (!b.Parameters.IsPerTensor || !IsEightBit(a.Parameters) || !IsEightBit(b.Parameters)) return false;
            if (LowerShiftAttention(node, a, b)) return true;
            var r = QuantizedResult(node.Outputs[0], allowActivation: false);
            if (r is null || !IsEightBit(r.Value.Output)) return false;
            var attrs = new Dictionary<string, Attribute>(StringComparer.Ordinal)
            {
                ["a_zero_point"] = new("a_zero_point", AttributeKind.Int, (long)a.Parameters.ZeroPoint),
                ["b_zero_point"] = new("b_zero_point", AttributeKind.Int, (long)b.Parameters.ZeroPoint),
            };
            foreach (var attr in RequantizationAttributes.Create(_mode, a.Parameters.Scale * b.Parameters.Scale, null, r.Value.Output, r.Value.ClampMin, r.Value.ClampMax).Values)
                attrs[attr.Name] = attr;
            Emit("QMatMul", [a.Quantized, b.Quantized], r.Value.Quantize.Outputs[0], attrs, node.Name);
            return true;
        }

        if (!bInfo.IsConstant || bInfo.Shape.Rank != 2 || !IsEightBit(b.Parameters)) return false;
        bool transB = node.OpType == "Gemm" && node.GetInt("transB", 0) != 0;
        if (node.OpType == "Gemm" && (node.GetInt("transA", 0) != 0 || node.GetFloat("alpha", 1) != 1 || node.GetFloat("beta", 1) != 1)) return false;
        // Weight channels are the output columns N: axis 1 of [K, N], or axis 0 of a transposed [N, K].
        int channelAxis = transB ? 0 : 1;
        if (!b.Parameters.IsPerTensor && b.Parameters.Axis != channelAxis) return false;
        var bias = node.OpType == "Gemm" && node.HasInput(2) ? BiasOf(node.Inputs[2], a.Parameters, b.Parameters) : null;
        if (node.OpType == "Gemm" && node.HasInput(2) && bias is null) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: true);
        if (result is null) return false;
        var (quantize, output, clampMin, clampMax, _) = result.Value;

        var weights = bInfo.ConstantValue!;
        string weightName = b.Quantized;
        int n = bInfo.Shape[channelAxis];
        if (transB)
        {
            weights = TransposeMatrix(weights);
            weightName = _graph.UniqueName(b.Quantized + "_kn");
            _graph.Tensors[weightName] = new TensorInfo(weightName, weights.ElementType, weights.Shape, weights,
                b.Parameters.IsPerTensor ? b.Parameters : new QuantizationParameters(b.Parameters.StorageType, b.Parameters.Scales, b.Parameters.ZeroPoints, 1));
        }
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["a_zero_point"] = new("a_zero_point", AttributeKind.Int, (long)a.Parameters.ZeroPoint),
            ["w_zero_point"] = new("w_zero_point", AttributeKind.Ints, PerChannel(b.Parameters.ZeroPoints, n)),
        };
        foreach (var attr in RequantizationAttributes.Create(_mode, a.Parameters.Scale, PerChannelScales(b.Parameters, n), output, clampMin, clampMax).Values)
            attributes[attr.Name] = attr;
        var folded = FoldBias(bias, weights, PerChannel(b.Parameters.ZeroPoints, n), n, i => i % n, a.Parameters.ZeroPoint, node,
            exact: a.Parameters.StorageType == ElementType.Int16);
        attributes[FoldedBias.AttributeName] = new Attribute(FoldedBias.AttributeName, AttributeKind.Int, 1L);
        Emit("QGemm", [a.Quantized, weightName, folded], quantize.Outputs[0], attributes, node.Name);
        return true;
    }

    private static Tensor TransposeMatrix(Tensor m)
    {
        int rows = m.Shape[0], cols = m.Shape[1];
        var result = Tensor.Zeros(m.ElementType, new Shape(cols, rows));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Array.Copy(m.Data, r * cols + c, result.Data, c * rows + r, 1);
        return result;
    }

    /// <summary>
    /// The int32 bias tensor when its scale is s_x · s_w[c] (as quantizers write it) and its zero point 0.
    /// A float bias (not quantized) is quantized here at that scale, like ONNX Runtime's fused kernels do.
    /// </summary>
    private string? BiasOf(string tensor, QuantizationParameters x, QuantizationParameters w)
    {
        int channels = w.Scales.Length;
        var source = SourceOf(tensor);
        if (source is not null)
        {
            var p = source.Parameters;
            if (p.StorageType != ElementType.Int32 || !_graph.Tensor(source.Quantized).IsConstant || p.ZeroPoints.Any(z => z != 0)) return null;
            var values = _graph.Tensor(source.Quantized).ConstantValue!.As<int>();
            // Accept a bias whose scale is the product of input and weight scales to float32 rounding.
            for (int c = 0; c < values.Length; c++)
            {
                float expected = x.Scale * w.Scales[w.IsPerTensor ? 0 : c];
                float actual = p.Scales[p.IsPerTensor ? 0 : c];
                if (Math.Abs(actual - expected) > 1e-6 * Math.Abs(expected)) return null;
            }
            return source.Quantized;
        }
        var floatBias = _graph.Tensor(tensor).ConstantValue;
        if (floatBias is null || floatBias.ElementType != ElementType.Float32) return null;
        var f = floatBias.As<float>();
        var q = new int[f.Length];
        for (int c = 0; c < f.Length; c++)
        {
            double scaled = Math.Round(f[c] / (double)(x.Scale * w.Scales[w.IsPerTensor ? 0 : c]), MidpointRounding.ToEven);
            // A 16-bit input's fine step can make a large bias leave int32: keep the layer float rather than saturate it.
            if (x.StorageType == ElementType.Int16 && (scaled > int.MaxValue || scaled < int.MinValue)) return null;
            q[c] = (int)Math.Clamp(scaled, int.MinValue, int.MaxValue);
        }
        var name = _graph.UniqueName(tensor + "_int32");
        _graph.Tensors[name] = TensorInfo.ForConstant(name, Tensor.Create(floatBias.Shape, q));
        return name;
    }

    /// <summary>
    /// The bias with the input zero point's term folded in, B' = B − x_zp·Σ(w − w_zp) per output channel, as a
    /// new int32 constant (see <see cref="FoldedBias"/>): the plan's constants are what generated kernels use.
    /// With <paramref name="exact"/> (QGemm's int16 A, whose int64 accumulation must not wrap) B' is computed in
    /// int64 and must fit int32, else the layer is refused naming it.
    /// </summary>
    private string FoldBias(string? bias, Tensor weights, long[] weightZeroPoints, int channels, Func<int, int> channelOf, int xZeroPoint, Node layer, bool exact = false)
    {
        var zeroPoints = weightZeroPoints.Select(z => (int)z).ToArray();
        var biasValues = bias is null ? null : _graph.Tensor(bias).ConstantValue!.As<int>();
        int[] folded;
        if (exact)
        {
            var sums = FoldedBias.WideWeightSums(weights, zeroPoints, channels, channelOf);
            folded = new int[channels];
            for (int c = 0; c < channels; c++)
            {
                long value = (biasValues?[c] ?? 0) - (long)xZeroPoint * sums[c];
                if (value is < int.MinValue or > int.MaxValue)
                    throw OctetException.AtNode(layer,
                        $"the bias of output column {c} with the int16 input zero point {xZeroPoint} folded in is {value:N0}, outside int32");
                folded[c] = (int)value;
            }
        }
        else folded = FoldedBias.Apply(biasValues, FoldedBias.WeightSums(weights, zeroPoints, channels, channelOf), xZeroPoint, -1);
        var name = _graph.UniqueName(layer.Name + "_bias_folded");
        _graph.Tensors[name] = TensorInfo.ForConstant(name, Tensor.Create(new Shape(channels), folded));
        return name;
    }

    private static long[] PerChannel(int[] values, int channels) =>
        values.Length == 1 ? Enumerable.Repeat((long)values[0], channels).ToArray() : values.Select(v => (long)v).ToArray();

    private static float[] PerChannelScales(QuantizationParameters p, int channels) =>
        p.IsPerTensor ? Enumerable.Repeat(p.Scales[0], channels).ToArray() : p.Scales;
}
