using Octet.Compiler.Analysis;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Quantization;
using Octet.Compiler.Reference;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Integer plans built directly as graphs (nodes in domain "octet", version 1, with ordinary ONNX Reshape on
/// int8 between them) run end to end through shape inference and the <see cref="ReferenceExecutor"/>.
/// </summary>
public sealed class IntegerGraphTests
{
    private sealed class GraphBuilder
    {
        private readonly List<Node> _nodes = [];
        private readonly Dictionary<string, TensorInfo> _tensors = new(StringComparer.Ordinal);
        private readonly List<string> _inputs = [];
        private readonly List<string> _outputs = [];
        private static readonly Dictionary<string, int> Opsets = new() { [""] = 17, ["octet"] = 1 };

        public GraphBuilder Input(string name, ElementType type, params int[] shape)
        {
            _tensors[name] = new TensorInfo(name, type, new Shape(shape));
            _inputs.Add(name);
            return this;
        }

        public GraphBuilder Constant(string name, Tensor value)
        {
            _tensors[name] = TensorInfo.ForConstant(name, value);
            return this;
        }

        public GraphBuilder Add(string domain, string opType, string[] inputs, string output, IEnumerable<Attribute> attributes)
        {
            int version = OperatorRegistry.Default.ResolveVersion(domain, opType, Opsets[domain]) ?? throw new InvalidOperationException(opType);
            _nodes.Add(new Node($"{opType}_{_nodes.Count}", opType, domain, version, inputs, [output], attributes.ToDictionary(a => a.Name)));
            return this;
        }

        public GraphBuilder Output(string name)
        {
            _outputs.Add(name);
            return this;
        }

        public ModelGraph Build()
        {
            var graph = new ModelGraph("integer-plan", "integer-plan.test", Opsets, _nodes, _tensors, _inputs, _outputs);
            ShapeInference.Run(graph);
            Assert.True(graph.IsShapeInferred);
            return graph;
        }
    }

    [Fact]
    public void A_small_hand_computed_plan_runs_exactly()
    {
        // x (int8, zp 0) → QConv (1-D, kernel 1, weight 2, bias 1, M = 1/2) → Requantize to uint8 (M = 1, y_zp 128) → Table.
        // By hand for x = [−3, 0, 4, 100]: acc = 2x + 1 = [−5, 1, 9, 201]; · 1/2 with ties up: [−2, 1, 5, 101]
        // (−2.5 → −2, 0.5 → 1, 4.5 → 5, 100.5 → 101); Requantize: [126, 129, 133, 229];
        // Table entry i = ⌊i / 2⌋ − 64 (a uint8 input indexes by its value): [−1, 0, 2, 50].
        var table = Enumerable.Range(0, 256).Select(i => (long)(i / 2 - 64)).ToArray();
        var graph = new GraphBuilder()
            .Input("x", ElementType.Int8, 1, 1, 4)
            .Constant("w", Tensor.Create(new Shape(1, 1, 1), new sbyte[] { 2 }))
            .Constant("b", Tensor.Create(new Shape(1), new[] { 1 }))
            .Add("octet", "QConv", ["x", "w", "b"], "conv", FixedPoint(ElementType.Int8, 0, [0.5]))
            .Add("octet", "Requantize", ["conv"], "shifted", FixedPoint(ElementType.UInt8, 128, [1.0]))
            .Add("octet", "Table", ["shifted"], "y", [Ints("table", table), Int("y_type", 3)])
            .Output("y")
            .Build();
        var y = new ReferenceExecutor(graph).Run(new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(new Shape(1, 1, 4), new sbyte[] { -3, 0, 4, 100 }),
        })["y"];
        Assert.Equal(new sbyte[] { -1, 0, 2, 50 }, y.As<sbyte>());
    }

    [Fact]
    public void Every_integer_operator_runs_in_one_plan_through_the_reference_executor()
    {
        // The plan: QConv (fixed-point, per channel, Relu clamp) → QAveragePool → Requantize to uint8 → Table →
        // QAdd with the pool output → QMul → QGlobalAveragePool; Reshape (ONNX, int8) → QGemm (float mode); and
        // QMatMul of two reshaped activations. What is checked: shape inference accepts the plan, the executor
        // runs it and every tensor it produces is 8-bit (no float anywhere between input and output), and each
        // node's result equals its kernel applied by hand to the executor's own inputs — so the executor feeds
        // every node the right tensors, constants and attributes. (Each kernel's arithmetic is checked against
        // independent definitions in the per-operator tests.)
        var random = new Random(41);
        var builder = new GraphBuilder()
            .Input("x", ElementType.Int8, 1, 2, 6, 6)
            .Constant("w1", Random8(random, ElementType.Int8, [4, 2, 3, 3], -127, 127))
            .Constant("b1", From(ElementType.Int32, [4], [.. Enumerable.Range(0, 4).Select(_ => random.Next(-2000, 2000))]))
            .Constant("w2", Random8(random, ElementType.Int8, [36, 5], -127, 127))
            .Constant("b2", From(ElementType.Int32, [5], [.. Enumerable.Range(0, 5).Select(_ => random.Next(-500, 500))]))
            .Constant("flat", Tensor.Create(new Shape(2), new long[] { 1, 36 }))
            .Constant("row", Tensor.Create(new Shape(2), new long[] { 1, 4 }))
            .Constant("matrix", Tensor.Create(new Shape(2), new long[] { 4, 9 }));
        var sigmoid = Enumerable.Range(0, 256)
            .Select(i => (long)QuantizationMath.Quantize(1f / (1f + MathF.Exp(-(i - 128) * 0.04f)), 1f / 256, -128, -128, 127)).ToArray();
        var qaddAttributes = new List<Attribute>
        {
            String("requant", "fixed-point"), Int("y_type", 3), Int("y_zero_point", -5), Ints("multiplier", QuantizationMath.ToFixedPoint(1.0 / (1 << 20)).Multiplier),
            Ints("shift", QuantizationMath.ToFixedPoint(1.0 / (1 << 20)).Shift), Int("left_shift", 20),
            Int("a_multiplier", 1 << 30), Int("a_shift", 0), Int("b_multiplier", 1 << 30), Int("b_shift", -1),
            Int("a_zero_point", -128), Int("b_zero_point", -10),
        };
        var graph = builder
            .Add("octet", "QConv", ["x", "w1", "b1"], "conv",
                [.. FixedPoint(ElementType.Int8, -10, [0.0021, 0.0017, 0.0033, 0.0025], clampMin: -10), Int("x_zero_point", 3), Ints("pads", 1, 1, 1, 1)])
            .Add("octet", "QAveragePool", ["conv"], "pool",
                [.. FixedPoint(ElementType.Int8, -10, [1.0]), Int("x_zero_point", -10), Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)])
            .Add("octet", "Requantize", ["pool"], "pool_u8", [.. FixedPoint(ElementType.UInt8, 100, [0.8]), Int("x_zero_point", -10)])
            .Add("octet", "Table", ["pool_u8"], "activated", [Ints("table", sigmoid), Int("y_type", 3)])
            .Add("octet", "QAdd", ["activated", "pool"], "sum", qaddAttributes)
            .Add("octet", "QMul", ["sum", "pool"], "product", [.. FloatMode(ElementType.Int8, 0, [0.01f]), Int("a_zero_point", -5), Int("b_zero_point", -10)])
            .Add("octet", "QGlobalAveragePool", ["product"], "global", [.. FloatMode(ElementType.Int8, 2, [0.7f])])
            .Add("", "Reshape", ["product", "flat"], "flattened", [])
            .Add("octet", "QGemm", ["flattened", "w2", "b2"], "logits",
                [.. FloatMode(ElementType.Int8, 0, [.. Enumerable.Range(0, 5).Select(i => 0.002f + 0.0003f * i)]), Int("a_zero_point", 0)])
            .Add("", "Reshape", ["global", "row"], "global_row", [])
            .Add("", "Reshape", ["pool", "matrix"], "pool_matrix", [])
            .Add("octet", "QMatMul", ["global_row", "pool_matrix"], "mixed",
                [.. FixedPoint(ElementType.UInt8, 128, [0.004]), Int("a_zero_point", 2), Int("b_zero_point", -10)])
            .Output("logits").Output("mixed")
            .Build();

        Assert.Equal(new Shape(1, 5), graph.Tensor("logits").Shape);
        Assert.Equal(new Shape(1, 9), graph.Tensor("mixed").Shape);
        Assert.Equal(ElementType.UInt8, graph.Tensor("mixed").ElementType);

        var x = Random8(random, ElementType.Int8, [1, 2, 6, 6]);
        var observed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var outputs = new ReferenceExecutor(graph).Run(new Dictionary<string, Tensor> { ["x"] = x }, (name, value) => observed[name] = value);
        Assert.Equal(graph.Nodes.Count, observed.Count);
        Assert.All(observed.Values, t => Assert.True(t.ElementType is ElementType.Int8 or ElementType.UInt8, $"{t} is not 8-bit"));

        // Re-run each node's kernel on the executor's own inputs and compare.
        var values = new Dictionary<string, Tensor>(observed, StringComparer.Ordinal) { ["x"] = x };
        foreach (var node in graph.Nodes)
        {
            var inputs = node.Inputs.Select(name => values.TryGetValue(name, out var v) ? v : graph.Tensor(name).ConstantValue).ToArray();
            var definition = OperatorRegistry.Default.Find(node.Domain, node.OpType)!;
            var context = new KernelContext(node, inputs);
            definition.Execute(context);
            Assert.Equal(Values8(context.Output(0)!), Values8(observed[node.Outputs[0]]));
        }
        Assert.Equal(Values8(observed["logits"]), Values8(outputs["logits"]));
        Assert.Equal(Values8(observed["mixed"]), Values8(outputs["mixed"]));
        // The plan must not be degenerate: the outputs are not all one value.
        Assert.True(Values8(outputs["logits"]).Distinct().Count() > 1);
        Assert.True(Values8(outputs["mixed"]).Distinct().Count() > 1);
    }

    private static int[] Values8(Tensor t) => Values(t);
}
