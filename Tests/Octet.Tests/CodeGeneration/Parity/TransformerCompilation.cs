using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.Quantization.Transformers;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The transformer test models as code generation sees them: loaded (attention_distilbert through ONNX Runtime's LayerNormalization upgrade, with the
/// input shape its own attention mask needs), and calibrated as the agreement tests calibrate them — on the fused graph, MinMax over
/// 20 random inputs, Softmax outputs at ISoftmax's fixed scale 1/256 — with the softmax and GELU methods chosen.
/// </summary>
internal static class TransformerCompilation
{
    /// <inheritdoc cref="TransformerModels.DistilBertShapes"/>
    public static readonly string[] DistilBertShapes = TransformerModels.DistilBertShapes;

    public static (ModelGraph Graph, string Path) Load(string model, string folder) => model switch
    {
        "vit" => TransformerModels.LoadVit(folder),
        "bert_toy" => (TransformerModels.LoadBertToy(), TransformerModels.BertToyPath),
        "distilbert" => (LoadDistilBert(), TransformerModels.DistilBertAttentionPath),
        _ => throw new ArgumentException($"unknown transformer test model '{model}'", nameof(model)),
    };

    public static ModelGraph LoadDistilBert() => TransformerModels.LoadDistilBertAttention();

    public static QuantizationConfig Calibrate(ModelGraph graph, string softmax, string gelu)
    {
        var fused = GraphPreparation.FuseTransformerPatterns(graph);
        var config = Calibrator.Run(fused, CalibrationSamples.FromList(Inputs(graph, 20, seed: 10)),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = TransformerQuantization.WithSoftmaxOutputScale(config, fused);
        if (!ConfigNames.TryParseSoftmax(softmax, out var softmaxMethod)) throw new ArgumentException($"unknown softmax method {softmax}");
        if (!ConfigNames.TryParseGelu(gelu, out var geluMethod)) throw new ArgumentException($"unknown gelu method {gelu}");
        return config with { Transformer = new TransformerSettings { Softmax = softmaxMethod, Gelu = geluMethod } };
    }

    public static List<Dictionary<string, Tensor>> Inputs(ModelGraph graph, int count, int seed) =>
        TransformerModels.RandomInputs(graph, count, seed);
}
