using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Quantization.WideActivations;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.Models.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// Which activation precision would reach issue 6's targets (docs/integer-transformers.md, "Which precision
/// would reach the targets (measured)"). Same models, calibration (MinMax, 20 inputs, seed 10) and 100 inputs
/// (seed 11) as <see cref="IntegerTransformerAgreementTests"/>; simulated, not built: the QDQ model of
/// <see cref="TransformerErrorAnalysisTests"/> (fake quantization, exact float Softmax / GELU / LayerNorm)
/// with chosen tensor sets rounded differently.
/// <para>
/// How a tensor is rounded at 16 bits (or per channel): the QDQ quantizer only knows 8-bit storage, so the
/// chosen tensors are kept float in the QDQ model (and so are the data-movement ops reading them, which in an
/// integer plan carry their input's type and step) and are rounded in place while the reference executor runs,
/// from its observer callback, before any reader sees them: q = round_half_even(x / s) + zp, clamped, then
/// (q − zp) · s in float32 as DequantizeLinear computes it. 16 bits use the same calibrated range as the 8-bit
/// parameters with 65535 steps (zero point in [−32768, 32767]); per channel means one (s, zp) per index of the
/// last axis (the hidden dimension), from the per-channel MinMax over the same 20 calibration inputs. All
/// weights are int8 per output channel in every simulated row (rounded in the float graph beforehand, since the
/// QDQ quantizer leaves a layer's weights float when its input is kept float). "Range × k" widens the calibrated
/// range k times about zero (headroom for values the 20 calibration inputs did not reach).
/// </para>
/// <para>
/// Rows, printed per output with the integer-only plan of today for reference: the candidates of the brief (residual
/// stream at 16 bits, with the LayerNorm outputs, per channel at 8 bits, Q·Kᵀ scores and GELU inputs), every activation
/// at 16 bits, the stream kept float (the bound of any stream precision), each role back at 8 bits from "every
/// activation 16-bit × 4", and combinations of roles; one of them gives post-LN LayerNorm outputs 16 bits for the
/// stream and an 8-bit copy for the linear layers (a Reshape inserted into the graph, with the output's range).
/// Also printed: each stream tensor's own rounding error, and every tensor whose values leave the calibrated range.
/// </para>
/// The roles (stream, writers, head, LayerNorm outputs the stream reads) are the compiler's <see cref="ResidualStreamRoles"/>,
/// which <c>transformer.wide_activations = "residual"</c> gives 16 bits; <see cref="WideActivations.WideActivationAgreementTests"/>
/// measures the QDQ model the quantizer writes with that policy.
/// The assertions check the simulation, not the outcome: float weights and no activation rounding reproduce
/// the float model; the in-place 8-bit rounding of the residual stream gives the QDQ model's outputs exactly;
/// every chosen tensor is really rounded and every 8-bit copy is quantized; each residual tensor's own 16-bit
/// rounding error is below its 8-bit one.
/// </summary>
public sealed class ResidualPrecisionTests
{
    private readonly ITestOutputHelper _output;
    public ResidualPrecisionTests(ITestOutputHelper output) => _output = output;

    /// <summary>How a chosen tensor is rounded: bit width and per-channel (last axis) or per-tensor parameters.</summary>
    private sealed record Rounding(int Bits, bool PerChannel, float RangeFactor = 1);

    [Theory]
    [InlineData("vit")]
    [InlineData("vit_pre_rmsnorm")]
    [InlineData("bert_toy")]
    public void Activation_precision_candidates_are_measured(string model)
    {
        using var folder = new TempFolder();
        var graph = model == "bert_toy" ? TransformerModels.LoadBertToy() : OnnxModelLoader.Load(new VitModelWriter().Save(folder.Path));
        var prepared = graph.Clone();
        TransformerFusion.Run(prepared);
        // As FinalLayerOutputRoundingTests: the float reference stays the unconverted model.
        if (model == "vit_pre_rmsnorm") Assert.True(PreRmsNormConversion.Run(prepared).Converted);
        var calibration = TransformerModels.RandomInputs(graph, 20, seed: 10);
        var config = Calibrator.Run(prepared, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = TransformerQuantization.WithSoftmaxOutputScale(config, prepared);
        var samples = TransformerModels.RandomInputs(graph, 100, seed: 11);
        var floatRun = new ReferenceExecutor(graph);
        var expected = samples.Select(s => floatRun.Run(s)).ToList();
        var weightsInt8 = WithInt8Weights(prepared);

        // The tensor sets (names of the fused graph; the QDQ model keeps them for tensors kept float): the roles are the
        // compiler's (ResidualStreamRoles, what transformer.wide_activations = "residual" widens).
        var streamRoles = ResidualStreamRoles.Find(prepared);
        var stream = streamRoles.Stream.ToHashSet(StringComparer.Ordinal);
        var writers = streamRoles.Writers.ToHashSet(StringComparer.Ordinal);
        var layerNormOutputs = prepared.Nodes.Where(n => n.OpType == "LayerNormalization").Select(n => n.Outputs[0]).ToHashSet(StringComparer.Ordinal);
        var scores = SoftmaxInputs(prepared);
        var geluInputs = prepared.Nodes.Where(n => n.OpType == "Gelu").Select(n => Root(prepared, n.Inputs[0])).ToHashSet(StringComparer.Ordinal);
        // Every rounded activation except graph inputs and data-movement outputs, which carry their input's rounding.
        var everything = config.Tensors.Where(e => !e.Value.KeepFloat && prepared.Producer(e.Key) is { } p
                && !(DataMovementOps.Contains(p) && !prepared.Tensor(p.Inputs[0]).IsConstant))
            .Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        _output.WriteLine($"{model}: residual stream ({stream.Count}): {string.Join(", ", stream.Order(StringComparer.Ordinal))}");
        _output.WriteLine($"  written into it ({writers.Count}): {string.Join(", ", writers.Order(StringComparer.Ordinal))}");
        _output.WriteLine($"  LayerNorm outputs ({layerNormOutputs.Count}), Softmax inputs and the scores before them ({scores.Count}), GELU inputs ({geluInputs.Count})");
        Assert.NotEmpty(stream);

        var perChannel = PerChannelRanges(prepared, calibration, stream.Union(layerNormOutputs));
        Dictionary<string, Rounding> Choose(Rounding rounding, params HashSet<string>[] sets) =>
            sets.SelectMany(s => s).Distinct(StringComparer.Ordinal).ToDictionary(t => t, _ => rounding, StringComparer.Ordinal);
        var b16 = new Rounding(16, false);
        var channel8 = new Rounding(8, true);
        var b16Wide2 = new Rounding(16, false, RangeFactor: 2);
        var b16Wide4 = new Rounding(16, false, RangeFactor: 4);

        var simulation = new Simulation(config, perChannel, samples, expected);

        // Checks of the simulation itself.
        var floatModel = simulation.Run(prepared, keepEverythingFloat: true, []);
        foreach (var (name, m) in floatModel.Metrics)
            Assert.True(m.Mean >= 0.99999, $"{model} '{name}': float weights and no activation rounding give cosine mean {m.Mean:F6}: the simulation does not reproduce the float model");
        var qdq8 = simulation.Run(weightsInt8, keepEverythingFloat: false, [], keepOutputs: 10);
        var inPlace8 = simulation.Run(weightsInt8, keepEverythingFloat: false, Choose(new Rounding(8, false), stream), keepOutputs: 10, sampleCount: 10);
        double worstDifference = 0;
        for (int i = 0; i < 10; i++)
            foreach (var name in graph.Outputs)
            {
                var a = qdq8.Outputs[i][name].As<float>();
                var b = inPlace8.Outputs[i][name].As<float>();
                double scale = a.Max(MathF.Abs);
                for (int k = 0; k < a.Length; k++) worstDifference = Math.Max(worstDifference, Math.Abs(a[k] - b[k]) / scale);
            }
        _output.WriteLine($"  in-place 8-bit rounding of the stream vs the QDQ model's own: largest output difference {worstDifference:E2} (relative to the largest output)");
        // Same arithmetic as QuantizeLinear → DequantizeLinear, so the same values; 1e-6 allows for a float32 ulp.
        Assert.True(worstDifference <= 1e-6, $"{model}: the in-place 8-bit rounding differs from the QDQ model's by {worstDifference:E2}: the simulation is wrong");
        OwnRoundingErrors(prepared, samples.Take(10).ToList(), stream, config, model);

        // The candidates.
        var rows = new List<(string Name, IReadOnlyDictionary<string, AgreementMetrics> Metrics)>();
        var (plan, _) = TransformerQuantization.Build(prepared, calibration, new TransformerLoweringOptions());
        var integerRun = new ReferenceExecutor(plan);
        var integerMetrics = graph.Outputs.ToDictionary(o => o, _ => new AgreementMetrics(), StringComparer.Ordinal);
        for (int i = 0; i < samples.Count; i++)
        {
            var actual = integerRun.Run(samples[i]);
            foreach (var name in graph.Outputs) integerMetrics[name].Add(expected[i][name], actual[name]);
        }
        rows.Add(("integer-only plan today (all 8-bit, integer operators)", integerMetrics));
        rows.Add(("QDQ: no activation rounded, int8 weights", simulation.Run(weightsInt8, keepEverythingFloat: true, []).Metrics));
        rows.Add(("QDQ: all 8-bit", qdq8.Metrics));
        rows.Add(("1. residual stream 16-bit", simulation.Run(weightsInt8, false, Choose(b16, stream)).Metrics));
        rows.Add(("2. residual stream + LayerNorm outputs 16-bit", simulation.Run(weightsInt8, false, Choose(b16, stream, layerNormOutputs)).Metrics));
        rows.Add(("3. residual stream 8-bit per channel", simulation.Run(weightsInt8, false, Choose(channel8, stream)).Metrics));
        rows.Add(("3b. residual stream + LayerNorm outputs 8-bit per channel", simulation.Run(weightsInt8, false, Choose(channel8, stream, layerNormOutputs)).Metrics));
        rows.Add(("4a. residual stream + what is written into it 16-bit", simulation.Run(weightsInt8, false, Choose(b16, stream, writers)).Metrics));
        rows.Add(("4b. 4a + LayerNorm outputs 16-bit", simulation.Run(weightsInt8, false, Choose(b16, stream, writers, layerNormOutputs)).Metrics));
        rows.Add(("4c. Q·Kᵀ scores + GELU inputs 16-bit (rest 8-bit)", simulation.Run(weightsInt8, false, Choose(b16, scores, geluInputs)).Metrics));
        rows.Add(("4d. every activation 16-bit (model input 8-bit)", simulation.Run(weightsInt8, false, Choose(b16, everything)).Metrics));
        rows.Add(("5a. residual stream 16-bit, range × 2", simulation.Run(weightsInt8, false, Choose(b16Wide2, stream)).Metrics));
        rows.Add(("5b. residual stream 16-bit, range × 4", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream)).Metrics));
        rows.Add(("5c. residual stream + LayerNorm outputs 16-bit, range × 4", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream, layerNormOutputs)).Metrics));
        rows.Add(("5d. 4a + LayerNorm outputs 16-bit, range × 4", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream, writers, layerNormOutputs)).Metrics));
        rows.Add(("5e. every activation 16-bit, range × 4", simulation.Run(weightsInt8, false, Choose(b16Wide4, everything)).Metrics));
        // Kept float: no rounding and no clipping, the bound of any precision for these tensors.
        rows.Add(("6a. residual stream not rounded (float)", simulation.Run(weightsInt8, false, [], keepFloat: stream).Metrics));
        rows.Add(("6b. residual stream + LayerNorm outputs not rounded", simulation.Run(weightsInt8, false, [], keepFloat: stream.Union(layerNormOutputs).ToHashSet()).Metrics));
        // Which roles 5e needs: each one back at 8 bits (calibrated range), the rest 16-bit with the range × 4.
        var head = streamRoles.Head.ToHashSet(StringComparer.Ordinal);
        var roles = everything.GroupBy(t => Role(prepared, t, stream, writers, layerNormOutputs, head)).ToDictionary(g => g.Key, g => g.ToHashSet(StringComparer.Ordinal));
        foreach (var (role, members) in roles.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            _output.WriteLine($"  role {role} ({members.Count}): {string.Join(", ", members.Order(StringComparer.Ordinal))}");
            var chosen = Choose(b16Wide4, everything);
            foreach (var t in members) chosen[t] = new Rounding(8, false);
            rows.Add(($"7. 5e with {role} 8-bit", simulation.Run(weightsInt8, false, chosen).Metrics));
        }
        HashSet<string> RoleSet(string role) => roles.GetValueOrDefault(role) ?? [];
        rows.Add(("8a. stream, LN out, writers, head 16-bit × 4; rest 8-bit", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream, layerNormOutputs, writers, RoleSet("head"))).Metrics));
        rows.Add(("8b. stream, writers, head 16-bit × 4; rest 8-bit", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream, writers, RoleSet("head"))).Metrics));
        rows.Add(("8c. stream, LN out, head 16-bit × 4; rest 8-bit", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream, layerNormOutputs, RoleSet("head"))).Metrics));
        rows.Add(("8d. stream, LN out, writers 16-bit × 4; rest 8-bit", simulation.Run(weightsInt8, false, Choose(b16Wide4, stream, layerNormOutputs, writers)).Metrics));
        // LayerNorm outputs at 16 bits only where the stream reads them (post-LN), an 8-bit copy for the linear layers.
        var (split, splitConfig, copies) = SplitLayerNormOutputs(weightsInt8, config, stream, RoleSet("head"));
        var splitSimulation = new Simulation(splitConfig, perChannel, samples, expected, copies);
        var streamLayerNorms = streamRoles.StreamLayerNormOutputs.ToHashSet(StringComparer.Ordinal);
        var recommended = splitSimulation.Run(split, false, Choose(b16Wide4, stream, writers, RoleSet("head"), streamLayerNorms), keepOutputs: samples.Count);
        rows.Add(("9a. stream, writers, head 16-bit × 4, LN out 16-bit to the stream only", recommended.Metrics));
        ReportFlips("9a", graph.Outputs, expected, recommended.Outputs);
        rows.Add(("9b. stream, head 16-bit × 4, LN out 16-bit to the stream only", splitSimulation.Run(split, false, Choose(b16Wide4, stream, RoleSet("head"), streamLayerNorms)).Metrics));
        rows.Add(("9c. as 9a with the calibrated range (× 1)", splitSimulation.Run(split, false, Choose(b16, stream, writers, RoleSet("head"), streamLayerNorms)).Metrics));
        var headWide = Choose(b16, stream, writers, streamLayerNorms);
        foreach (var t in RoleSet("head")) headWide[t] = b16Wide4;
        rows.Add(("9d. as 9a, range × 4 for the head only", splitSimulation.Run(split, false, headWide).Metrics));
        rows.Add(("9e. as 9a with the range × 2", splitSimulation.Run(split, false, Choose(b16Wide2, stream, writers, RoleSet("head"), streamLayerNorms)).Metrics));
        var head8Wide = Choose(b16Wide4, stream, writers, streamLayerNorms);
        foreach (var t in RoleSet("head")) head8Wide[t] = new Rounding(8, false, RangeFactor: 2);
        rows.Add(("9f. as 9a with the head 8-bit, range × 2", splitSimulation.Run(split, false, head8Wide).Metrics));
        ReportClipping(prepared, samples, everything, config, stream, model);

        _output.WriteLine($"{model}: cosine mean / min / argmax against float over {samples.Count} inputs; targets 0.999 / 0.99 / 99 %");
        foreach (var output in graph.Outputs)
        {
            _output.WriteLine($"  output '{output}'");
            foreach (var (name, metrics) in rows)
            {
                var m = metrics[output];
                bool met = m.Mean >= 0.999 && m.Min >= 0.99 && m.ArgmaxAgreement >= 0.99;
                _output.WriteLine($"    {name,-60} {m.Mean:F5} / {m.Min:F5} / {m.ArgmaxAgreement,6:P1}  {(met ? "targets met" : "")}");
            }
        }
    }

    /// <summary>Runs the QDQ model of a graph over the samples with chosen tensors rounded in place, and measures agreement with float.</summary>
    /// <remarks><paramref name="eightBitCopies"/>: data-movement outputs that keep their own 8-bit rounding even when their input is kept float.</remarks>
    private sealed class Simulation(QuantizationConfig config, Dictionary<string, (float[] Min, float[] Max)> perChannel,
        List<Dictionary<string, Tensor>> samples, List<Dictionary<string, Tensor>> expected, IReadOnlySet<string>? eightBitCopies = null)
    {
        public (IReadOnlyDictionary<string, AgreementMetrics> Metrics, List<Dictionary<string, Tensor>> Outputs) Run(
            ModelGraph graph, bool keepEverythingFloat, Dictionary<string, Rounding> chosen, int keepOutputs = 0, int sampleCount = int.MaxValue,
            HashSet<string>? keepFloat = null)
        {
            // Kept float in the QDQ model: the chosen tensors and every data-movement op carrying one of them.
            var keep = new HashSet<string>(chosen.Keys.Concat(keepFloat ?? []), StringComparer.Ordinal);
            var pending = new Stack<string>(keep);
            while (pending.TryPop(out var tensor))
                foreach (var reader in graph.Consumers(tensor))
                    if (DataMovementOps.Contains(reader) && reader.Inputs[0] == tensor)
                        foreach (var o in reader.Outputs.Where(o => o.Length > 0 && eightBitCopies?.Contains(o) != true && keep.Add(o))) pending.Push(o);
            var tensors = config.Tensors.ToBuilder();
            foreach (var key in config.Tensors.Keys)
                if (keepEverythingFloat || keep.Contains(key)) tensors[key] = new TensorSettings { KeepFloat = true };
            var qdq = QdqQuantizer.Apply(graph, (config with { Tensors = tensors.ToImmutable() }).ToRequest());
            var run = new ReferenceExecutor(qdq);
            if (!keepEverythingFloat)
                foreach (var copy in eightBitCopies ?? new HashSet<string>())
                    Assert.True(qdq.Nodes.Any(n => n.OpType == "QuantizeLinear" && n.Inputs[0] == copy), $"the 8-bit copy '{copy}' is not rounded by the QDQ model");

            var parameters = chosen.ToDictionary(c => c.Key, c => Parameters(c.Key, c.Value), StringComparer.Ordinal);
            var metrics = expected[0].Keys.ToDictionary(o => o, _ => new AgreementMetrics(), StringComparer.Ordinal);
            var outputs = new List<Dictionary<string, Tensor>>();
            var rounded = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < Math.Min(sampleCount, samples.Count); i++)
            {
                var seen = new Dictionary<Array, string>(ReferenceEqualityComparer.Instance);
                var actual = run.Run(samples[i], (name, value) =>
                {
                    if (parameters.TryGetValue(name, out var p))
                    {
                        // Rounding in place is only right when no other tensor shares the array (views do).
                        if (seen.TryGetValue(value.Data, out var other))
                            throw new InvalidOperationException($"'{name}' shares its values with '{other}': cannot round it alone");
                        RoundInPlace(value.As<float>(), p);
                        rounded.Add(name);
                    }
                    if (keepFloat?.Contains(name) == true) rounded.Add(name);
                    seen.TryAdd(value.Data, name);
                });
                foreach (var (name, m) in metrics) m.Add(expected[i][name], actual[name]);
                if (i < keepOutputs) outputs.Add(actual);
            }
            var missed = chosen.Keys.Concat(keepFloat ?? []).Where(t => !rounded.Contains(t)).ToList();
            Assert.True(missed.Count == 0, $"chosen tensors never computed by the QDQ model (renamed or folded): {string.Join(", ", missed)}");
            return (metrics, outputs);
        }

        /// <summary>(scale, zero point) per channel (one entry when per tensor), and the integer range.</summary>
        private (float[] Scales, int[] ZeroPoints, int QMin, int QMax) Parameters(string tensor, Rounding rounding)
        {
            if (rounding.PerChannel)
            {
                if (rounding.RangeFactor != 1) throw new NotSupportedException("per-channel rounding uses the calibrated ranges only");
                var (min, max) = perChannel[tensor];
                var p = Enumerable.Range(0, min.Length).Select(c => FromRange(min[c], max[c], rounding.Bits)).ToArray();
                return (p.Select(x => x.Scale).ToArray(), p.Select(x => x.ZeroPoint).ToArray(), p[0].QMin, p[0].QMax);
            }
            // Calibration writes the observed range and the 8-bit parameters derived from it; the range those parameters
            // cover is the calibrated one with zero included (to within half a step from the rounded zero point).
            var p8 = config.ActivationParameters(tensor)!;
            if (rounding is { Bits: 8, RangeFactor: 1 }) return ([p8.Scale], [p8.ZeroPoint], p8.QMin, p8.QMax);
            float lo = (p8.QMin - p8.ZeroPoint) * p8.Scale, hi = (p8.QMax - p8.ZeroPoint) * p8.Scale;
            var r = FromRange(lo * rounding.RangeFactor, hi * rounding.RangeFactor, rounding.Bits);
            return ([r.Scale], [r.ZeroPoint], r.QMin, r.QMax);
        }

        private static void RoundInPlace(float[] values, (float[] Scales, int[] ZeroPoints, int QMin, int QMax) p)
        {
            int channels = p.Scales.Length;
            for (int i = 0; i < values.Length; i++)
            {
                int c = i % channels;
                int q = QuantizationMath.Quantize(values[i], p.Scales[c], p.ZeroPoints[c], p.QMin, p.QMax);
                values[i] = (float)(q - p.ZeroPoints[c]) * p.Scales[c];
            }
        }
    }

    /// <summary>
    /// Asymmetric parameters for [min, max] ∪ {0} with 2^bits − 1 steps: at 8 bits exactly
    /// <see cref="QuantizationMath.FromRange"/> (int8), at 16 bits the same formula with [−32768, 32767].
    /// </summary>
    private static (float Scale, int ZeroPoint, int QMin, int QMax) FromRange(float min, float max, int bits)
    {
        if (bits == 8)
        {
            var p = QuantizationMath.FromRange(min, max, ElementType.Int8, symmetric: false);
            return (p.Scale, p.ZeroPoint, p.QMin, p.QMax);
        }
        int qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
        min = MathF.Min(min, 0);
        max = MathF.Max(max, 0);
        float scale = (max - min) / (qmax - qmin);
        if (!(scale > 0) || !float.IsFinite(scale)) return (1f, 0, qmin, qmax);
        int zeroPoint = (int)Math.Clamp(MathF.Round(qmin - min / scale, MidpointRounding.ToEven), qmin, qmax);
        return (scale, zeroPoint, qmin, qmax);
    }

    /// <summary>Each Softmax input and what it is computed from back to Q·Kᵀ (scaling, mask Add), through views.</summary>
    private static HashSet<string> SoftmaxInputs(ModelGraph graph)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(graph.Nodes.Where(n => n.OpType == "Softmax").Select(n => Root(graph, n.Inputs[0])));
        while (pending.TryPop(out var tensor))
        {
            var producer = graph.Producer(tensor);
            if (producer is null || producer.OpType is not ("MatMul" or "Mul" or "Div" or "Add" or "Sub") || !result.Add(tensor)) continue;
            if (producer.OpType == "MatMul") continue;
            foreach (var input in producer.Inputs.Where(i => i.Length > 0 && !graph.Tensor(i).IsConstant)) pending.Push(Root(graph, input));
        }
        return result;
    }

    /// <summary>
    /// What a rounded tensor is for: the residual stream, LayerNorm outputs, writers into the stream (branch outputs,
    /// embeddings), Q/K/V (linear outputs read by a MatMul of two activations), attention internals (scores,
    /// scaling and mask, probabilities, A·V), GELU input and output, and the head (everything else: pooler, output layers).
    /// </summary>
    private static string Role(ModelGraph graph, string tensor, HashSet<string> stream, HashSet<string> writers, HashSet<string> layerNormOutputs, HashSet<string> head)
    {
        if (stream.Contains(tensor)) return "stream";
        if (head.Contains(tensor)) return "head";
        if (layerNormOutputs.Contains(tensor)) return "LN out";
        if (writers.Contains(tensor)) return "writers";
        string kind = TransformerErrorAnalysisTests.ClassOf(graph, tensor);
        if (kind is "attention-mm" or "post-Softmax" or "scale/mask" or "residual/sum") return "attention";
        if (kind == "GELU") return "GELU out";
        var readers = new List<Node>();
        var pending = new Stack<string>([tensor]);
        while (pending.TryPop(out var t))
            foreach (var reader in graph.Consumers(t))
                if (ResidualStreamRoles.Views.Contains(reader.OpType)) pending.Push(reader.Outputs[0]);
                else readers.Add(reader);
        if (readers.Any(r => r.OpType == "MatMul" && r.Inputs.All(i => !graph.Tensor(i).IsConstant))) return "QKV";
        if (readers.Any(r => r.OpType == "Gelu")) return "GELU in";
        return "other";
    }

    /// <summary>
    /// Every LayerNorm output outside the head gets an 8-bit copy (a same-shape Reshape with the output's own range)
    /// that every reader except the stream's Add reads: the LayerNorm output itself can then be rounded to 16 bits
    /// for the stream alone, as an ILayerNorm with a 16-bit stream output and an 8-bit output for the linear layers would.
    /// </summary>
    private static (ModelGraph Graph, QuantizationConfig Config, HashSet<string> Copies) SplitLayerNormOutputs(ModelGraph source, QuantizationConfig config, HashSet<string> stream, HashSet<string> head)
    {
        var graph = source.Clone();
        var copies = new HashSet<string>(StringComparer.Ordinal);
        var tensors = config.Tensors.ToBuilder();
        foreach (var layerNorm in source.Nodes.Where(n => n.OpType == "LayerNormalization"))
        {
            var output = layerNorm.Outputs[0];
            if (head.Contains(output)) continue;
            var info = graph.Tensor(output);
            var shapeName = graph.UniqueName(output + "_shape");
            graph.Tensors[shapeName] = TensorInfo.ForConstant(shapeName, Tensor.Create(new Shape(info.Shape.Rank), info.Shape.Dims.ToArray().Select(d => (long)d).ToArray()));
            var copy = graph.UniqueName(output + "_8bit");
            graph.Tensors[copy] = new TensorInfo(copy, ElementType.Float32, info.Shape);
            tensors[copy] = tensors[output];
            copies.Add(copy);
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                var n = graph.Nodes[i];
                if (!n.Inputs.Contains(output) || n.Outputs.Any(stream.Contains)) continue;
                graph.Nodes[i] = new Node(n.Name, n.OpType, n.Domain, n.OpsetVersion, n.Inputs.Select(x => x == output ? copy : x).ToArray(), n.Outputs, n.Attributes);
            }
            graph.Nodes.Insert(graph.Nodes.IndexOf(layerNorm) + 1, new Node(graph.UniqueName(output + "_8bit_copy"), "Reshape", "", 14,
                [output, shapeName], [copy], new Dictionary<string, Octet.Compiler.Graph.Attribute>()));
        }
        return (graph, config with { Tensors = tensors.ToImmutable() }, copies);
    }

    /// <summary>The tensor a view chain starts from.</summary>
    private static string Root(ModelGraph graph, string tensor) => ResidualStreamRoles.Root(graph, tensor);

    /// <summary>
    /// The graph with every Conv / Gemm / MatMul weight replaced by its int8 value (symmetric, per output channel,
    /// round half to even: what <see cref="QdqQuantizer"/> does), so layers whose input is kept float still see int8 weights.
    /// </summary>
    private static ModelGraph WithInt8Weights(ModelGraph source)
    {
        var graph = source.Clone();
        foreach (var node in graph.Nodes)
        {
            int axis;
            switch (node.OpType)
            {
                case "Conv": axis = 0; break;
                case "Gemm" when node.GetInt("transA", 0) == 0: axis = node.GetInt("transB", 0) != 0 ? 0 : 1; break;
                case "MatMul" when graph.Tensor(node.Inputs[1]).Shape.Rank == 2: axis = 1; break;
                default: continue;
            }
            var info = graph.Tensor(node.Inputs[1]);
            if (info.ConstantValue is not { ElementType: ElementType.Float32 } w) continue;
            var values = (float[])w.As<float>().Clone();
            int channels = w.Shape[axis], inner = 1;
            for (int d = axis + 1; d < w.Shape.Rank; d++) inner *= w.Shape[d];
            int Channel(int i) => i / inner % channels;
            var maxAbs = new float[channels];
            for (int i = 0; i < values.Length; i++) maxAbs[Channel(i)] = MathF.Max(maxAbs[Channel(i)], MathF.Abs(values[i]));
            for (int i = 0; i < values.Length; i++)
            {
                var p = QuantizationMath.FromRange(-maxAbs[Channel(i)], maxAbs[Channel(i)], ElementType.Int8, symmetric: true);
                values[i] = QuantizationMath.Quantize(values[i], p.Scale, 0, -127, 127) * p.Scale;
            }
            graph.Tensors[info.Name] = TensorInfo.ForConstant(info.Name, Tensor.Create(w.Shape, values));
        }
        return graph;
    }

    /// <summary>Per-channel (last axis) MinMax of the chosen tensors over the calibration inputs.</summary>
    private static Dictionary<string, (float[] Min, float[] Max)> PerChannelRanges(ModelGraph graph, List<Dictionary<string, Tensor>> calibration, IEnumerable<string> tensors)
    {
        var wanted = tensors.ToHashSet(StringComparer.Ordinal);
        var ranges = new Dictionary<string, (float[] Min, float[] Max)>(StringComparer.Ordinal);
        var run = new ReferenceExecutor(graph);
        foreach (var inputs in calibration)
            run.Run(inputs, (name, value) =>
            {
                if (!wanted.Contains(name)) return;
                int channels = value.Shape[^1];
                if (!ranges.TryGetValue(name, out var r))
                    ranges[name] = r = (Enumerable.Repeat(float.MaxValue, channels).ToArray(), Enumerable.Repeat(float.MinValue, channels).ToArray());
                var v = value.As<float>();
                for (int i = 0; i < v.Length; i++)
                {
                    r.Min[i % channels] = MathF.Min(r.Min[i % channels], v[i]);
                    r.Max[i % channels] = MathF.Max(r.Max[i % channels], v[i]);
                }
            });
        return ranges;
    }

    /// <summary>For every row whose argmax differs from float: the float top-2 margin relative to the row's RMS (how near the tie was).</summary>
    private void ReportFlips(string row, IEnumerable<string> outputs, List<Dictionary<string, Tensor>> expected, List<Dictionary<string, Tensor>> actual)
    {
        foreach (var output in outputs)
        {
            var margins = new List<string>();
            for (int i = 0; i < expected.Count; i++)
            {
                var f = expected[i][output].As<float>();
                var q = actual[i][output].As<float>();
                int width = expected[i][output].Shape[^1];
                for (int r = 0; r < f.Length; r += width)
                {
                    var fr = f.AsSpan(r, width).ToArray();
                    var qr = q.AsSpan(r, width).ToArray();
                    int best = Array.IndexOf(fr, fr.Max()), picked = Array.IndexOf(qr, qr.Max());
                    if (best == picked) continue;
                    double rms = Math.Sqrt(fr.Average(v => (double)v * v));
                    double second = fr.Where((_, k) => k != best).Max();
                    margins.Add($"{(fr[best] - second) / rms:F4}");
                }
            }
            _output.WriteLine($"  {row} '{output}': {margins.Count} rows flipped; float top-2 margin / row RMS: {string.Join(", ", margins)}");
        }
    }

    /// <summary>Tensors whose values leave their calibrated range on the 100 inputs: how many values, and by how much (largest |x| over the range's bound).</summary>
    private void ReportClipping(ModelGraph graph, List<Dictionary<string, Tensor>> samples, HashSet<string> tensors, QuantizationConfig config, HashSet<string> stream, string model)
    {
        var outside = new Dictionary<string, (int Count, double Ratio)>(StringComparer.Ordinal);
        var run = new ReferenceExecutor(graph);
        foreach (var inputs in samples)
            run.Run(inputs, (name, value) =>
            {
                if (!tensors.Contains(name) || config.Tensors[name] is not { Min: { } min, Max: { } max }) return;
                foreach (var x in value.As<float>())
                    if (x < min || x > max)
                    {
                        var (count, ratio) = outside.GetValueOrDefault(name);
                        outside[name] = (count + 1, Math.Max(ratio, x < min ? x / min : x / max));
                    }
            });
        _output.WriteLine($"{model}: tensors with values outside their calibrated range on the {samples.Count} inputs (count, largest |x| / bound)");
        foreach (var (name, (count, ratio)) in outside.OrderByDescending(o => o.Value.Ratio))
            _output.WriteLine($"  {name,-24} {(stream.Contains(name) ? "residual stream" : TransformerErrorAnalysisTests.ClassOf(graph, name)),-16} {count,5}  {ratio:F2}");
    }

    /// <summary>
    /// Each residual tensor's own rounding error (the float value rounded alone, RMS relative to the tensor's RMS),
    /// at 8 and 16 bits per tensor and 8 bits per channel: printed; 16 bits must be below 8 bits on every one.
    /// </summary>
    private void OwnRoundingErrors(ModelGraph graph, List<Dictionary<string, Tensor>> samples, HashSet<string> stream, QuantizationConfig config, string model)
    {
        var errors = stream.ToDictionary(t => t, _ => new double[5], StringComparer.Ordinal); // Σe²(8), Σe²(16), Σx², Σe²(16, range × 4), values outside the range
        var run = new ReferenceExecutor(graph);
        foreach (var inputs in samples)
            run.Run(inputs, (name, value) =>
            {
                if (!errors.TryGetValue(name, out var e)) return;
                var s = config.Tensors[name];
                var p8 = FromRange(s.Min!.Value, s.Max!.Value, 8);
                var p16 = FromRange(s.Min!.Value, s.Max!.Value, 16);
                var p16Wide = FromRange(4 * s.Min!.Value, 4 * s.Max!.Value, 16);
                foreach (var x in value.As<float>())
                {
                    double r8 = (float)(QuantizationMath.Quantize(x, p8.Scale, p8.ZeroPoint, p8.QMin, p8.QMax) - p8.ZeroPoint) * p8.Scale;
                    double r16 = (float)(QuantizationMath.Quantize(x, p16.Scale, p16.ZeroPoint, p16.QMin, p16.QMax) - p16.ZeroPoint) * p16.Scale;
                    e[0] += (r8 - x) * (r8 - x);
                    e[1] += (r16 - x) * (r16 - x);
                    e[2] += (double)x * x;
                    double r16Wide = (float)(QuantizationMath.Quantize(x, p16Wide.Scale, p16Wide.ZeroPoint, p16Wide.QMin, p16Wide.QMax) - p16Wide.ZeroPoint) * p16Wide.Scale;
                    e[3] += (r16Wide - x) * (r16Wide - x);
                    if (x < s.Min!.Value || x > s.Max!.Value) e[4]++;
                }
            });
        _output.WriteLine($"{model}: own rounding error of each residual tensor on {samples.Count} inputs (RMS error / RMS value): 8-bit, 16-bit, 16-bit with the range × 4; values outside the calibrated range");
        foreach (var (name, e) in errors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            double rms8 = Math.Sqrt(e[0] / e[2]), rms16 = Math.Sqrt(e[1] / e[2]);
            int count = samples.Count * (int)graph.Tensor(name).Shape.ElementCount;
            _output.WriteLine($"  {name,-20} {rms8:E2}  {rms16:E2}  {Math.Sqrt(e[3] / e[2]):E2}  {e[4]} of {count}");
            Assert.True(rms16 < rms8, $"{model} '{name}': 16-bit rounding error {rms16:E2} is not below the 8-bit one {rms8:E2}");
        }
    }
}
