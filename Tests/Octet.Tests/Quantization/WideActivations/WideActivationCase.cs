using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Reference;
using Octet.Tests.Models.Transformers;
using Octet.Tests.Quantization.Transformers;

namespace Octet.Tests.Quantization.WideActivations;

/// <summary>
/// One transformer model set up as <see cref="ResidualPrecisionTests"/> and <see cref="IntegerTransformerAgreementTests"/>
/// do: the float graph (the reference), the fused graph the quantizer is given (<see cref="TransformerFusion"/>, then
/// <see cref="PreRmsNormConversion"/> for "vit_pre_rmsnorm"), MinMax calibration on the 20 inputs of seed 10 with
/// Softmax outputs at ISoftmax's scale, and the 100 inputs of seed 11.
/// </summary>
internal sealed class WideActivationCase
{
    public required string Model { get; init; }
    public required ModelGraph Float { get; init; }
    public required ModelGraph Fused { get; init; }
    /// <summary>The calibrated 8-bit config (policy none).</summary>
    public required QuantizationConfig Config { get; init; }
    public required List<Dictionary<string, Tensor>> Samples { get; init; }

    public static WideActivationCase Load(string model, string folder, int sampleCount = 100)
    {
        var graph = model == "bert_toy" ? TransformerModels.LoadBertToy() : OnnxModelLoader.Load(new VitModelWriter().Save(folder));
        var fused = graph.Clone();
        TransformerFusion.Run(fused);
        if (model == "vit_pre_rmsnorm" && !PreRmsNormConversion.Run(fused).Converted)
            throw new InvalidOperationException("the ViT no longer qualifies for the pre-RMSNorm conversion");
        var calibration = TransformerModels.RandomInputs(graph, 20, seed: 10);
        var config = Calibrator.Run(fused, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = TransformerQuantization.WithSoftmaxOutputScale(config, fused);
        return new WideActivationCase
        {
            Model = model, Float = graph, Fused = fused, Config = config,
            Samples = TransformerModels.RandomInputs(graph, 100, seed: 11).Take(sampleCount).ToList(),
        };
    }

    /// <summary>The config with the residual policy and a range factor.</summary>
    public QuantizationConfig Residual(double factor = TransformerSettings.DefaultWideRangeFactor) =>
        Config with { Transformer = Config.Transformer with { WideActivations = WideActivationPolicy.Residual, WideRangeFactor = factor } };

    /// <summary>Runs <paramref name="graph"/> over the samples; returns the outputs.</summary>
    public List<Dictionary<string, Tensor>> Run(ModelGraph graph, Action<string, Tensor>? observer = null)
    {
        var run = new ReferenceExecutor(graph);
        return Samples.Select(s => observer is null ? run.Run(s) : run.Run(s, observer)).ToList();
    }

    /// <summary>Cosine mean / min and argmax agreement of each output against float.</summary>
    public Dictionary<string, AgreementMetrics> Agreement(List<Dictionary<string, Tensor>> expected, List<Dictionary<string, Tensor>> actual)
    {
        var metrics = Float.Outputs.ToDictionary(o => o, _ => new AgreementMetrics(), StringComparer.Ordinal);
        for (int i = 0; i < expected.Count; i++)
            foreach (var (name, m) in metrics) m.Add(expected[i][name], actual[i][name]);
        return metrics;
    }
}
