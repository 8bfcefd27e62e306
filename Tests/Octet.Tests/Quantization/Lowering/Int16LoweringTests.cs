using Octet.Compiler.Analysis;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Xunit;
using Xunit.Abstractions;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Quantization.Lowering;

/// <summary>
/// Lowering of hand-built QDQ graphs with 16-bit activations — a residual block in the shape of issue 6's row 9a:
/// an int16 stream, an 8-bit pre-LN LayerNorm output feeding linear layers, a writer (Gemm → int16) added into
/// the stream, a post-LN LayerNorm with an int16 output and its 8-bit copy for the next linear layer, an int16 +
/// int8 Add, int16 data movement, a head Gemm reading the int16 stream and an int16 Tanh. int16 Q/DQ nodes are
/// ONNX Runtime's com.microsoft forms at opset 17 and ONNX's own at opset 21.
/// Checked: the plan is integer-only (<see cref="IntegerPlanCheck"/>), uses the int16 operators where expected,
/// and every integer op, run on the QDQ model's own quantized inputs, gives the QDQ model's quantized output to
/// within 1 LSB (one requantization each; data movement and tables exactly).
/// </summary>
public sealed class Int16LoweringTests(ITestOutputHelper output)
{
    private const int Tokens = 6, Width = 16, Hidden = 24, Classes = 5;

    [Theory]
    [InlineData(17)]
    [InlineData(21)]
    public void A_residual_block_with_int16_activations_lowers_to_an_integer_only_plan(int opset)
    {
        var qdq = Int16Block.Build(opset, new Random(7));
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly);
        Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(plan));

        var types = plan.Nodes.ToDictionary(n => n.Name, n => (Op: n.OpType, In: n.Inputs.Where(i => i.Length > 0).Select(i => plan.Tensor(i).ElementType).ToArray(), Out: plan.Tensor(n.Outputs[0]).ElementType));
        output.WriteLine(string.Join("\n", plan.Nodes.Select(n => $"{n.OpType} {n.Name}: {string.Join(", ", types[n.Name].In)} → {types[n.Name].Out}")));
        Assert.Contains(types.Values, t => t.Op == "ILayerNorm" && t.In[0] == ElementType.Int16 && t.Out == ElementType.Int8);
        Assert.Contains(types.Values, t => t.Op == "ILayerNorm" && t.In[0] == ElementType.Int16 && t.Out == ElementType.Int16);
        Assert.Contains(types.Values, t => t.Op == "QGemm" && t.In[0] == ElementType.Int8 && t.Out == ElementType.Int16);
        Assert.Contains(types.Values, t => t.Op == "QGemm" && t.In[0] == ElementType.Int16 && t.Out == ElementType.Int16);
        Assert.Contains(types.Values, t => t.Op == "QAdd" && t.In[0] == ElementType.Int16 && t.In[1] == ElementType.Int16 && t.Out == ElementType.Int16);
        Assert.Contains(types.Values, t => t.Op == "QAdd" && t.In.Contains(ElementType.Int8) && t.Out == ElementType.Int16);
        Assert.Contains(types.Values, t => t.Op == "Requantize" && t.In[0] == ElementType.Int16 && t.Out == ElementType.Int8);
        Assert.Contains(types.Values, t => t.Op == "Transpose" && t.In[0] == ElementType.Int16);
        Assert.Contains(plan.Nodes, n => n.OpType == "Table" && n.GetInts("table")!.Length == 65536);
        Assert.All(plan.Nodes.Where(n => n.OpType == "QAdd"), n => Assert.Equal(15, n.GetInt("left_shift")));

        var random = new Random(8);
        var simulated = new ReferenceExecutor(qdq);
        var integer = new ReferenceExecutor(plan);
        var perOperator = new Dictionary<string, int>(StringComparer.Ordinal);
        double finalError = 0;
        float outputStep = Int16Block.OutputScale(qdq);
        for (int sample = 0; sample < 8; sample++)
        {
            var inputs = new Dictionary<string, Tensor> { ["x"] = Int16Block.RandomInput(random) };
            var qdqValues = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var expected = simulated.Run(inputs, (name, value) => qdqValues[name] = value);
            var actual = integer.Run(inputs);
            // Each op alone on the QDQ model's quantized values; tensors only the plan has (the int16 results of its
            // data movement) are computed from those, in plan order, so no op sees another op's rounding.
            var reference = new Dictionary<string, Tensor>(qdqValues, StringComparer.Ordinal);
            foreach (var (name, value) in inputs) reference[name] = value;
            foreach (var node in plan.Nodes)
            {
                var operands = node.Inputs.Select(i => i.Length == 0 ? null : plan.Tensor(i).ConstantValue ?? reference[i]).ToList();
                var context = new KernelContext(node, operands);
                ShapeInference.Resolve(node, plan, OperatorRegistry.Default).Execute(context);
                var result = context.Output(0)!;
                if (!qdqValues.TryGetValue(node.Outputs[0], out var expectedValue))
                {
                    reference[node.Outputs[0]] = result;
                    continue;
                }
                if (node.Domain != "octet") continue;
                int error = MaxDifference(expectedValue, result);
                string key = $"{node.OpType} {string.Join("+", operands.Where(o => o is not null).Take(2).Select(o => o!.ElementType.OnnxName()))}→{expectedValue.ElementType.OnnxName()}";
                perOperator[key] = Math.Max(perOperator.GetValueOrDefault(key), error);
            }
            var y = expected[qdq.Outputs[0]].As<float>();
            var z = actual[qdq.Outputs[0]].As<float>();
            for (int i = 0; i < y.Length; i++) finalError = Math.Max(finalError, Math.Abs(y[i] - z[i]) / outputStep);
        }
        foreach (var (key, error) in perOperator.OrderBy(p => p.Key)) output.WriteLine($"{key}: max {error} LSB against the QDQ model");
        output.WriteLine($"final output (int16 Tanh, dequantized): max {finalError:0.##} output LSB between the integer plan and the QDQ model");
        Assert.True(perOperator.Count >= 10, "every integer op should be compared");
        Assert.All(perOperator, p => Assert.True(p.Value <= (p.Key.StartsWith("Table") ? 0 : 1), $"{p.Key}: {p.Value} LSB"));
    }

    /// <summary>
    /// Constants written into a 16-bit stream — an embedding table gathered by token ids, a class token concatenated
    /// in front — are quantized at compile time at the int16 output's parameters: the plan has no float node, and
    /// since the QDQ model rounds those constants with the same parameters, its output is reproduced exactly
    /// (the Add between them is the only requantization: ≤ 1 LSB).
    /// </summary>
    [Theory]
    [InlineData(17)]
    [InlineData(21)]
    public void Constants_gathered_or_concatenated_into_an_int16_stream_are_quantized_at_compile_time(int opset)
    {
        var random = new Random(12);
        var table = Enumerable.Range(0, 10 * Width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var token = Enumerable.Range(0, Width).Select(_ => (float)(random.NextDouble() * 3 - 1.5)).ToArray();
        ModelGraph Graph(Dictionary<string, (float Min, float Max)>? ranges)
        {
            var b = new Builder(opset, ranges);
            var x = b.Quantize(b.Input("x", Tokens, Width), wide: true);
            var ids = b.Input("ids", ElementType.Int64, Tokens);
            var embedded = b.Quantize(b.Op("Gather", [b.FloatConstant("table", new Shape(10, Width), table), ids], "embedded", new Attribute("axis", AttributeKind.Int, 0L)), wide: true);
            var sum = b.Quantize(b.Op("Add", [x, embedded], "sum"), wide: true);
            var tokens = b.Quantize(b.Op("Concat", [b.FloatConstant("cls", new Shape(1, Width), token), sum], "tokens", new Attribute("axis", AttributeKind.Int, 0L)), wide: true);
            return b.Build(tokens);
        }
        Dictionary<string, Tensor> Inputs(Random r) => new()
        {
            ["x"] = Int16Block.RandomInput(r),
            ["ids"] = Tensor.Create(new Shape(Tokens), Enumerable.Range(0, Tokens).Select(_ => (long)r.Next(10)).ToArray()),
        };
        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal) { ["x"] = (-2, 2) };
        var floatRun = new ReferenceExecutor(Graph(null));
        var calibration = new Random(13);
        for (int i = 0; i < 6; i++)
            floatRun.Run(Inputs(calibration), (name, value) =>
            {
                var data = value.As<float>();
                var (min, max) = ranges.GetValueOrDefault(name, (float.MaxValue, float.MinValue));
                ranges[name] = (Math.Min(min, data.Min()), Math.Max(max, data.Max()));
            });
        var qdq = Graph(ranges);
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly);
        output.WriteLine(string.Join("\n", plan.Nodes.Select(n => $"{n.Describe()}: {string.Join(", ", n.Inputs.Select(i => plan.Tensor(i).ElementType.OnnxName()))}")));
        Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(plan));
        Assert.Contains(plan.Nodes, n => n.OpType == "Gather" && plan.Tensor(n.Inputs[0]) is { ElementType: ElementType.Int16, IsConstant: true });
        Assert.Contains(plan.Nodes, n => n.OpType == "Concat" && n.Inputs.All(i => plan.Tensor(i).ElementType == ElementType.Int16) && n.Inputs.Any(i => plan.Tensor(i).IsConstant));

        var simulated = new ReferenceExecutor(qdq);
        var integer = new ReferenceExecutor(plan);
        var check = new Random(14);
        int worstSum = 0, worstOther = 0;
        for (int sample = 0; sample < 10; sample++)
        {
            var inputs = Inputs(check);
            var qdqValues = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            simulated.Run(inputs, (name, value) => qdqValues[name] = value);
            var planValues = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            integer.Run(inputs, (name, value) => planValues[name] = value);
            worstOther = Math.Max(worstOther, MaxDifference(qdqValues["embedded_quantized"], planValues["embedded_quantized"]));
            worstSum = Math.Max(worstSum, MaxDifference(qdqValues["sum_quantized"], planValues["sum_quantized"]));
            // The Concat on the QDQ model's own sum: the class token rows and the moved rows exactly.
            var concat = plan.Nodes.Single(n => n.OpType == "Concat");
            var operands = concat.Inputs.Select(i => plan.Tensor(i).ConstantValue ?? qdqValues[i]).ToList();
            var context = new KernelContext(concat, operands);
            ShapeInference.Resolve(concat, plan, OperatorRegistry.Default).Execute(context);
            worstOther = Math.Max(worstOther, MaxDifference(qdqValues["tokens_quantized"], context.Output(0)!));
        }
        output.WriteLine($"Gather and Concat of int16 constants: max {worstOther} LSB; the Add: max {worstSum} LSB against the QDQ model");
        Assert.Equal(0, worstOther);
        Assert.True(worstSum <= 1);
    }

    private static int MaxDifference(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.ElementType, actual.ElementType);
        var a = Operators.Integer.Int16Values.Values(expected);
        var b = Operators.Integer.Int16Values.Values(actual);
        return a.Zip(b, (p, q) => Math.Abs(p - q)).DefaultIfEmpty(0).Max();
    }

    [Fact]
    public void More_than_1290_channels_of_an_int16_LayerNorm_input_are_refused_naming_the_node()
    {
        var qdq = Int16Block.Build(17, new Random(7), width: 1291, hidden: 4);
        var error = Assert.Throws<Octet.Compiler.Diagnostics.OctetException>(() => IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly));
        Assert.Contains("ln1", error.Message);
        Assert.Contains("at most 1290", error.Message);
    }

    /// <summary>The QDQ graph: calibrated on random inputs (MinMax; int16 symmetric with the range × 2 as headroom).</summary>
    private static class Int16Block
    {
        public static Tensor RandomInput(Random random, int width = Width) =>
            Tensor.Create(new Shape(Tokens, width), Enumerable.Range(0, Tokens * width).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray());

        public static float OutputScale(ModelGraph qdq) =>
            qdq.Tensor(qdq.Nodes.Single(n => n.Outputs[0] == qdq.Outputs[0]).Inputs[1]).ConstantValue!.As<float>()[0];

        public static ModelGraph Build(int opset, Random random, int width = Width, int hidden = Hidden)
        {
            var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
            float[] Values(string name, int count, double range) =>
                weights.TryGetValue(name, out var v) ? v : weights[name] = Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * range)).ToArray();
            // Pass 1: the float graph, recording every tensor the QDQ graph quantizes; pass 2: QDQ with their ranges.
            var floatGraph = Graph(opset, null, width, hidden, Values);
            var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
            var executor = new ReferenceExecutor(floatGraph);
            var calibration = new Random(3);
            for (int i = 0; i < 6; i++)
                executor.Run(new Dictionary<string, Tensor> { ["x"] = RandomInput(calibration, width) }, (name, value) =>
                {
                    var data = value.As<float>();
                    var (min, max) = ranges.GetValueOrDefault(name, (float.MaxValue, float.MinValue));
                    ranges[name] = (Math.Min(min, data.Min()), Math.Max(max, data.Max()));
                });
            ranges["x"] = (-2, 2); // the input's own range (RandomInput), which the observer does not see
            return Graph(opset, ranges, width, hidden, Values);
        }

        private static ModelGraph Graph(int opset, Dictionary<string, (float Min, float Max)>? ranges, int width, int hidden,
            Func<string, int, double, float[]> values)
        {
            var b = new Builder(opset, ranges);
            var x = b.Input("x", Tokens, width);
            var s0 = b.Quantize(x, wide: true);
            var ln1 = b.Quantize(b.LayerNorm("ln1", s0, values("g1", width, 1), values("b1", width, 0.2)), wide: false);
            var h = b.Quantize(b.Gemm("fc1", ln1, values("w1", width * hidden, 0.4), width, hidden, values("c1", hidden, 0.3)), wide: false);
            var g = b.Quantize(b.Op("Sigmoid", [h], "sigmoid"), wide: false);
            var o = b.Quantize(b.Gemm("fc2", g, values("w2", hidden * width, 0.4), hidden, width, values("c2", width, 0.3)), wide: true);
            var s1 = b.Quantize(b.Op("Add", [s0, o], "residual1"), wide: true);
            var ln2 = b.Quantize(b.LayerNorm("ln2", s1, values("g2", width, 1), values("b2", width, 0.2)), wide: true);
            var copy = b.Quantize(ln2, wide: false, name: "ln2_copy");
            var p = b.Quantize(b.Gemm("proj", copy, values("w3", width * width, 0.4), width, width, values("c3", width, 0.3)), wide: false);
            var s2 = b.Quantize(b.Op("Add", [ln2, p], "residual2"), wide: true);
            var t = b.Op("Transpose", [s2], "transpose", new Attribute("perm", AttributeKind.Ints, new long[] { 1, 0 }));
            var back = b.Op("Transpose", [t], "transpose_back", new Attribute("perm", AttributeKind.Ints, new long[] { 1, 0 }));
            var head = b.Quantize(b.Gemm("head", b.Quantize(back, wide: true), values("w4", width * Classes, 0.3), width, Classes, values("c4", Classes, 0.1)), wide: true);
            var y = b.Quantize(b.Op("Tanh", [head], "tanh"), wide: true);
            return b.Build(y);
        }
    }

    /// <summary>Builds a float graph, or (with ranges) its QDQ form: QuantizeLinear → DequantizeLinear where asked.</summary>
    private sealed class Builder(int opset, Dictionary<string, (float Min, float Max)>? ranges)
    {
        private readonly List<Node> _nodes = [];
        private readonly Dictionary<string, TensorInfo> _tensors = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _opsets = new() { [""] = opset, ["com.microsoft"] = 1 };
        private readonly Dictionary<string, string> _origin = new(StringComparer.Ordinal);
        private int _next;

        private readonly List<string> _inputs = [];

        public string Input(string name, params int[] shape) => Input(name, ElementType.Float32, shape);

        public string Input(string name, ElementType type, params int[] shape)
        {
            _tensors[name] = new TensorInfo(name, type, new Shape(shape));
            _inputs.Add(name);
            return name;
        }

        /// <summary>A float constant input of an op (a class token, an embedding table).</summary>
        public string FloatConstant(string stem, Shape shape, float[] values) => Constant(stem, Tensor.Create(shape, values));

        private string Constant(string stem, Tensor value)
        {
            var name = $"{stem}_{_next++}";
            _tensors[name] = TensorInfo.ForConstant(name, value);
            return name;
        }

        public string Op(string opType, string[] inputs, string output, params Attribute[] attributes)
        {
            int version = OperatorRegistry.Default.ResolveVersion("", opType, opset) ?? throw new InvalidOperationException(opType);
            _nodes.Add(new Node(output + "_node", opType, "", version, inputs, [output], attributes.ToDictionary(a => a.Name)));
            return output;
        }

        public string LayerNorm(string name, string x, float[] gamma, float[] beta) =>
            Op("LayerNormalization", [x, Constant(name + "_gamma", Tensor.Create(new Shape(gamma.Length), gamma)), Constant(name + "_beta", Tensor.Create(new Shape(beta.Length), beta))],
                name, new Attribute("epsilon", AttributeKind.Float, 1e-5f), new Attribute("axis", AttributeKind.Int, -1L));

        /// <summary>Gemm with W [K, N] (int8 per column, symmetric, when quantizing) and a float bias.</summary>
        public string Gemm(string name, string a, float[] w, int k, int n, float[] bias)
        {
            string weights;
            var shape = new Shape(k, n);
            if (ranges is null) weights = Constant(name + "_w", Tensor.Create(shape, w));
            else
            {
                var scales = new float[n];
                for (int c = 0; c < n; c++)
                {
                    float absMax = 0;
                    for (int r = 0; r < k; r++) absMax = Math.Max(absMax, Math.Abs(w[r * n + c]));
                    scales[c] = absMax / 127;
                }
                var q = new sbyte[k * n];
                for (int i = 0; i < q.Length; i++) q[i] = (sbyte)QuantizationMath.Quantize(w[i], scales[i % n], 0, -127, 127);
                weights = name + "_w_dequantized";
                Dequantize(Constant(name + "_wq", Tensor.Create(shape, q)), Constant(name + "_ws", Tensor.Create(new Shape(n), scales)),
                    Constant(name + "_wz", Tensor.Create(new Shape(n), new sbyte[n])), weights, ElementType.Int8, axis: 1);
            }
            return Op("Gemm", [a, weights, Constant(name + "_b", Tensor.Create(new Shape(n), bias))], name);
        }

        /// <summary>Q → DQ of a float tensor (nothing in the float pass). int16: symmetric, range × 2; 8-bit: int8 MinMax.</summary>
        public string Quantize(string x, bool wide, string? name = null)
        {
            if (ranges is null) return x;
            // A second quantization of an already dequantized tensor (the 8-bit copy) uses the float tensor's range.
            var (min, max) = ranges[_origin.GetValueOrDefault(x, x)];
            var parameters = wide
                ? QuantizationParameters.PerTensor(ElementType.Int16, 2 * Math.Max(Math.Abs(min), Math.Abs(max)) / 32767, 0)
                : QuantizationMath.FromRange(min, max, ElementType.Int8, symmetric: false);
            var type = parameters.StorageType;
            var scale = Constant(x + "_scale", Tensor.Scalar(parameters.Scale));
            var zeroPoint = Constant(x + "_zp", type == ElementType.Int16 ? Tensor.Scalar((short)parameters.ZeroPoint) : Tensor.Scalar((sbyte)parameters.ZeroPoint));
            var quantized = (name ?? x) + "_quantized";
            var (domain, version) = Domain(type, "QuantizeLinear");
            _nodes.Add(new Node(quantized + "_node", "QuantizeLinear", domain, version, [x, scale, zeroPoint], [quantized], new Dictionary<string, Attribute>()));
            var dequantized = (name ?? x) + "_dequantized";
            Dequantize(quantized, scale, zeroPoint, dequantized, type);
            _origin[dequantized] = _origin.GetValueOrDefault(x, x);
            return dequantized;
        }

        private void Dequantize(string quantized, string scale, string zeroPoint, string output, ElementType type, int? axis = null)
        {
            var (domain, version) = Domain(type, "DequantizeLinear");
            var attributes = axis is null ? new Dictionary<string, Attribute>() : new Dictionary<string, Attribute> { ["axis"] = new("axis", AttributeKind.Int, (long)axis) };
            _nodes.Add(new Node(output + "_node", "DequantizeLinear", domain, version, [quantized, scale, zeroPoint], [output], attributes));
        }

        /// <summary>int16 before opset 21: ONNX Runtime's com.microsoft forms; otherwise ONNX's.</summary>
        private (string Domain, int Version) Domain(ElementType type, string opType) =>
            type == ElementType.Int16 && opset < 21 ? ("com.microsoft", 1) : ("", OperatorRegistry.Default.ResolveVersion("", opType, opset)!.Value);

        public ModelGraph Build(string output)
        {
            var graph = new ModelGraph("int16-block", "int16-block.test", _opsets, _nodes, _tensors, _inputs, [output]);
            ShapeInference.Run(graph);
            Assert.True(graph.IsShapeInferred);
            return graph;
        }
    }
}
