using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.FrontEnd;

/// <summary>
/// What the loader makes of a graph's structure: Constant nodes and folded subgraphs become constants,
/// nodes are put in topological order, and the text dump says what the graph is.
/// </summary>
public sealed class GraphConstructionTests
{
    [Fact]
    public void Constant_node_becomes_a_constant_and_disappears()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2, 2).Output("y");
        model.Constant("c", new[] { 1f, 2f, 3f, 4f }, 2, 2);
        model.Node("Add", ["x", "c"], ["y"]);
        var graph = OnnxModelLoader.Load(model.Save(folder.Path));

        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, graph.Tensor("c").ConstantValue!.As<float>());
        Assert.Equal(new Shape(2, 2), graph.Tensor("c").Shape);
        Assert.Equal("Add", Assert.Single(graph.Nodes).OpType);
    }

    [Fact]
    public void Constant_node_with_value_ints_becomes_an_int64_constant()
    {
        // Constant-12 onwards also takes value_int(s) / value_float(s).
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(13).Output("c", ElementType.Int64);
        model.Node("Constant", [], ["c"], Attr.Ints("value_ints", 3, -1, 7));
        var constant = OnnxModelLoader.Load(model.Save(folder.Path)).Tensor("c").ConstantValue!;
        Assert.Equal(new Shape(3), constant.Shape);
        Assert.Equal(new[] { 3L, -1L, 7L }, constant.As<long>());
    }

    [Fact]
    public void PyTorch_shape_chain_is_folded_into_a_static_reshape()
    {
        // x.view(x.size(0), -1) as PyTorch exports it: Shape → Gather(0) → Concat with [-1] → Reshape.
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(13)
            .Input("x", ElementType.Float32, "N", 3, 2, 2)
            .Initializer("zero", new[] { 0L }, 1)
            .Initializer("minus_one", new[] { -1L }, 1)
            .Output("y");
        model.Node("Shape", ["x"], ["x_shape"]);
        model.Node("Gather", ["x_shape", "zero"], ["batch"], Attr.Int("axis", 0));
        model.Node("Concat", ["batch", "minus_one"], ["target_shape"], Attr.Int("axis", 0));
        model.Node("Reshape", ["x", "target_shape"], ["y"]).Name = "flatten";
        var graph = OnnxModelLoader.Load(model.Save(folder.Path), ShapeBindings.Parse(["x=2x3x2x2"]));

        var reshape = Assert.Single(graph.Nodes);
        Assert.Equal("flatten", reshape.Name);
        Assert.Equal(new[] { 2L, -1L }, graph.Tensor("target_shape").ConstantValue!.As<long>());
        Assert.Equal(new Shape(2, 12), graph.Tensor("y").Shape);

        var x = Tensor.Create(new Shape(2, 3, 2, 2), Enumerable.Range(0, 24).Select(i => (float)i).ToArray());
        var y = new ReferenceExecutor(graph).Run(new Dictionary<string, Tensor> { ["x"] = x })["y"];
        Assert.Equal(new Shape(2, 12), y.Shape);
        Assert.Equal(x.Data, y.Data);
    }

    [Fact]
    public void Nodes_out_of_order_are_sorted_topologically()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 3).Output("z");
        // File order: z = t * t, then t = x + x, then an unrelated-looking u = x * x that z does not need.
        model.Node("Mul", ["t", "t"], ["z"]).Name = "square";
        model.Node("Add", ["x", "x"], ["t"]).Name = "double";
        var graph = OnnxGraphReader.Read(model.Save(folder.Path));
        Assert.Equal(["double", "square"], graph.Nodes.Select(n => n.Name));

        graph = OnnxModelLoader.Load(graph.SourcePath);
        var z = new ReferenceExecutor(graph).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new Shape(3), new[] { 1f, -2f, 0.5f }) })["z"];
        Assert.Equal(new[] { 4f, 16f, 1f }, z.As<float>());
    }

    [Fact]
    public void Nodes_already_in_order_keep_their_file_order()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 3).Output("a").Output("b").Output("c");
        model.Node("Relu", ["x"], ["c"]);
        model.Node("Exp", ["x"], ["a"]);
        model.Node("Sqrt", ["x"], ["b"]);
        var graph = OnnxGraphReader.Read(model.Save(folder.Path));
        Assert.Equal(["Relu", "Exp", "Sqrt"], graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Unnamed_and_duplicate_named_nodes_get_names_that_say_where_they_are()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 3).Output("b");
        model.Node("Relu", ["x"], ["a"]).Name = "";
        model.Node("Exp", ["a"], ["b"]).Name = "";
        var graph = OnnxGraphReader.Read(model.Save(folder.Path));
        Assert.Equal(["Relu#0", "Exp#1"], graph.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Text_dump_of_mnist_shows_its_structure()
    {
        // mnist-8 (ONNX model zoo, CNTK export): 28x28 input, two conv/relu/maxpool stages, a 256→10 matmul.
        var text = GraphTextWriter.Write(OnnxModelLoader.Load(TestData.Model("mnist-8")));
        var lines = text.Split('\n', StringSplitOptions.TrimEntries);

        Assert.Contains("ai.onnx 8", lines[0]);
        Assert.Contains("Input3: float[1,1,28,28]", lines);
        Assert.Contains("Plus214_Output_0: float[1,10]", lines);
        Assert.Contains(lines, l => l.StartsWith("Conv 'Convolution28' v1 (Input3: float[1,1,28,28], Parameter5: float[8,1,5,5] const) -> (Convolution28_Output_0: float[1,8,28,28])"));
        Assert.Contains(lines, l => l.StartsWith("MaxPool 'Pooling66' v8 (") && l.Contains("-> (Pooling66_Output_0: float[1,8,14,14])") && l.Contains("kernel_shape=[2,2]"));
        Assert.Contains(lines, l => l.StartsWith("MaxPool 'Pooling160' v8 (") && l.Contains("-> (Pooling160_Output_0: float[1,16,4,4])"));
        Assert.Contains(lines, l => l.StartsWith("MatMul 'Times212' v1 (") && l.Contains("float[256,10] const") && l.Contains("-> (Times212_Output_0: float[1,10])"));
        // The reshape of the constant weight (Times212_reshape1) is folded away; the activation's stays.
        Assert.DoesNotContain(lines, l => l.Contains("'Times212_reshape1'"));
        Assert.Contains(lines, l => l.StartsWith("Reshape 'Times212_reshape0'"));
        Assert.Contains("nodes: 11", lines);
    }
}
