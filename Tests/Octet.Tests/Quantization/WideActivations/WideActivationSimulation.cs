using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.WideActivations;
using Octet.Compiler.Reference;

namespace Octet.Tests.Quantization.WideActivations;

/// <summary>
/// The "residual" policy simulated the way <see cref="Transformers.ResidualPrecisionTests"/> simulates row 9a, without
/// the quantizer's policy code: the 8-bit QDQ quantizer (policy none) on the fused graph, with the 16-bit tensors kept
/// float in the QDQ model and rounded in place from the reference executor's observer (before any reader sees them),
/// data-movement ops reading them kept float too (they carry the rounding), an 8-bit copy (a same-shape Reshape with
/// the tensor's 8-bit calibrated parameters) inserted in front of each linear layer with an 8-bit output that reads
/// a 16-bit tensor, and the weights of layers that read a 16-bit tensor directly rounded beforehand to int8 per
/// output channel with an int32 bias at s16 · s_w (the QDQ quantizer leaves them float, their input being float).
/// <para>
/// Parameters, computed here from the calibrated range independently of the compiler: symmetric — zero point 0,
/// scale = max(|min|, |max|) · factor / 32767; asymmetric (the simulation's original 9a) — the range the 8-bit
/// parameters cover, × factor, with 65535 steps. Rounding as QuantizeLinear → DequantizeLinear computes it:
/// q = saturate_int16(round_half_even(x / s) + zp), then (q − zp) · s in float32.
/// </para>
/// The roles are <see cref="ResidualStreamRoles"/>' (shared with the quantizer: what is compared is how the QDQ model
/// is built from them).
/// </summary>
internal sealed class WideActivationSimulation
{
    private static readonly HashSet<string> LinearLayers = ["Conv", "Gemm", "MatMul"];

    private WideActivationSimulation(ModelGraph qdq, Dictionary<string, (float Scale, int ZeroPoint)> rounded, HashSet<string> copies)
    {
        Qdq = qdq;
        Rounded = rounded;
        Copies = copies;
    }

    /// <summary>The QDQ model run (8-bit quantizer, wide tensors kept float).</summary>
    public ModelGraph Qdq { get; }
    /// <summary>The tensors rounded in place at 16 bits, with their parameters.</summary>
    public Dictionary<string, (float Scale, int ZeroPoint)> Rounded { get; }
    /// <summary>The 16-bit tensors that got an 8-bit copy.</summary>
    public HashSet<string> Copies { get; }

    public static WideActivationSimulation Build(ModelGraph fused, QuantizationConfig config, float factor, bool symmetric)
    {
        var roles = ResidualStreamRoles.Find(fused);
        bool Quantized(string t) => config.Tensors.TryGetValue(t, out var s) && !s.KeepFloat;
        bool Carries(Node p) => DataMovementOps.Contains(p) && !fused.Tensor(p.Inputs[0]).IsConstant;
        var wide = roles.Wide.Where(t => Quantized(t) && fused.Producer(t) is { } p && !Carries(p)).ToHashSet(StringComparer.Ordinal);

        // Kept float in the QDQ model: the wide tensors and the data-movement outputs carrying them.
        var keep = new HashSet<string>(wide, StringComparer.Ordinal);
        var pending = new Stack<string>(wide);
        while (pending.TryPop(out var t))
            foreach (var reader in fused.Consumers(t))
                if (DataMovementOps.Contains(reader) && reader.Inputs[0] == t)
                    foreach (var o in reader.Outputs.Where(o => o.Length > 0 && keep.Add(o))) pending.Push(o);
        string Source(string t)
        {
            while (!wide.Contains(t) && fused.Producer(t) is { } p && Carries(p)) t = p.Inputs[0];
            return t;
        }

        var rounded = wide.ToDictionary(t => t, t => Parameters(config, t, factor, symmetric), StringComparer.Ordinal);
        var graph = fused.Clone();
        var tensors = config.Tensors.ToBuilder();
        foreach (var t in keep) tensors[t] = new TensorSettings { KeepFloat = true };

        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node.Domain.Length != 0 || !LinearLayers.Contains(node.OpType)) continue;
            if (keep.Contains(node.Outputs[0]))
            {
                // Reads its 16-bit input directly: int8 weights and an int32 bias at the input's 16-bit scale.
                if (keep.Contains(node.Inputs[0])) RoundWeights(graph, node, rounded[Source(node.Inputs[0])].Scale);
                continue;
            }
            var inputs = node.Inputs.ToArray();
            for (int k = 0; k < inputs.Length; k++)
            {
                if (!keep.Contains(inputs[k])) continue;
                if (!copies.TryGetValue(inputs[k], out var copy))
                {
                    var info = graph.Tensor(inputs[k]);
                    var shapeName = graph.UniqueName(inputs[k] + "_shape");
                    graph.Tensors[shapeName] = TensorInfo.ForConstant(shapeName, Tensor.Create(new Shape(info.Shape.Rank), info.Shape.Dims.ToArray().Select(d => (long)d).ToArray()));
                    copy = graph.UniqueName(inputs[k] + "_8bit");
                    graph.Tensors[copy] = new TensorInfo(copy, ElementType.Float32, info.Shape);
                    tensors[copy] = config.Tensors[Source(inputs[k])];
                    graph.Nodes.Insert(i, new Node(graph.UniqueName(copy + "_copy"), "Reshape", "", 14, [inputs[k], shapeName], [copy],
                        new Dictionary<string, Octet.Compiler.Graph.Attribute>()));
                    i++;
                    copies[inputs[k]] = copy;
                }
                inputs[k] = copy;
            }
            graph.Nodes[i] = new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, inputs, node.Outputs, node.Attributes);
        }
        var qdq = QdqQuantizer.Apply(graph, (config with { Tensors = tensors.ToImmutable() }).ToRequest());
        return new WideActivationSimulation(qdq, rounded, copies.Keys.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Runs the QDQ model over the samples, rounding the wide tensors in place; every one must be met.</summary>
    public List<Dictionary<string, Tensor>> Run(List<Dictionary<string, Tensor>> samples)
    {
        var run = new ReferenceExecutor(Qdq);
        var met = new HashSet<string>(StringComparer.Ordinal);
        var outputs = new List<Dictionary<string, Tensor>>();
        foreach (var sample in samples)
        {
            var seen = new Dictionary<Array, string>(ReferenceEqualityComparer.Instance);
            outputs.Add(run.Run(sample, (name, value) =>
            {
                if (Rounded.TryGetValue(name, out var p))
                {
                    // In place is only right when no earlier tensor shares the array (a view would).
                    if (seen.TryGetValue(value.Data, out var other))
                        throw new InvalidOperationException($"'{name}' shares its values with '{other}': cannot round it alone");
                    var values = value.As<float>();
                    for (int i = 0; i < values.Length; i++)
                    {
                        int q = QuantizationMath.Quantize(values[i], p.Scale, p.ZeroPoint, short.MinValue, short.MaxValue);
                        values[i] = (float)(q - p.ZeroPoint) * p.Scale;
                    }
                    met.Add(name);
                }
                seen.TryAdd(value.Data, name);
            }));
        }
        var missed = Rounded.Keys.Where(t => !met.Contains(t)).ToList();
        if (missed.Count > 0) throw new InvalidOperationException($"16-bit tensors never computed by the simulation's QDQ model: {string.Join(", ", missed)}");
        return outputs;
    }

    private static (float Scale, int ZeroPoint) Parameters(QuantizationConfig config, string tensor, float factor, bool symmetric)
    {
        var settings = config.Tensors[tensor];
        if (symmetric)
        {
            float min = settings.Min!.Value, max = settings.Max!.Value;
            float absMax = MathF.Max(MathF.Abs(min), MathF.Abs(max));
            return (absMax * factor / 32767f, 0);
        }
        var p8 = config.ActivationParameters(tensor)!;
        float lo = MathF.Min((p8.QMin - p8.ZeroPoint) * p8.Scale * factor, 0), hi = MathF.Max((p8.QMax - p8.ZeroPoint) * p8.Scale * factor, 0);
        float scale = (hi - lo) / 65535f;
        int zeroPoint = (int)Math.Clamp(MathF.Round(-32768 - lo / scale, MidpointRounding.ToEven), -32768, 32767);
        return (scale, zeroPoint);
    }

    /// <summary>
    /// The layer's weight rounded to int8 per output channel (symmetric, [−127, 127], round half to even) and its bias
    /// to int32 at s_in · s_w[c], both written back as the float values DequantizeLinear gives.
    /// </summary>
    private static void RoundWeights(ModelGraph graph, Node node, float inputScale)
    {
        int axis;
        switch (node.OpType)
        {
            case "Conv": axis = 0; break;
            case "Gemm" when node.GetInt("transA", 0) == 0 && node.GetFloat("alpha", 1) == 1 && node.GetFloat("beta", 1) == 1:
                axis = node.GetInt("transB", 0) != 0 ? 0 : 1; break;
            case "MatMul" when graph.Tensor(node.Inputs[1]).Shape.Rank == 2: axis = 1; break;
            default: return;
        }
        var info = graph.Tensor(node.Inputs[1]);
        if (info.ConstantValue is not { ElementType: ElementType.Float32 } w) return;
        var values = (float[])w.As<float>().Clone();
        int channels = w.Shape[axis], inner = 1;
        for (int d = axis + 1; d < w.Shape.Rank; d++) inner *= w.Shape[d];
        var maxAbs = new float[channels];
        for (int i = 0; i < values.Length; i++) maxAbs[i / inner % channels] = MathF.Max(maxAbs[i / inner % channels], MathF.Abs(values[i]));
        var scales = maxAbs.Select(m => m > 0 ? 2 * m / 254f : 1f).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            float s = scales[i / inner % channels];
            values[i] = (float)QuantizationMath.Quantize(values[i], s, 0, -127, 127) * s;
        }
        graph.Tensors[info.Name] = TensorInfo.ForConstant(info.Name, Tensor.Create(w.Shape, values));
        if (node.Inputs.Count < 3 || node.Inputs[2].Length == 0 || graph.Tensor(node.Inputs[2]).ConstantValue is not { ElementType: ElementType.Float32, Shape.Rank: 1 } b) return;
        var bias = (float[])b.As<float>().Clone();
        for (int c = 0; c < bias.Length; c++)
        {
            float s = inputScale * scales[c];
            long q = (long)Math.Clamp(Math.Round(bias[c] / (double)s, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            bias[c] = q * s;
        }
        graph.Tensors[node.Inputs[2]] = TensorInfo.ForConstant(node.Inputs[2], Tensor.Create(b.Shape, bias));
    }
}
