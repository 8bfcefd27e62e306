using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.Models.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// RepQ-ViT's post-LayerNorm reparameterization (<see cref="LayerNormReparameterization"/>): the float model is
/// unchanged, post-LN models are refused by name, and the integer-only agreement with and without it is
/// measured on the ViT as written and on a ViT whose LayerNorms have outlier channels.
/// </summary>
public sealed class LayerNormReparameterizationTests
{
    private readonly ITestOutputHelper _output;
    public LayerNormReparameterizationTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Float_outputs_are_unchanged(int outlierChannels)
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(new VitModelWriter { OutlierChannels = outlierChannels }.Save(folder.Path));
        var fused = graph.Clone();
        TransformerFusion.Run(fused);
        var rewritten = fused.Clone();
        var summary = LayerNormReparameterization.Run(rewritten, TransformerModels.RandomInputs(graph, 20, seed: 10));
        foreach (var line in summary.Details) _output.WriteLine(line);
        // The 8 block LayerNorms feed Q/K/V and fc1 only; the final one feeds Gather (not a linear layer).
        Assert.Equal(8, summary.Reparameterized);
        Assert.Contains(summary.Details, d => d.Contains("final_norm") && d.Contains("not reparameterized"));

        // Tolerance: γ/r, β/r and r·W are each rounded once to float32 (relative 6e−8) and the summation order of
        // the shifted bias differs; through 4 blocks that stays far below 1e−4 of the logits' magnitude.
        var before = new ReferenceExecutor(fused);
        var after = new ReferenceExecutor(rewritten);
        double worst = 0;
        foreach (var inputs in TransformerModels.RandomInputs(graph, 20, seed: 11))
        {
            var a = before.Run(inputs)[VitModelWriter.OutputName].As<float>();
            var b = after.Run(inputs)[VitModelWriter.OutputName].As<float>();
            double scale = a.Max(v => Math.Abs(v));
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / scale);
        }
        _output.WriteLine($"largest change of a logit, relative to the largest logit: {worst:E2}");
        Assert.True(worst < 1e-4, $"reparameterization changed the float outputs by {worst:E2} (relative)");
    }

    [Fact]
    public void Post_layernorm_models_are_refused_by_name()
    {
        var graph = TransformerModels.LoadBertToy();
        TransformerFusion.Run(graph);
        var summary = LayerNormReparameterization.Run(graph, TransformerModels.RandomInputs(graph, 2, seed: 1));
        foreach (var line in summary.Details) _output.WriteLine(line);
        // Every LayerNorm that writes the residual stream (read by the next residual Add) is refused, naming that Add;
        // the one before the masked-LM head's decoder is read only by a linear layer and qualifies.
        var refused = summary.Details.Where(d => d.Contains("not reparameterized")).ToList();
        Assert.Equal(graph.Nodes.Count(n => n.OpType == "LayerNormalization"), summary.Reparameterized + refused.Count);
        Assert.True(refused.Count >= 4, $"{refused.Count} LayerNorms refused");
        Assert.True(refused.Count(d => System.Text.RegularExpressions.Regex.IsMatch(d, "'Add_[0-9]+' \\(Add\\) reads it and is not a linear layer")) >= 4,
            "the LayerNorms feeding residual Adds are not refused by naming the Add");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Integer_only_agreement_with_and_without_reparameterization(int outlierChannels)
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(new VitModelWriter { OutlierChannels = outlierChannels }.Save(folder.Path));
        var results = new Dictionary<bool, AgreementMetrics>();
        foreach (bool reparameterize in new[] { false, true })
        {
            var (plan, _) = TransformerQuantization.Build(graph, TransformerModels.RandomInputs(graph, 20, seed: 10), new TransformerLoweringOptions(), reparameterize);
            var floatRun = new ReferenceExecutor(graph);
            var integerRun = new ReferenceExecutor(plan);
            var metrics = new AgreementMetrics();
            foreach (var inputs in TransformerModels.RandomInputs(graph, 100, seed: 11))
                metrics.Add(floatRun.Run(inputs)[VitModelWriter.OutputName], integerRun.Run(inputs)[VitModelWriter.OutputName]);
            results[reparameterize] = metrics;
            _output.WriteLine($"vit outliers={outlierChannels} reparameterized={reparameterize}: {metrics}");
        }
        // With outlier channels the per-tensor scale of post-LN activations is set by them and the other channels
        // lose resolution; reparameterization must then help. Without outliers there is little to gain: it must not hurt much.
        if (outlierChannels > 0) Assert.True(results[true].Mean > results[false].Mean, "reparameterization did not improve the mean cosine with outlier channels");
        else Assert.True(results[true].Mean > results[false].Mean - 2e-4, "reparameterization made the mean cosine worse");
    }
}
