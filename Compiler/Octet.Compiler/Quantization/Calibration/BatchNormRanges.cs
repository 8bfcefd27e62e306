using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// The data-free <c>bn-stats</c> ranges. A BatchNormalization that follows a Conv normalizes each channel c
/// of the conv's output to zero mean and unit variance (with the statistics it was trained with) and then
/// scales by γ_c and shifts by β_c, so its output in channel c is distributed with mean β_c and standard
/// deviation |γ_c|; β_c ± k·|γ_c| covers it (k = 6 by default). The tensor's range is the smallest interval
/// covering every channel: [min_c (β_c − k|γ_c|), max_c (β_c + k|γ_c|)].
/// <list type="bullet">
/// <item>A Relu reading the BN output gets the same range clamped at 0 below (and a Clip with constant
/// bounds, such as Relu6, clamped to its bounds).</item>
/// <item>The conv's own output (the BN input) gets μ_c ± k·√(σ²_c + ε) from the BN's running mean and
/// variance, the statistics of exactly that tensor.</item>
/// </list>
/// Every other tensor — the graph inputs, pooling outputs, additions, anything not next to a Conv → BN —
/// is not covered: calibration needs data for it, or reports it by name.
/// <para>
/// This reads the BatchNormalization nodes, so it must run on the graph as loaded, before BatchNorm folding
/// removes them (<see cref="Onnx.OnnxModelLoader"/> does not fold).
/// </para>
/// </summary>
public static class BatchNormRanges
{
    public const double DefaultK = 6;

    public static Dictionary<string, (float Min, float Max)> Compute(ModelGraph graph, double k = DefaultK)
    {
        if (!(k > 0) || !double.IsFinite(k)) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive");
        var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (var output in node.Outputs)
                if (output.Length > 0) producers[output] = node;

        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        foreach (var bn in graph.Nodes)
        {
            if (bn.OpType != "BatchNormalization" || bn.Domain.Length > 0 || bn.Inputs.Count < 5 || bn.Outputs.Count < 1) continue;
            if (!producers.TryGetValue(bn.Inputs[0], out var conv) || conv.OpType != "Conv" || conv.Domain.Length > 0) continue;
            var gamma = Constant(graph, bn.Inputs[1]);
            var beta = Constant(graph, bn.Inputs[2]);
            var mean = Constant(graph, bn.Inputs[3]);
            var variance = Constant(graph, bn.Inputs[4]);
            if (gamma is null || beta is null || mean is null || variance is null) continue;
            int channels = gamma.Length;
            if (beta.Length != channels || mean.Length != channels || variance.Length != channels || channels == 0) continue;
            double epsilon = bn.GetFloat("epsilon", 1e-5f);

            double outLow = double.PositiveInfinity, outHigh = double.NegativeInfinity;
            double inLow = double.PositiveInfinity, inHigh = double.NegativeInfinity;
            for (int c = 0; c < channels; c++)
            {
                double spread = k * Math.Abs((double)gamma[c]);
                outLow = Math.Min(outLow, beta[c] - spread);
                outHigh = Math.Max(outHigh, beta[c] + spread);
                double deviation = k * Math.Sqrt(Math.Max(0, variance[c] + epsilon));
                inLow = Math.Min(inLow, mean[c] - deviation);
                inHigh = Math.Max(inHigh, mean[c] + deviation);
            }
            if (!double.IsFinite(outLow) || !double.IsFinite(outHigh) || !double.IsFinite(inLow) || !double.IsFinite(inHigh)) continue;

            var output = ((float)outLow, (float)outHigh);
            ranges[bn.Outputs[0]] = output;
            if (IsActivation(graph, bn.Inputs[0])) ranges[bn.Inputs[0]] = ((float)inLow, (float)inHigh);
            foreach (var consumer in graph.Nodes)
            {
                if (consumer.Domain.Length > 0 || consumer.Inputs.Count == 0 || consumer.Inputs[0] != bn.Outputs[0] || consumer.Outputs.Count == 0) continue;
                var clamp = consumer.OpType switch
                {
                    "Relu" => (0f, float.PositiveInfinity),
                    "Clip" => ClipBounds(graph, consumer),
                    _ => ((float, float)?)null,
                };
                if (clamp is not var (low, high)) continue;
                ranges[consumer.Outputs[0]] = (Math.Clamp(output.Item1, low, high), Math.Clamp(output.Item2, low, high));
            }
        }
        return ranges;
    }

    private static bool IsActivation(ModelGraph graph, string name) =>
        graph.Tensors.TryGetValue(name, out var info) && info.ElementType == ElementType.Float32 && !info.IsConstant;

    private static float[]? Constant(ModelGraph graph, string name) =>
        name.Length > 0 && graph.Tensors.TryGetValue(name, out var info) && info.ConstantValue is { ElementType: ElementType.Float32 } value
            ? value.As<float>()
            : null;

    /// <summary>A Clip's bounds when they are known at compile time (attributes before opset 11, constant inputs after).</summary>
    private static (float, float)? ClipBounds(ModelGraph graph, Node clip)
    {
        float low = float.NegativeInfinity, high = float.PositiveInfinity;
        if (clip.OpsetVersion < 11)
        {
            low = clip.GetFloat("min", low);
            high = clip.GetFloat("max", high);
        }
        else if (clip.HasInput(1))
        {
            if (Constant(graph, clip.Inputs[1]) is not [var value]) return null;
            low = value;
        }
        if (clip.OpsetVersion >= 11 && clip.HasInput(2))
        {
            if (Constant(graph, clip.Inputs[2]) is not [var value]) return null;
            high = value;
        }
        return low <= high ? (low, high) : null;
    }
}
