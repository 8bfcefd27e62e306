using Octet.Compiler.Analysis;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// Fusing decomposed LayerNormalization and GELU into single nodes: what is found in the shared models,
/// that the fused graph computes the same values, and that near-misses are left alone.
/// </summary>
public sealed class PatternFusionTests
{
    private readonly ITestOutputHelper _output;
    public PatternFusionTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// The fused LayerNormalization computes mean and variance in double and Gelu evaluates erf in double,
    /// where the decomposed graph rounds each of ~8 float32 steps: differences of a few float32 ulps per op,
    /// compounding over 5 layers. 1e-4 relative to the output's largest magnitude is 1000× that, and far
    /// below any real mismatch (a wrong ε, a missing affine term or a wrong constant change outputs by > 1e-2).
    /// </summary>
    private const double Tolerance = 1e-4;

    [Fact]
    public void Bert_toy_LayerNorms_and_erf_Gelus_are_fused_and_compute_the_same_values()
    {
        var original = TransformerModels.LoadBertToy();
        var fused = original.Clone();
        var summary = TransformerFusion.Run(fused);
        foreach (var line in summary.Details) _output.WriteLine(line);

        // The export has 24 ReduceMean (two per LayerNorm) and 6 Erf (one per GELU): all are claimed.
        Assert.Equal(original.Nodes.Count(n => n.OpType == "ReduceMean") / 2, summary.LayerNormalizations);
        Assert.Equal(original.Nodes.Count(n => n.OpType == "Erf"), summary.ErfGelus);
        Assert.Equal(12, summary.LayerNormalizations);
        Assert.DoesNotContain(fused.Nodes, n => n.OpType is "ReduceMean" or "Pow" or "Sqrt" or "Erf");
        Assert.Equal(20, fused.DefaultOpset);

        AssertSameOutputs(original, fused, TransformerModels.RandomInputs(original, 5, seed: 1));
    }

    [Theory]
    [InlineData("erf", 1.41421356, 0.5, true)]
    [InlineData("erf", 1.5, 0.5, false)]         // not √2
    [InlineData("erf", 1.41421356, 0.4, false)]  // not ½
    [InlineData("tanh", 0.7978845608, 0.044715, true)]
    [InlineData("tanh", 0.7978845608, 0.05, false)] // not the cubic coefficient
    [InlineData("tanh", 0.8, 0.044715, false)]      // not √(2/π)
    public void Gelu_is_fused_only_when_its_constants_match(string form, double first, double second, bool fuses)
    {
        using var folder = new TempFolder();
        var b = new OnnxModelBuilder(opset: 13).Input("x", ElementType.Float32, 2, 5).Output("y", ElementType.Float32);
        if (form == "erf")
        {
            b.Initializer("c", [(float)first]).Initializer("one", [1f]).Initializer("half", [(float)second]);
            b.Node("Mul", ["x", "half"], ["h"]);
            b.Node("Div", ["x", "c"], ["t"]);
            b.Node("Erf", ["t"], ["e"]);
            b.Node("Add", ["one", "e"], ["g"]);
            b.Node("Mul", ["h", "g"], ["y"]);
        }
        else
        {
            b.Initializer("three", [3f]).Initializer("k", [(float)second]).Initializer("c", [(float)first])
             .Initializer("one", [1f]).Initializer("half", [0.5f]);
            b.Node("Mul", ["x", "half"], ["h"]);
            b.Node("Pow", ["x", "three"], ["cube"]);
            b.Node("Mul", ["k", "cube"], ["kc"]);
            b.Node("Add", ["x", "kc"], ["inner"]);
            b.Node("Mul", ["inner", "c"], ["scaled"]);
            b.Node("Tanh", ["scaled"], ["th"]);
            b.Node("Add", ["th", "one"], ["g"]);
            b.Node("Mul", ["h", "g"], ["y"]);
        }
        var original = OnnxModelLoader.Load(b.Save(folder.Path));
        var fused = original.Clone();
        var summary = TransformerFusion.Run(fused);
        Assert.Equal(fuses ? 1 : 0, summary.ErfGelus + summary.TanhGelus);
        if (fuses)
        {
            var gelu = Assert.Single(fused.Nodes);
            Assert.Equal("Gelu", gelu.OpType);
            Assert.Equal(form == "tanh" ? "tanh" : "none", gelu.GetString("approximate", "none"));
            AssertSameOutputs(original, fused, TransformerModels.RandomInputs(original, 3, seed: 3));
        }
        else Assert.Equal(original.Nodes.Count, fused.Nodes.Count);
    }

    [Fact]
    public void Gelu_with_an_intermediate_read_elsewhere_is_not_fused()
    {
        using var folder = new TempFolder();
        var b = new OnnxModelBuilder(opset: 13).Input("x", ElementType.Float32, 2, 5)
            .Output("y", ElementType.Float32).Output("e", ElementType.Float32);
        b.Initializer("c", [MathF.Sqrt(2)]).Initializer("one", [1f]).Initializer("half", [0.5f]);
        b.Node("Div", ["x", "c"], ["t"]);
        b.Node("Erf", ["t"], ["e"]); // a graph output: fusing would lose it
        b.Node("Add", ["e", "one"], ["g"]);
        b.Node("Mul", ["x", "g"], ["xg"]);
        b.Node("Mul", ["xg", "half"], ["y"]);
        var graph = OnnxModelLoader.Load(b.Save(folder.Path));
        Assert.Equal(0, TransformerFusion.Run(graph).Total);
    }

    [Theory]
    [InlineData(new long[] { -1 }, 2.0, true, true)]
    [InlineData(new long[] { -1 }, 2.0, false, true)]   // no affine part: fused with a unit scale
    [InlineData(new long[] { 1 }, 2.0, true, false)]    // not the trailing axis
    [InlineData(new long[] { -1 }, 3.0, true, false)]   // not a variance
    public void LayerNorm_is_fused_only_over_trailing_axes_with_a_square(long[] axes, double exponent, bool affine, bool fuses)
    {
        using var folder = new TempFolder();
        var b = new OnnxModelBuilder(opset: 13).Input("x", ElementType.Float32, 2, 3, 6).Output("y", ElementType.Float32);
        b.Initializer("p", [(float)exponent]).Initializer("eps", [1e-5f])
         .Initializer("gamma", [1.5f, 0.5f, -1f, 2f, 1f, 0.25f], 6).Initializer("beta", [0.1f, -0.2f, 0.3f, 0f, 1f, -1f], 6);
        b.Node("ReduceMean", ["x"], ["m"], Attr.Ints("axes", axes));
        b.Node("Sub", ["x", "m"], ["d"]);
        b.Node("Pow", ["d", "p"], ["d2"]);
        b.Node("ReduceMean", ["d2"], ["v"], Attr.Ints("axes", axes));
        b.Node("Add", ["v", "eps"], ["ve"]);
        b.Node("Sqrt", ["ve"], ["s"]);
        b.Node("Div", ["d", "s"], [affine ? "n" : "y"]);
        if (affine)
        {
            b.Node("Mul", ["gamma", "n"], ["gn"]);
            b.Node("Add", ["gn", "beta"], ["y"]);
        }
        var original = OnnxModelLoader.Load(b.Save(folder.Path));
        var fused = original.Clone();
        var summary = TransformerFusion.Run(fused);
        Assert.Equal(fuses ? 1 : 0, summary.LayerNormalizations);
        if (!fuses) return;
        var layerNorm = Assert.Single(fused.Nodes);
        Assert.Equal(2, layerNorm.GetInt("axis"));
        Assert.Equal(1e-5f, layerNorm.GetFloat("epsilon", 0));
        Assert.Equal(affine ? 3 : 2, layerNorm.Inputs.Count);
        AssertSameOutputs(original, fused, TransformerModels.RandomInputs(original, 3, seed: 4));
    }

    private void AssertSameOutputs(ModelGraph original, ModelGraph fused, List<Dictionary<string, Tensor>> samples)
    {
        var before = new ReferenceExecutor(original);
        var after = new ReferenceExecutor(fused);
        foreach (var inputs in samples)
        {
            var expected = before.Run(inputs);
            var actual = after.Run(inputs);
            foreach (var name in original.Outputs) AssertClose(expected[name].As<float>(), actual[name].As<float>(), name);
        }
    }

    private void AssertClose(float[] expected, float[] actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-3, expected.Max(v => Math.Abs((double)v)));
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - (double)actual[i]) / scale);
        _output.WriteLine($"'{name}': max |difference| / max |value| = {worst:E2}");
        Assert.True(worst <= Tolerance, $"'{name}': max relative difference {worst:E2} exceeds {Tolerance:E0}");
    }
}
