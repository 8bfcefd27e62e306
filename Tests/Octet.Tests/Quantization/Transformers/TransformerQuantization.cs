using System.Collections.Immutable;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// The integer-only pipeline for a float transformer graph, as the tests run it: fuse patterns, optionally
/// reparameterize post-LayerNorm scales (RepQ-ViT), calibrate
/// (MinMax), give Softmax outputs ISoftmax's own quantization (scale 1/256) so no requantization follows
/// it, quantize to QDQ, lower integer-only.
/// </summary>
internal static class TransformerQuantization
{
    public static (ModelGraph Plan, List<string> Report) Build(ModelGraph graph, List<Dictionary<string, Tensor>> calibration,
        TransformerLoweringOptions options, bool reparameterizeLayerNorms = false)
    {
        var fused = graph.Clone();
        var summary = TransformerFusion.Run(fused);
        var report = new List<string> { $"fused {summary.LayerNormalizations} LayerNorm, {summary.ErfGelus} erf GELU, {summary.TanhGelus} tanh GELU, {summary.LinearBiases} linear biases" };
        if (reparameterizeLayerNorms) report.AddRange(LayerNormReparameterization.Run(fused, calibration).Details);
        var config = Calibrator.Run(fused, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = WithSoftmaxOutputScale(config, fused);
        var qdq = QdqQuantizer.Apply(fused, config.ToRequest());
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly, options);
        report.Add("plan ops: " + string.Join(", ", plan.Nodes.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}")));
        return (plan, report);
    }

    /// <summary>Every Softmax output quantized at ISoftmax's fixed output scale, its range being [0, 1] anyway.</summary>
    public static QuantizationConfig WithSoftmaxOutputScale(QuantizationConfig config, ModelGraph graph)
    {
        var tensors = config.Tensors.ToBuilder();
        var natural = ISoftmax.OutputParameters(config.Activations.Type);
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Softmax"))
            if (tensors.TryGetValue(node.Outputs[0], out var settings) && !settings.KeepFloat)
                tensors[node.Outputs[0]] = settings with { Scale = natural.Scale, ZeroPoint = natural.ZeroPoint };
        return config with { Tensors = tensors.ToImmutable() };
    }
}
