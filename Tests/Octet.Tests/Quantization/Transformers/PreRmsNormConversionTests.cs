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
/// Pre-LN → Pre-RMSNorm (<see cref="PreRmsNormConversion"/>): on the pre-LN ViT the float outputs are unchanged
/// and every LayerNorm input becomes zero-mean (so LayerNorm = RMSNorm there); the post-LN bert_toy is refused
/// naming the LayerNorm its residual stream passes through.
/// </summary>
public sealed class PreRmsNormConversionTests
{
    private readonly ITestOutputHelper _output;
    public PreRmsNormConversionTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Vit_converts_with_unchanged_outputs_and_zero_mean_layernorm_inputs()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(new VitModelWriter().Save(folder.Path));
        TransformerFusion.Run(graph);
        var converted = graph.Clone();
        var summary = PreRmsNormConversion.Run(converted);
        _output.WriteLine(summary.ToString());
        Assert.True(summary.Converted, summary.Refusal);
        Assert.Equal(9, summary.RmsNormEquivalent.Count);

        var layerNormInputs = converted.Nodes.Where(n => n.OpType == "LayerNormalization").Select(n => n.Inputs[0]).ToHashSet();
        var before = new ReferenceExecutor(graph);
        var after = new ReferenceExecutor(converted);
        double worstOutput = 0, worstMean = 0;
        foreach (var inputs in TransformerModels.RandomInputs(graph, 20, seed: 11))
        {
            var a = before.Run(inputs)[VitModelWriter.OutputName].As<float>();
            var b = after.Run(inputs, (name, value) =>
            {
                if (!layerNormInputs.Contains(name)) return;
                var v = value.As<float>();
                int width = value.Shape[^1];
                for (int row = 0; row < v.Length; row += width)
                {
                    double sum = 0, squares = 0;
                    for (int i = row; i < row + width; i++) { sum += v[i]; squares += (double)v[i] * v[i]; }
                    worstMean = Math.Max(worstMean, Math.Abs(sum / width) / Math.Sqrt(squares / width));
                }
            })[VitModelWriter.OutputName].As<float>();
            double scale = a.Max(v => Math.Abs(v));
            for (int i = 0; i < a.Length; i++) worstOutput = Math.Max(worstOutput, Math.Abs(a[i] - b[i]) / scale);
        }
        _output.WriteLine($"largest logit change (relative to the largest logit) {worstOutput:E2}; largest |mean| / rms of a LayerNorm input row {worstMean:E2}");
        // Tolerances: centering rounds each constant once to float32 and the stream's sums change order; both stay
        // near float32 epsilon (1.2e−7) times the accumulated magnitudes, far below 1e−4. A LayerNorm input row's
        // mean was O(rms) before (measured 0.1–1) and is rounding noise after.
        Assert.True(worstOutput < 1e-4, $"outputs changed by {worstOutput:E2}");
        Assert.True(worstMean < 1e-4, $"a LayerNorm input row has |mean| / rms = {worstMean:E2}");
    }

    [Fact]
    public void Post_layernorm_bert_is_refused_naming_the_layernorm()
    {
        var graph = TransformerModels.LoadBertToy();
        TransformerFusion.Run(graph);
        var nodes = graph.Nodes.Count;
        var summary = PreRmsNormConversion.Run(graph);
        _output.WriteLine(summary.ToString());
        Assert.False(summary.Converted);
        Assert.Contains("is written by LayerNormalization '", summary.Refusal);
        Assert.Contains("post-LN", summary.Refusal);
        Assert.Equal(nodes, graph.Nodes.Count);
    }

    [Fact]
    public void Integer_only_agreement_after_conversion_is_reported()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(new VitModelWriter().Save(folder.Path));
        var converted = graph.Clone();
        TransformerFusion.Run(converted);
        Assert.True(PreRmsNormConversion.Run(converted).Converted);
        var (plan, _) = TransformerQuantization.Build(converted, TransformerModels.RandomInputs(graph, 20, seed: 10), new TransformerLoweringOptions());
        var floatRun = new ReferenceExecutor(graph);
        var integerRun = new ReferenceExecutor(plan);
        var metrics = new AgreementMetrics();
        foreach (var inputs in TransformerModels.RandomInputs(graph, 100, seed: 11))
            metrics.Add(floatRun.Run(inputs)[VitModelWriter.OutputName], integerRun.Run(inputs)[VitModelWriter.OutputName]);
        _output.WriteLine($"vit pre-RMSNorm (centered) integer-only: {metrics}");
        Assert.True(metrics.Mean > 0.995, $"cosine mean {metrics.Mean:F5}");
    }
}
