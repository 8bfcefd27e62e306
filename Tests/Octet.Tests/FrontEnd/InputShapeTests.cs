using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Xunit;

namespace Octet.Tests.FrontEnd;

/// <summary>
/// Graph inputs get static shapes: declared dims, <c>--shape</c> bindings for dynamic ones, batch 1 (with a
/// warning) for a dynamic leading dim; and initializers listed as inputs are constants unless asked for.
/// </summary>
public sealed class InputShapeTests
{
    private static string Save(TempFolder folder, params Dim[] dims)
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, dims).Output("y");
        model.Node("Relu", ["x"], ["y"]);
        return model.Save(folder.Path);
    }

    private static ShapeBindings Bind(string text) => ShapeBindings.Parse([text]);

    [Fact]
    public void Static_dims_are_taken_as_declared()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(Save(folder, 1, 3, 8, 8));
        Assert.Equal(new Shape(1, 3, 8, 8), graph.Tensor("x").Shape);
        Assert.Equal(new Shape(1, 3, 8, 8), graph.Tensor("y").Shape);
        Assert.Empty(graph.Warnings);
    }

    [Fact]
    public void Shape_binding_gives_dynamic_dims_their_values()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(Save(folder, "N", 3, "H", Dim.Unknown), Bind("x=2x3x5x7"));
        Assert.Equal(new Shape(2, 3, 5, 7), graph.Tensor("x").Shape);
        Assert.Equal(new Shape(2, 3, 5, 7), graph.Tensor("y").Shape);
        Assert.Empty(graph.Warnings);
    }

    [Fact]
    public void Shape_binding_that_contradicts_a_fixed_dim_is_rejected()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(Save(folder, "N", 3, 8), Bind("x=1x4x8")));
        Assert.Contains("--shape x", error.Message);
        Assert.Contains("dim 1 = 4", error.Message);
        Assert.Contains("fixes it to 3", error.Message);
    }

    [Fact]
    public void Shape_binding_of_the_wrong_rank_is_rejected()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(Save(folder, "N", 3), Bind("x=1x3x1")));
        Assert.Contains("rank 3", error.Message);
        Assert.Contains("rank 2", error.Message);
    }

    [Fact]
    public void Dynamic_leading_dim_defaults_to_1_with_a_warning()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(Save(folder, "batch", 3, 4));
        Assert.Equal(new Shape(1, 3, 4), graph.Tensor("x").Shape);
        var warning = Assert.Single(graph.Warnings);
        Assert.Contains("'x'", warning.Message);
        Assert.Contains("'batch'", warning.Message);
        Assert.Contains("batch size 1", warning.Message);
    }

    [Fact]
    public void Dynamic_leading_dim_without_a_name_also_defaults_to_1()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(Save(folder, Dim.Unknown, 5));
        Assert.Equal(new Shape(1, 5), graph.Tensor("x").Shape);
        Assert.Single(graph.Warnings);
    }

    [Fact]
    public void Dynamic_non_batch_dim_without_a_binding_is_an_error_naming_input_and_dim()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(Save(folder, 1, "sequence", 16)));
        Assert.Contains("input 'x'", error.Message);
        Assert.Contains("dim 1", error.Message);
        Assert.Contains("'sequence'", error.Message);
        Assert.Contains("--shape x=", error.Message);
    }

    [Fact]
    public void Input_without_a_declared_shape_needs_a_binding()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().InputWithoutShape("x", ElementType.Float32).Output("y");
        model.Node("Relu", ["x"], ["y"]);
        var path = model.Save(folder.Path);

        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(path));
        Assert.Contains("'x'", error.Message);
        Assert.Contains("no declared shape", error.Message);
        Assert.Equal(new Shape(4, 2), OnnxModelLoader.Load(path, Bind("x=4x2")).Tensor("x").Shape);
    }

    [Fact]
    public void Binding_an_input_the_model_does_not_have_is_rejected()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(Save(folder, 1, 3), Bind("images=1x3")));
        Assert.Contains("'images'", error.Message);
        Assert.Contains("not an input", error.Message);
    }

    [Theory]
    [InlineData("x=1x0x3", "'0'")]
    [InlineData("x=1x-2", "'-2'")]
    [InlineData("x=", "NAME=DIMS")]
    [InlineData("=1x2", "NAME=DIMS")]
    [InlineData("x=1xbig", "'big'")]
    public void Malformed_shape_bindings_are_rejected(string text, string mention)
    {
        var error = Assert.Throws<OctetException>(() => ShapeBindings.ParseBinding(text));
        Assert.Contains(mention, error.Message);
    }

    [Fact]
    public void Shape_binding_parses_both_separators()
    {
        Assert.Equal(new[] { 1, 3, 224, 224 }, ShapeBindings.ParseBinding("x=1x3x224x224").Dims);
        Assert.Equal(new[] { 1, 3 }, ShapeBindings.ParseBinding("input:0=1,3").Dims);
        Assert.Equal("input:0", ShapeBindings.ParseBinding("input:0=1,3").Name);
        Assert.Throws<OctetException>(() => ShapeBindings.Parse(["x=1", "x=2"]));
    }

    [Fact]
    public void Graph_input_that_is_also_an_initializer_is_a_constant_by_default()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder()
            .Input("x", ElementType.Float32, 2).Input("bias", ElementType.Float32, 2)
            .Initializer("bias", new[] { 10f, 20f }, 2)
            .Output("y");
        model.Node("Add", ["x", "bias"], ["y"]);
        var graph = OnnxModelLoader.Load(model.Save(folder.Path));

        Assert.Equal(["x"], graph.Inputs);
        Assert.Equal(new[] { 10f, 20f }, graph.Tensor("bias").ConstantValue!.As<float>());
    }

    [Fact]
    public void Initializer_named_in_InitializersAsInputs_becomes_a_real_input()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder()
            .Input("x", ElementType.Float32, 2).Input("bias", ElementType.Float32, 2)
            .Initializer("bias", new[] { 10f, 20f }, 2)
            .Output("y");
        model.Node("Add", ["x", "bias"], ["y"]);
        var graph = OnnxModelLoader.Load(model.Save(folder.Path), new LoadOptions { InitializersAsInputs = new HashSet<string> { "bias" } });

        Assert.Equal(["x", "bias"], graph.Inputs);
        Assert.False(graph.Tensor("bias").IsConstant);
        Assert.Equal(new Shape(2), graph.Tensor("bias").Shape);
        Assert.Single(graph.Nodes);
    }

    [Fact]
    public void InitializersAsInputs_naming_something_else_is_rejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Initializer("w", new[] { 1f }, 1).Output("y");
        model.Node("Add", ["x", "w"], ["y"]);
        // 'w' is an initializer but not listed as a graph input, so it cannot be fed.
        var error = Assert.Throws<OctetException>(() =>
            OnnxModelLoader.Load(model.Save(folder.Path), new LoadOptions { InitializersAsInputs = new HashSet<string> { "w" } }));
        Assert.Contains("'w'", error.Message);
    }

    [Fact]
    public void Unsupported_input_element_type_is_rejected_by_name()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Input("text", ElementType.String, 1).Output("text", ElementType.String);
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("'text'", error.Message);
        Assert.Contains("string", error.Message);
    }
}
