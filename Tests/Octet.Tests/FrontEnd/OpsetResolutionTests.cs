using Octet.Compiler.Analysis;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Xunit;

namespace Octet.Tests.FrontEnd;

/// <summary>
/// Each node records the operator version it resolves to (the newest since-version of its op not newer
/// than the model's opset), and nodes Octet cannot run are refused with the node, op and opset named.
/// Expected versions come from the ONNX operator changelog.
/// </summary>
public sealed class OpsetResolutionTests
{
    [Theory]
    [InlineData("Relu", 12, 6)]      // Relu: 1, 6, 13, 14
    [InlineData("Relu", 13, 13)]
    [InlineData("Relu", 25, 14)]
    [InlineData("Softmax", 13, 13)]  // Softmax: 1, 11, 13
    [InlineData("Softmax", 12, 11)]
    [InlineData("Sqrt", 7, 6)]       // Sqrt: 1, 6, 13
    [InlineData("Exp", 14, 13)]      // Exp: 1, 6, 13
    public void Node_records_the_version_its_op_resolves_to(string opType, int opset, int expectedVersion)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(opset).Input("x", ElementType.Float32, 2, 3).Output("y");
        model.Node(opType, ["x"], ["y"]);
        var graph = OnnxGraphReader.Read(model.Save(folder.Path));

        Assert.Equal(expectedVersion, Assert.Single(graph.Nodes).OpsetVersion);
        Assert.Equal(opset, graph.DefaultOpset);
    }

    [Theory]
    [InlineData(12, 7)]  // Add: 1, 6, 7, 13, 14
    [InlineData(13, 13)]
    [InlineData(18, 14)]
    public void Binary_op_resolves_per_node(int opset, int expectedVersion)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(opset).Input("x", ElementType.Float32, 2, 3).Output("y");
        model.Node("Add", ["x", "x"], ["y"]);
        var graph = OnnxModelLoader.Load(model.Save(folder.Path));

        Assert.Equal(expectedVersion, Assert.Single(graph.Nodes).OpsetVersion);
    }

    [Fact]
    public void Unknown_operator_is_rejected_naming_node_op_and_opset()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(12).Input("x", ElementType.Float32, 2).Output("y");
        model.Node("FrobnicateTensor", ["x"], ["y"]).Name = "the_node";
        var path = model.Save(folder.Path);

        // Reading alone accepts it (so 'octet inspect' can list it); loading refuses it.
        Assert.Single(OnnxGraphReader.Read(path).Nodes);
        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(path));
        Assert.Contains("'the_node'", error.Message);
        Assert.Contains("FrobnicateTensor", error.Message);
        Assert.Contains("opset 12", error.Message);
    }

    [Fact]
    public void Operator_of_an_unimported_domain_is_rejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(13).Input("x", ElementType.Float32, 2).Output("y");
        var node = model.Node("Relu", ["x"], ["y"]);
        node.Domain = "com.example";
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("com.example", error.Message);
        Assert.Contains(node.Name, error.Message);
    }

    [Fact]
    public void Operator_introduced_after_the_models_opset_is_rejected()
    {
        // Round first appears in opset 11.
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(10).Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Round", ["x"], ["y"]).Name = "rounding";
        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(model.Save(folder.Path)));
        Assert.Contains("'rounding'", error.Message);
        Assert.Contains("Round", error.Message);
        Assert.Contains("opset 10", error.Message);
    }

    [Fact]
    public void Unimplemented_operator_version_is_rejected()
    {
        // Add-1 (with its legacy broadcast attribute) is a since-version Octet does not implement. No model
        // with an opset Octet reads resolves to it, so the graph is built directly.
        var node = new Node("old_add", "Add", "", 1, ["x", "x"], ["y"], new Dictionary<string, Octet.Compiler.Graph.Attribute>());
        var tensors = new Dictionary<string, TensorInfo> { ["x"] = new("x", ElementType.Float32, new Shape(2)) };
        var graph = new ModelGraph("g", "hand-built", new Dictionary<string, int> { [""] = 13 }, [node], tensors, ["x"], ["y"]);

        var error = Assert.Throws<OctetException>(() => ShapeInference.Run(graph));
        Assert.Contains("'old_add'", error.Message);
        Assert.Contains("version 1 of Add is not implemented", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(26)]
    [InlineData(1000)]
    public void Opsets_outside_7_to_25_are_rejected(long opset)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(opset).Input("x", ElementType.Float32, 2).Output("x");
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains($"opset {opset}", error.Message);
        Assert.Contains("7 through 25", error.Message);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(25)]
    public void Opsets_at_the_ends_of_the_range_are_read(long opset)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(opset).Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Relu", ["x"], ["y"]);
        Assert.Equal((int)opset, OnnxModelLoader.Load(model.Save(folder.Path)).DefaultOpset);
    }

    [Fact]
    public void Model_without_a_default_domain_import_is_rejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(13).Input("x", ElementType.Float32, 2).Output("x");
        model.Model.OpsetImport.Clear();
        model.Opset("com.microsoft", 1);
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("no default-domain", error.Message);
    }

    [Fact]
    public void The_default_domain_imported_twice_is_rejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(13).Opset("ai.onnx", 14).Input("x", ElementType.Float32, 2).Output("x");
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("imported twice", error.Message);
    }
}
