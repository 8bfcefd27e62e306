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
/// <para>16-bit activations (integer-only transformers): DequantizeLinear / QuantizeLinear of int16 tensors (ONNX
/// opset ≥ 21 or the com.microsoft forms) lower by the same patterns wherever the integer operator takes int16
/// (see each operator's doc): QGemm with an int16 A (int64 accumulation), QConv / QGemm writing an int16 output,
/// QAdd of int16 operands (with the largest exact <c>left_shift</c>, <see cref="QAdd.LargestExactLeftShift"/>),
/// ILayerNorm int16 → int16 / 8-bit, Table of 65,536 entries for an int16 input, data movement on int16, and the
/// 8-bit copy of a 16-bit tensor, Q8(DQ16(x)), as Requantize int16 → int8. Operators that stay 8-bit (Softmax,
/// GELU's IGelu, attention's QMatMul, QMul, pooling) are only matched on 8-bit tensors; an int16 GELU input becomes
/// the exact Table instead of IGelu.</para>
/// <para>Float constants that reach a QuantizeLinear only through data movement are quantized at compile time
/// (integer-only numerics), exactly the QDQ model's rounding of them: a Concat input (ViT's class token) and a
/// Gather table (BERT's embeddings), at the output's parameters, for 8- and 16-bit outputs alike.</para>
/// </remarks>
public sealed partial class IntegerLowering
{
    private static readonly HashSet<string> TableOps =
        ["Sigmoid", "Tanh", "Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Exp", "Erf", "Gelu", "Clip", "Neg", "Abs", "Sqrt", "Log", "Reciprocal"];

    private readonly ModelGraph _graph;
    private readonly NumericsMode _mode;
    private readonly TransformerLoweringOptions _transformer;
    private readonly List<Node> _nodes = new();
    /// <summary>Activation and QuantizeLinear nodes folded into an integer op emitted earlier: dropped when reached.</summary>
    private readonly HashSet<Node> _absorbed = new();
    private int _nextName;

    private IntegerLowering(ModelGraph graph, NumericsMode mode, TransformerLoweringOptions transformer)
    {
        _graph = graph;
        _mode = mode;
        _transformer = transformer;
    }

    /// <summary>Returns a new graph; <paramref name="qdq"/> is left unchanged.</summary>
    /// <param name="transformer">Softmax and GELU methods (integer-only numerics); null for the defaults.</param>
    public static ModelGraph Lower(ModelGraph qdq, NumericsMode mode, TransformerLoweringOptions? transformer = null)
    {
        var graph = qdq.Clone();
        graph.OpsetImports.TryAdd("octet", 1);
        var lowering = new IntegerLowering(graph, mode, transformer ?? new TransformerLoweringOptions());
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
        // int16 QuantizeLinear may be ONNX Runtime's com.microsoft form (opsets before 21): a Q∘DQ pair all the same.
        if (node.OpType == "QuantizeLinear" && IsQdqDomain(node.Domain)) return LowerQuantizeOfView(node);
        if (node.Domain.Length != 0) return false;
        if (node.OpType == "ReduceMean") return LowerReduceMean(node);
        // The single QuantizeLinear the op's value reaches, possibly through a fusible activation.
        return node.OpType switch
        {
            "Conv" => LowerConv(node),
            "Gemm" or "MatMul" => LowerGemmOrMatMul(node),
            "Add" or "Mul" or "Sub" or "Div" when HasFloatConstantOperand(node) => LowerConstantOperand(node),
            "Add" or "Mul" => LowerBinary(node),
            "AveragePool" or "GlobalAveragePool" => LowerAveragePool(node),
            "Concat" => LowerConcat(node),
            "Gather" when _graph.Tensor(node.Inputs[0]).ConstantValue is { ElementType: ElementType.Float32 } => LowerGatherOfConstant(node),
            "Cast" => LowerCastOfIntegers(node),
            "Softmax" => LowerSoftmax(node),
            "LayerNormalization" => LowerLayerNorm(node),
            "Gelu" => LowerGelu(node),
            "Where" => LowerWhere(node),
            _ when DataMovementOps.Names.Contains(node.OpType) => LowerValuePreserving(node),
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
        if (quantizedType is not (ElementType.Int8 or ElementType.UInt8 or ElementType.Int16 or ElementType.Int32)) return null;
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

    /// <summary>The domains QuantizeLinear / DequantizeLinear come in: ONNX's, and ONNX Runtime's com.microsoft (int16 before opset 21).</summary>
    private static bool IsQdqDomain(string domain) => domain.Length == 0 || domain == MicrosoftDomain;

    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>int8 or uint8: what the operators that stay 8-bit take and write.</summary>
    private static bool IsEightBit(QuantizationParameters parameters) =>
        parameters.StorageType is ElementType.Int8 or ElementType.UInt8;

    /// <summary>int8, uint8 or int16: a quantized activation (not an int32 bias).</summary>
    private static bool IsActivation(QuantizationParameters parameters) =>
        parameters.StorageType is ElementType.Int8 or ElementType.UInt8 or ElementType.Int16;

    private string FreshName(string stem) => _graph.UniqueName($"{stem}__{_nextName++}");

    private static Dictionary<string, Attribute> Copy(Node node, params string[] names)
    {
        var result = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        foreach (var name in names)
            if (node.Attributes.TryGetValue(name, out var a)) result[name] = a;
        return result;
    }
}
