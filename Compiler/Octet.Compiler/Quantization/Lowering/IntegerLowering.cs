using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Lowers a graph in QDQ form (made by <see cref="QdqQuantizer"/> or imported from a quantized model) to
/// Octet's integer operators: every float op whose inputs are dequantized int8 tensors and whose result is
/// quantized again becomes one integer op from the quantized inputs to the quantized output, with the
/// requantization constants computed here. What cannot be lowered stays float between its DequantizeLinear
/// and QuantizeLinear (mixed precision); <see cref="IntegerPlanCheck"/> says where float arithmetic remains.
/// </summary>
/// <remarks>
/// Patterns (x̂ = DequantizeLinear(x), Q = QuantizeLinear to the output's parameters):
/// <list type="bullet">
/// <item>Q(Conv(x̂, Ŵ, B̂) [→ Relu|Clip]) → QConv, the activation folded into the clamp bounds and the input
/// zero point's term folded into the bias (B' = B − x_zp·Σ(w − w_zp), see <see cref="FoldedBias"/>);</item>
/// <item>Q(Gemm(x̂, Ŵ, B̂) | MatMul(x̂, Ŵ) [→ Relu|Clip]) → QGemm (weights laid out [K, N], bias folded likewise);</item>
/// <item>Q(MatMul(â, b̂)) → QMatMul; Q(Add(â, b̂)) → QAdd; Q(Mul(â, b̂)) → QMul;</item>
/// <item>Q(f(x̂)) for an element-wise f of one tensor (Sigmoid, Tanh, Relu, HardSwish, Gelu, …) → Table of 256
/// entries, each f evaluated with its float reference kernel and rounded once;</item>
/// <item>Q(MaxPool | Reshape | Transpose | … (x̂)) → the same op on the int8 tensor (+ Requantize when the
/// parameters differ); Q(AveragePool | GlobalAveragePool(x̂)) → QAveragePool | QGlobalAveragePool;</item>
/// <item>Q(Concat(x̂₁, …)) → Concat of the inputs, each requantized to the output's parameters when they differ.</item>
/// </list>
/// </remarks>
public sealed class IntegerLowering
{
    private static readonly HashSet<string> ValuePreservingOps =
        ["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "MaxPool", "GlobalMaxPool", "Slice", "Gather", "Identity", "Dropout", "Expand"];

    private static readonly HashSet<string> TableOps =
        ["Sigmoid", "Tanh", "Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Exp", "Erf", "Gelu", "Clip", "Neg", "Abs", "Sqrt", "Log", "Reciprocal", "Softplus"];

    private readonly ModelGraph _graph;
    private readonly NumericsMode _mode;
    private readonly List<Node> _nodes = new();
    /// <summary>Activation and QuantizeLinear nodes folded into an integer op emitted earlier: dropped when reached.</summary>
    private readonly HashSet<Node> _absorbed = new();
    private int _nextName;

    private IntegerLowering(ModelGraph graph, NumericsMode mode)
    {
        _graph = graph;
        _mode = mode;
    }

    /// <summary>Returns a new graph; <paramref name="qdq"/> is left unchanged.</summary>
    public static ModelGraph Lower(ModelGraph qdq, NumericsMode mode)
    {
        var graph = qdq.Clone();
        graph.OpsetImports.TryAdd("octet", 1);
        var lowering = new IntegerLowering(graph, mode);
        lowering.Run();
        DeadNodeElimination.Run(graph);
        return graph;
    }

    /// <summary>A float tensor that is DequantizeLinear of a quantized one: where its integers live and what they mean.</summary>
    private sealed record Dequantized(string Quantized, QuantizationParameters Parameters, string ScaleName, string? ZeroPointName);

    /// <summary>Float tensors that lowering re-expressed as DequantizeLinear of an int8 tensor it produced.</summary>
    private readonly Dictionary<string, Dequantized> _views = new(StringComparer.Ordinal);

    /// <summary>Quantized tensors replaced by an equal one (QuantizeLinear of a view with the same parameters).</summary>
    private readonly Dictionary<string, string> _renamed = new(StringComparer.Ordinal);

    private void Run()
    {
        foreach (var original in _graph.Nodes)
        {
            if (_absorbed.Contains(original)) continue;
            var node = Rewire(original);
            if (!TryLower(node)) _nodes.Add(node);
        }
        for (int i = 0; i < _graph.Outputs.Count; i++)
            if (_renamed.TryGetValue(_graph.Outputs[i], out var replacement))
            {
                // A graph output keeps its name: copy the equal tensor into it.
                _nodes.Add(new Node(_graph.Outputs[i] + "_identity", "Identity", "", OperatorRegistry.Default.ResolveVersion("", "Identity", _graph.DefaultOpset)!.Value,
                    [replacement], [_graph.Outputs[i]], new Dictionary<string, Attribute>()));
            }
        _graph.Nodes.Clear();
        _graph.Nodes.AddRange(_nodes);
    }

    private Node Rewire(Node node) => node.Inputs.Any(_renamed.ContainsKey)
        ? new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, node.Inputs.Select(i => _renamed.GetValueOrDefault(i, i)).ToArray(), node.Outputs, node.Attributes)
        : node;

    private bool TryLower(Node node)
    {
        if (node.Domain.Length != 0) return false;
        if (node.OpType == "QuantizeLinear") return LowerQuantizeOfView(node);
        if (node.OpType == "ReduceMean") return LowerReduceMean(node);
        // The single QuantizeLinear the op's value reaches, possibly through a fusible activation.
        return node.OpType switch
        {
            "Conv" => LowerConv(node),
            "Gemm" or "MatMul" => LowerGemmOrMatMul(node),
            "Add" or "Mul" => LowerBinary(node),
            "AveragePool" or "GlobalAveragePool" => LowerAveragePool(node),
            "Concat" => LowerConcat(node),
            _ when ValuePreservingOps.Contains(node.OpType) || node.OpType == "Split" => LowerValuePreserving(node),
            _ when TableOps.Contains(node.OpType) => LowerTable(node),
            _ => false,
        };
    }

    // ---- Pattern helpers -------------------------------------------------------------------------

    /// <summary>The quantized source of a float tensor written by DequantizeLinear (any domain), or null.</summary>
    private Dequantized? SourceOf(string tensor)
    {
        if (tensor.Length == 0) return null;
        if (_views.TryGetValue(tensor, out var view)) return view;
        var producer = _graph.Producer(tensor);
        if (producer is null || producer.OpType != "DequantizeLinear") return null;
        var parameters = ParametersOf(producer);
        return parameters is null ? null
            : new Dequantized(_renamed.GetValueOrDefault(producer.Inputs[0], producer.Inputs[0]), parameters, producer.Inputs[1], producer.HasInput(2) ? producer.Inputs[2] : null);
    }

    /// <summary>Scale/zero-point/axis of a QuantizeLinear or DequantizeLinear node with constant parameters.</summary>
    private QuantizationParameters? ParametersOf(Node qdq)
    {
        var scale = _graph.Tensor(qdq.Inputs[1]).ConstantValue;
        if (scale is null || scale.ElementType != ElementType.Float32) return null;
        var quantizedType = qdq.OpType == "QuantizeLinear"
            ? (qdq.HasInput(2) ? _graph.Tensor(qdq.Inputs[2]).ElementType : ElementType.UInt8)
            : _graph.Tensor(qdq.Inputs[0]).ElementType;
        if (quantizedType is not (ElementType.Int8 or ElementType.UInt8 or ElementType.Int32)) return null;
        int[] zeroPoints;
        if (qdq.HasInput(2))
        {
            var zp = _graph.Tensor(qdq.Inputs[2]).ConstantValue;
            if (zp is null) return null;
            zeroPoints = zp.ToInt64Array().Select(v => (int)v).ToArray();
        }
        else zeroPoints = new int[scale.ElementCount];
        var scales = scale.As<float>();
        if (scales.Length == 1) return QuantizationParameters.PerTensor(quantizedType, scales[0], zeroPoints[0]);
        var rank = _graph.Tensor(qdq.Inputs[0]).Shape.Rank;
        int axis = (int)qdq.GetInt("axis", 1);
        if (axis < 0) axis += rank;
        return new QuantizationParameters(quantizedType, scales, zeroPoints, axis);
    }

    /// <summary>
    /// Follows a float result to the QuantizeLinear that consumes it (its only consumer), optionally through a
    /// Relu or constant-bound Clip. Returns the Q node, the quantized output name and clamp bounds.
    /// </summary>
    private (Node Quantize, QuantizationParameters Output, int ClampMin, int ClampMax, Node? Activation)? QuantizedResult(string tensor, bool allowActivation)
    {
        if (_graph.Outputs.Contains(tensor)) return null;
        var consumers = _graph.Consumers(tensor);
        if (consumers.Count != 1) return null;
        var next = consumers[0];
        Node? activation = null;
        if (allowActivation && next.Domain.Length == 0 && next.OpType is "Relu" or "Clip")
        {
            activation = next;
            if (_graph.Outputs.Contains(next.Outputs[0])) return null;
            var afterActivation = _graph.Consumers(next.Outputs[0]);
            if (afterActivation.Count != 1) return null;
            next = afterActivation[0];
        }
        if (next.OpType != "QuantizeLinear" || next.Inputs[0] != (activation?.Outputs[0] ?? tensor)) return null;
        var output = ParametersOf(next);
        if (output is null || !output.IsPerTensor || output.StorageType == ElementType.Int32) return null;

        int clampMin = output.QMin, clampMax = output.QMax;
        if (activation is not null)
        {
            var bounds = ActivationBounds(activation);
            if (bounds is null) return null;
            // Relu/Clip bounds in the output's integer domain: q = round(bound / s) + zp, clamped to the type.
            if (bounds.Value.Min is { } lo) clampMin = Math.Max(clampMin, QuantizationMath.Quantize(lo, output.Scale, output.ZeroPoint, output.QMin, output.QMax));
            if (bounds.Value.Max is { } hi) clampMax = Math.Min(clampMax, QuantizationMath.Quantize(hi, output.Scale, output.ZeroPoint, output.QMin, output.QMax));
        }
        return (next, output, clampMin, clampMax, activation);
    }

    private (float? Min, float? Max)? ActivationBounds(Node activation)
    {
        if (activation.OpType == "Relu") return (0f, null);
        if (activation.OpsetVersion < 11)
            return (activation.GetFloat("min", float.MinValue), activation.GetFloat("max", float.MaxValue));
        float? Read(int index)
        {
            if (!activation.HasInput(index)) return null;
            var value = _graph.Tensor(activation.Inputs[index]).ConstantValue;
            return value is null ? float.NaN : value.ToFloatArray()[0];
        }
        var (min, max) = (Read(1), Read(2));
        if (min is float.NaN || max is float.NaN) return null;
        return (min, max);
    }

    private void Emit(string opType, IReadOnlyList<string> inputs, string output, Dictionary<string, Attribute> attributes, string name)
    {
        _nodes.Add(new Node(name, opType, "octet", 1, inputs, [output], attributes));
        ClaimProducerOf(output);
    }

    /// <summary>
    /// The integer op now writes <paramref name="quantizedOutput"/>: the QuantizeLinear that wrote it, and the
    /// activation before that Q if it was folded, are dropped when the loop reaches them.
    /// </summary>
    private void ClaimProducerOf(string quantizedOutput)
    {
        var quantize = _graph.Producer(quantizedOutput);
        if (quantize is null || quantize.OpType != "QuantizeLinear") return;
        _absorbed.Add(quantize);
        var activation = _graph.Producer(quantize.Inputs[0]);
        if (activation is not null && activation.OpType is "Relu" or "Clip" && !_nodes.Contains(activation)) _absorbed.Add(activation);
    }

    private string FreshName(string stem) => _graph.UniqueName($"{stem}__{_nextName++}");

    private static Dictionary<string, Attribute> Copy(Node node, params string[] names)
    {
        var result = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        foreach (var name in names)
            if (node.Attributes.TryGetValue(name, out var a)) result[name] = a;
        return result;
    }

    // ---- Conv / Gemm ------------------------------------------------------------------------------

    private bool LowerConv(Node conv)
    {
        var x = SourceOf(conv.Inputs[0]);
        var w = SourceOf(conv.Inputs[1]);
        if (x is null || w is null || !x.Parameters.IsPerTensor || !_graph.Tensor(w.Quantized).IsConstant) return false;
        if (w.Parameters.StorageType == ElementType.Int32 || !(w.Parameters.IsPerTensor || w.Parameters.Axis == 0)) return false;
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
        var folded = FoldBias(bias, weightValues, PerChannel(w.Parameters.ZeroPoints, channels), channels, i => i / perChannel, x.Parameters.ZeroPoint, conv.Name);
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
        if (a is null || b is null || !a.Parameters.IsPerTensor) return false;
        var bInfo = _graph.Tensor(b.Quantized);

        if (node.OpType == "MatMul" && !bInfo.IsConstant)
        {
            // Two activations (e.g. attention's Q·Kᵀ): per-tensor parameters on both sides.
            if (!b.Parameters.IsPerTensor) return false;
            var r = QuantizedResult(node.Outputs[0], allowActivation: false);
            if (r is null) return false;
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

        if (!bInfo.IsConstant || bInfo.Shape.Rank != 2 || b.Parameters.StorageType == ElementType.Int32) return false;
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
        var folded = FoldBias(bias, weights, PerChannel(b.Parameters.ZeroPoints, n), n, i => i % n, a.Parameters.ZeroPoint, node.Name);
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
            q[c] = (int)Math.Clamp(Math.Round(f[c] / (double)(x.Scale * w.Scales[w.IsPerTensor ? 0 : c]), MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        var name = _graph.UniqueName(tensor + "_int32");
        _graph.Tensors[name] = TensorInfo.ForConstant(name, Tensor.Create(floatBias.Shape, q));
        return name;
    }

    /// <summary>
    /// The bias with the input zero point's term folded in, B' = B − x_zp·Σ(w − w_zp) per output channel, as a
    /// new int32 constant (see <see cref="FoldedBias"/>): the plan's constants are what generated kernels use.
    /// </summary>
    private string FoldBias(string? bias, Tensor weights, long[] weightZeroPoints, int channels, Func<int, int> channelOf, int xZeroPoint, string layer)
    {
        var zeroPoints = weightZeroPoints.Select(z => (int)z).ToArray();
        var sums = FoldedBias.WeightSums(weights, zeroPoints, channels, channelOf);
        var folded = FoldedBias.Apply(bias is null ? null : _graph.Tensor(bias).ConstantValue!.As<int>(), sums, xZeroPoint, -1);
        var name = _graph.UniqueName(layer + "_bias_folded");
        _graph.Tensors[name] = TensorInfo.ForConstant(name, Tensor.Create(new Shape(channels), folded));
        return name;
    }

    private static long[] PerChannel(int[] values, int channels) =>
        values.Length == 1 ? Enumerable.Repeat((long)values[0], channels).ToArray() : values.Select(v => (long)v).ToArray();

    private static float[] PerChannelScales(QuantizationParameters p, int channels) =>
        p.IsPerTensor ? Enumerable.Repeat(p.Scales[0], channels).ToArray() : p.Scales;

    // ---- Element-wise ----------------------------------------------------------------------------

    private bool LowerBinary(Node node)
    {
        if (node.Inputs.Count != 2) return false;
        var a = SourceOf(node.Inputs[0]);
        var b = SourceOf(node.Inputs[1]);
        if (a is null || b is null || !a.Parameters.IsPerTensor || !b.Parameters.IsPerTensor) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: node.OpType == "Add");
        if (result is null) return false;
        var (quantize, output, clampMin, clampMax, _) = result.Value;
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["a_zero_point"] = new("a_zero_point", AttributeKind.Int, (long)a.Parameters.ZeroPoint),
            ["b_zero_point"] = new("b_zero_point", AttributeKind.Int, (long)b.Parameters.ZeroPoint),
        };
        if (node.OpType == "Mul")
        {
            foreach (var attr in RequantizationAttributes.Create(_mode, a.Parameters.Scale * b.Parameters.Scale, null, output, clampMin, clampMax).Values)
                attributes[attr.Name] = attr;
            Emit("QMul", [a.Quantized, b.Quantized], quantize.Outputs[0], attributes, node.Name);
            return true;
        }
        if (_mode == NumericsMode.IntegerOnly)
        {
            // TFLite's scheme: both inputs are brought to a common scale 2·max(s_a, s_b) / 2^left_shift with
            // headroom, added exactly, and the sum requantized to the output.
            const int leftShift = 20;
            double twiceMax = 2.0 * Math.Max(a.Parameters.Scale, b.Parameters.Scale);
            var (am, ashift) = QuantizationMath.ToFixedPoint(a.Parameters.Scale / twiceMax);
            var (bm, bshift) = QuantizationMath.ToFixedPoint(b.Parameters.Scale / twiceMax);
            var (om, oshift) = QuantizationMath.ToFixedPoint(twiceMax / ((1 << leftShift) * (double)output.Scale));
            attributes["left_shift"] = new("left_shift", AttributeKind.Int, (long)leftShift);
            attributes["a_multiplier"] = new("a_multiplier", AttributeKind.Int, (long)am);
            attributes["a_shift"] = new("a_shift", AttributeKind.Int, (long)ashift);
            attributes["b_multiplier"] = new("b_multiplier", AttributeKind.Int, (long)bm);
            attributes["b_shift"] = new("b_shift", AttributeKind.Int, (long)bshift);
            attributes["requant"] = new("requant", AttributeKind.String, "fixed-point");
            attributes["multiplier"] = new("multiplier", AttributeKind.Ints, new long[] { om });
            attributes["shift"] = new("shift", AttributeKind.Ints, new long[] { oshift });
        }
        else
        {
            attributes["requant"] = new("requant", AttributeKind.String, "float");
            attributes["a_scale"] = new("a_scale", AttributeKind.Float, a.Parameters.Scale);
            attributes["b_scale"] = new("b_scale", AttributeKind.Float, b.Parameters.Scale);
            attributes["y_scale"] = new("y_scale", AttributeKind.Float, output.Scale);
        }
        attributes["y_zero_point"] = new("y_zero_point", AttributeKind.Int, (long)output.ZeroPoint);
        attributes["clamp_min"] = new("clamp_min", AttributeKind.Int, (long)clampMin);
        attributes["clamp_max"] = new("clamp_max", AttributeKind.Int, (long)clampMax);
        attributes["y_type"] = new("y_type", AttributeKind.Int, (long)output.StorageType);
        Emit("QAdd", [a.Quantized, b.Quantized], quantize.Outputs[0], attributes, node.Name);
        return true;
    }

    /// <summary>
    /// An element-wise function of one quantized tensor is exactly a 256-entry table: each possible input
    /// value is dequantized, the function evaluated by its float reference kernel, and quantized once.
    /// </summary>
    private bool LowerTable(Node node)
    {
        if (node.Inputs.Skip(1).Any(i => i.Length > 0 && !_graph.Tensor(i).IsConstant)) return false;
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || x.Parameters.StorageType == ElementType.Int32) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var output = result.Value.Output;

        int qmin = x.Parameters.QMin;
        var inputs = new float[256];
        for (int i = 0; i < 256; i++) inputs[i] = (qmin + i - x.Parameters.ZeroPoint) * x.Parameters.Scale;
        var definition = OperatorRegistry.Default.Find("", node.OpType)!;
        var probe = new Node(node.Name, node.OpType, "", node.OpsetVersion, node.Inputs, node.Outputs, node.Attributes);
        var values = new List<Tensor?> { Tensor.Create(new Shape(256), inputs) };
        values.AddRange(node.Inputs.Skip(1).Select(i => i.Length == 0 ? null : _graph.Tensor(i).ConstantValue));
        var context = new KernelContext(probe, values);
        Analysis.ShapeInference.Guard(node, "table construction", () => definition.Execute(context));
        var y = context.Output(0)!.As<float>();
        var table = new long[256];
        for (int i = 0; i < 256; i++) table[i] = QuantizationMath.Quantize(y[i], output.Scale, output.ZeroPoint, output.QMin, output.QMax);

        Emit("Table", [x.Quantized], result.Value.Quantize.Outputs[0], new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["table"] = new("table", AttributeKind.Ints, table),
            ["y_type"] = new("y_type", AttributeKind.Int, (long)output.StorageType),
        }, node.Name);
        return true;
    }

    // ---- Data movement and pooling ----------------------------------------------------------------

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
                if (!(ValuePreservingOps.Contains(consumer.OpType) || consumer.OpType == "Split") || consumer.Inputs[0] != current) return null;
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
