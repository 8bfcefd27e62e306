using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;
using Octet.Tests.Quantization.Transformers;
using Xunit;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// attention_distilbert declares input_1 [1,1,8] but its constant attention mask holds 3 tokens: loaded as declared,
/// the error must say where the shapes came from; bound to [1,3,8] (replacing the declared dimension, which needs
/// <see cref="LoadOptions.OverrideDeclaredDims"/>) it loads, quantizes, lowers integer-only — the attention mask's Where
/// becomes <c>octet.Select</c> with the constant condition stored as bytes — and compiles (bit parity of the generated
/// class with the integer reference: <see cref="TransformerParityTests"/>).
/// </summary>
public sealed class TransformerDistilBertTests
{
    [Fact]
    public void Loading_as_declared_fails_naming_the_input_shapes()
    {
        var e = Assert.Throws<OctetException>(() => LegacyLayerNormalization.Load(TransformerModels.DistilBertAttentionPath));
        Assert.Contains("reshape_x", e.Message);
        Assert.Contains("input shapes: input_1", e.Message);
        Assert.Contains("[1,1,8]", e.Message);
        Assert.Contains("--shape", e.Message);
    }

    [Fact]
    public void A_binding_that_contradicts_a_declared_dimension_needs_the_override()
    {
        var refused = Assert.Throws<OctetException>(() => LegacyLayerNormalization.Load(TransformerModels.DistilBertAttentionPath,
            new LoadOptions { Shapes = ShapeBindings.Parse(TransformerCompilation.DistilBertShapes) }));
        Assert.Contains("fixes it to 1", refused.Message);

        var graph = TransformerCompilation.LoadDistilBert();
        Assert.Equal(new[] { 1, 3, 8 }, graph.Tensor("input_1").Shape.ToArray());
        Assert.Contains(graph.Warnings, w => w.ToString().Contains("declares 1; replaced by the binding 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Bound_to_three_tokens_it_compiles_integer_only_with_the_mask_Where_as_Select()
    {
        var graph = TransformerCompilation.LoadDistilBert();
        var config = TransformerCompilation.Calibrate(graph, "ibert", "table");
        var prepared = GraphPreparation.Prepare(graph, config, NumericsMode.IntegerOnly);
        Assert.Contains(prepared.Graph.Nodes, n => n.OpType == "ISoftmax");
        Assert.Contains(prepared.Graph.Nodes, n => n.OpType == "ILayerNorm");
        Assert.DoesNotContain(prepared.Graph.Nodes, n => n.OpType == "Where");
        var select = Assert.Single(prepared.Graph.Nodes, n => n.OpType == "Select");
        // The mask: a uint8 constant of the scores' shape; the fill (0) a constant at the scores' quantization.
        var condition = prepared.Graph.Tensor(select.Inputs[0]);
        Assert.Equal(ElementType.UInt8, condition.ElementType);
        Assert.Equal(prepared.Graph.Tensor(select.Outputs[0]).Shape, condition.Shape);
        Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(prepared.Graph));

        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(TransformerModels.DistilBertAttentionPath), config, NumericsMode.IntegerOnly);
        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.Select");
        Assert.DoesNotContain(compiled.Plan.Tensors, t => t.ElementType == "bool");
    }
}
