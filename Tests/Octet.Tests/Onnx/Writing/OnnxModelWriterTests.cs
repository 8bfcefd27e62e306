using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Onnx.Proto;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Onnx.Writing;

/// <summary>What the writer puts in the file, read back as a plain ModelProto, and what it refuses.</summary>
public sealed class OnnxModelWriterTests
{
    private static TensorInfo Float(string name, params int[] dims) => new(name, ElementType.Float32, new Shape(dims));
    private static TensorInfo Constant(string name, float[] values, params int[] dims) =>
        TensorInfo.ForConstant(name, Tensor.Create(new Shape(dims), values));

    private static Node MakeNode(string name, string opType, string[] inputs, string[] outputs, int version = 13,
        string domain = "", params Attribute[] attributes) =>
        new(name, opType, domain, version, inputs, outputs, attributes.ToDictionary(a => a.Name, StringComparer.Ordinal));

    /// <summary>y = (x + a) * b with a, b constants, plus an unused constant and an unused intermediate.</summary>
    private static ModelGraph SmallGraph(params Node[] extraNodes)
    {
        var tensors = new[]
        {
            Float("x", 2, 3), Constant("b", [2f, 3f, 4f], 3), Constant("a", [1f, 1f, 1f], 3),
            Constant("unused", [9f], 1), Float("sum", 2, 3), Float("y", 2, 3),
        }.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var nodes = new List<Node>
        {
            MakeNode("add", "Add", ["x", "a"], ["sum"]),
            MakeNode("mul", "Mul", ["sum", "b"], ["y"]),
        };
        nodes.AddRange(extraNodes);
        return new ModelGraph("small", "small.onnx", new Dictionary<string, int> { [""] = 13 }, nodes, tensors, ["x"], ["y"]);
    }

    private static ModelProto Parse(ModelGraph graph) => ModelProto.Parser.ParseFrom(OnnxModelWriter.ToBytes(graph));

    [Fact]
    public void Model_header_names_octet_and_imports_the_graphs_opsets()
    {
        var model = Parse(SmallGraph());
        Assert.Equal("octet", model.ProducerName);
        Assert.Equal(7, model.IrVersion);                       // opset 13 came with IR 7 (ONNX 1.8)
        var import = Assert.Single(model.OpsetImport);
        Assert.Equal("", import.Domain);
        Assert.Equal(13, import.Version);
        Assert.Equal("small", model.Graph.Name);
    }

    [Theory]
    [InlineData(8, 4)]     // IR 3 went with opset 8, but IR 4 is the first where initializers need not be inputs
    [InlineData(11, 6)]
    [InlineData(17, 8)]
    [InlineData(21, 10)]
    [InlineData(25, 13)]
    public void Ir_version_follows_the_default_opset(int opset, long irVersion) =>
        Assert.Equal(irVersion, OnnxModelWriter.IrVersionFor(opset));

    [Fact]
    public void Initializers_are_the_constants_nodes_read_in_the_order_first_read()
    {
        var graph = Parse(SmallGraph()).Graph;
        Assert.Equal(["a", "b"], graph.Initializer.Select(i => i.Name));
        var a = graph.Initializer[0];
        Assert.Equal((int)ElementType.Float32, a.DataType);
        Assert.Equal([3L], a.Dims);
        Assert.Equal(12, a.RawData.Length);
        Assert.Empty(a.FloatData);
    }

    [Fact]
    public void Inputs_outputs_and_value_info_carry_types_and_static_shapes()
    {
        var graph = Parse(SmallGraph()).Graph;
        static string Describe(ValueInfoProto v) =>
            $"{v.Name}:{v.Type.TensorType.ElemType}[{string.Join(",", v.Type.TensorType.Shape.Dim.Select(d => d.DimValue))}]";
        Assert.Equal(["x:1[2,3]"], graph.Input.Select(Describe));
        Assert.Equal(["y:1[2,3]"], graph.Output.Select(Describe));
        Assert.Equal(["sum:1[2,3]"], graph.ValueInfo.Select(Describe));
        Assert.Equal(["add", "mul"], graph.Node.Select(n => n.Name));
    }

    [Fact]
    public void Scalar_tensors_are_written_with_an_empty_shape_not_without_one()
    {
        var tensors = new[] { new TensorInfo("s", ElementType.Int64, new Shape()), new TensorInfo("t", ElementType.Int64, new Shape()) }
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        var graph = new ModelGraph("scalar", "scalar.onnx", new Dictionary<string, int> { [""] = 13 },
            [MakeNode("neg", "Neg", ["s"], ["t"])], tensors, ["s"], ["t"]);
        var input = Parse(graph).Graph.Input.Single();
        Assert.NotNull(input.Type.TensorType.Shape);
        Assert.Empty(input.Type.TensorType.Shape.Dim);
    }

    [Fact]
    public void A_constant_graph_output_becomes_an_initializer()
    {
        var tensors = new[] { Float("x", 2), Float("y", 2), Constant("c", [5f, 6f], 2) }.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var graph = new ModelGraph("g", "g.onnx", new Dictionary<string, int> { [""] = 13 },
            [MakeNode("relu", "Relu", ["x"], ["y"])], tensors, ["x"], ["y", "c"]);
        var proto = Parse(graph).Graph;
        Assert.Equal(["c"], proto.Initializer.Select(i => i.Name));
        Assert.Equal(["y", "c"], proto.Output.Select(o => o.Name));

        using var folder = new TempFolder();
        OnnxModelWriter.Write(graph, folder.File("g.onnx"));
        var outputs = new ReferenceExecutor(OnnxModelLoader.Load(folder.File("g.onnx")))
            .Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new Shape(2), new[] { -1f, 1f }) });
        Assert.Equal([5f, 6f], outputs["c"].As<float>());
        Assert.Equal([0f, 1f], outputs["y"].As<float>());
    }

    [Fact]
    public void Every_attribute_kind_but_graph_is_written_with_its_type_sorted_by_name()
    {
        var tensor = Tensor.Create(new Shape(2), new[] { 1L, -2L });
        var node = MakeNode("custom", "Custom", ["x"], ["z"], version: 1, domain: "com.example", attributes:
        [
            new Attribute("strings", AttributeKind.Strings, new[] { "a", "βγ" }),
            new Attribute("f", AttributeKind.Float, -0.0f),
            new Attribute("ints", AttributeKind.Ints, new[] { 0L, -1L, long.MaxValue }),
            new Attribute("i", AttributeKind.Int, 0L),
            new Attribute("t", AttributeKind.Tensor, tensor),
            new Attribute("s", AttributeKind.String, ""),
            new Attribute("floats", AttributeKind.Floats, new[] { 0.5f, float.NaN }),
        ]);
        var graph = SmallGraph(node);
        graph.Tensors["z"] = Float("z", 2, 3);
        var opsets = new Dictionary<string, int> { ["com.example"] = 1, [""] = 13 };
        graph = new ModelGraph(graph.Name, graph.SourcePath, opsets, graph.Nodes, graph.Tensors, graph.Inputs, graph.Outputs);

        var model = Parse(graph);
        Assert.Equal(["", "com.example"], model.OpsetImport.Select(o => o.Domain));
        var written = model.Graph.Node.Single(n => n.Name == "custom");
        Assert.Equal("com.example", written.Domain);
        Assert.Equal(["f", "floats", "i", "ints", "s", "strings", "t"], written.Attribute.Select(a => a.Name));
        var byName = written.Attribute.ToDictionary(a => a.Name);
        Assert.Equal(AttributeProto.Types.AttributeType.Float, byName["f"].Type);
        Assert.Equal(BitConverter.SingleToInt32Bits(-0.0f), BitConverter.SingleToInt32Bits(byName["f"].F));
        Assert.Equal(AttributeProto.Types.AttributeType.Int, byName["i"].Type);
        Assert.True(byName["i"].HasI);
        Assert.Equal(AttributeProto.Types.AttributeType.String, byName["s"].Type);
        Assert.True(byName["s"].HasS);
        Assert.Equal(["a", "βγ"], byName["strings"].Strings.Select(s => s.ToStringUtf8()));
        Assert.Equal([0L, -1L, long.MaxValue], byName["ints"].Ints);
        Assert.Equal(0.5f, byName["floats"].Floats[0]);
        Assert.True(float.IsNaN(byName["floats"].Floats[1]));
        Assert.Equal(AttributeProto.Types.AttributeType.Tensor, byName["t"].Type);
        Assert.Equal((int)ElementType.Int64, byName["t"].T.DataType);
        Assert.Equal(16, byName["t"].T.RawData.Length);

        // And Octet's reader gets the same values back.
        using var folder = new TempFolder();
        OnnxModelWriter.Write(graph, folder.File("custom.onnx"));
        var read = OnnxGraphReader.Read(folder.File("custom.onnx")).Nodes.Single(n => n.Name == "custom");
        Assert.Equal(node.Attributes.Values.OrderBy(a => a.Name).Select(a => a.ToString()),
                     read.Attributes.Values.OrderBy(a => a.Name).Select(a => a.ToString()));
        Assert.Equal([1L, -2L], read.GetTensor("t")!.As<long>());
    }

    [Fact]
    public void The_same_graph_gives_the_same_bytes_whatever_order_its_dictionaries_were_filled_in()
    {
        Attribute[] attributes =
        [
            new("b", AttributeKind.Int, 1L), new("a", AttributeKind.Floats, new[] { 1f }), new("c", AttributeKind.String, "x"),
        ];
        ModelGraph Build(bool reversed)
        {
            var ordered = reversed ? attributes.Reverse().ToArray() : attributes;
            var graph = SmallGraph(MakeNode("custom", "Custom", ["y"], ["z"], version: 1, domain: "com.example", attributes: ordered));
            graph.Tensors["z"] = Float("z", 2, 3);
            var opsets = reversed
                ? new Dictionary<string, int> { ["com.example"] = 1, [""] = 13 }
                : new Dictionary<string, int> { [""] = 13, ["com.example"] = 1 };
            var tensors = reversed ? graph.Tensors.Reverse().ToDictionary(t => t.Key, t => t.Value) : graph.Tensors;
            return new ModelGraph(graph.Name, graph.SourcePath, opsets, graph.Nodes, tensors, graph.Inputs, graph.Outputs);
        }
        Assert.Equal(OnnxModelWriter.ToBytes(Build(false)), OnnxModelWriter.ToBytes(Build(true)));
    }

    [Fact]
    public void Octet_lowered_integer_operators_are_refused()
    {
        var graph = SmallGraph(MakeNode("qconv_1", "QConv", ["y"], ["z"], version: 1, domain: "octet"));
        graph.Tensors["z"] = Float("z", 2, 3);
        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.ToBytes(graph));
        Assert.Contains("qconv_1", e.Message);
        Assert.Contains("not ONNX", e.Message);
    }

    [Fact]
    public void Graph_attributes_are_refused_naming_the_node()
    {
        var graph = SmallGraph(MakeNode("branch", "If", ["y"], ["z"], attributes: new Attribute("then_branch", AttributeKind.Graph, null)));
        graph.Tensors["z"] = Float("z", 2, 3);
        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.ToBytes(graph));
        Assert.Contains("node 'branch'", e.Message);
        Assert.Contains("then_branch", e.Message);
    }

    [Fact]
    public void A_tensor_without_a_type_is_refused_naming_it()
    {
        var graph = SmallGraph();
        graph.Tensors.Remove("sum");
        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.ToBytes(graph));
        Assert.Contains("'sum'", e.Message);
        Assert.Contains("shape inference", e.Message);
    }

    [Fact]
    public void A_name_nothing_provides_is_refused()
    {
        var graph = SmallGraph(MakeNode("dangling", "Relu", ["nowhere"], ["z"]));
        graph.Tensors["z"] = Float("z", 2, 3);
        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.ToBytes(graph));
        Assert.Contains("node 'dangling'", e.Message);
        Assert.Contains("'nowhere'", e.Message);
    }

    [Fact]
    public void Nodes_out_of_topological_order_are_refused()
    {
        var graph = SmallGraph();
        graph.Nodes.Reverse();
        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.ToBytes(graph));
        Assert.Contains("node 'mul'", e.Message);
        Assert.Contains("topological", e.Message);
    }

    [Theory]
    [InlineData("QuantizeLinear", 19)]   // newer than the import
    [InlineData("Softmax", 1)]           // older than what the import resolves to (13): a reader would take Softmax-13
    public void A_node_version_the_import_does_not_resolve_to_is_refused(string opType, int version)
    {
        var graph = SmallGraph(MakeNode("n", opType, ["y"], ["z"], version: version));
        graph.Tensors["z"] = Float("z", 2, 3);
        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.ToBytes(graph));
        Assert.Contains("node 'n'", e.Message);
        Assert.Contains("opset 13", e.Message);
        Assert.Contains("another operator", e.Message);
    }

    [Fact]
    public void Write_replaces_the_file_whole_and_leaves_nothing_else_behind()
    {
        using var folder = new TempFolder();
        var path = folder.File("m.onnx");
        File.WriteAllText(path, "old");
        OnnxModelWriter.Write(SmallGraph(), path);
        Assert.Equal(OnnxModelWriter.ToBytes(SmallGraph()), File.ReadAllBytes(path));
        Assert.Equal(["m.onnx"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));

        var e = Assert.Throws<OctetException>(() => OnnxModelWriter.Write(SmallGraph(), Path.Combine(folder.Path, "missing", "m.onnx")));
        Assert.Contains("does not exist", e.Message);
    }
}
