using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Quantization.WideActivations;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// The transformer models quantized (MinMax calibration on 20 samples), lowered integer-only with the
/// integer Softmax / GELU / LayerNorm operators, and judged against the float model over 100 other random
/// inputs: cosine similarity of the outputs and argmax agreement (issue 6's targets: ≥ 0.999 mean, ≥ 0.99
/// minimum, ≥ 99 % argmax). Everything measured is printed per output and method combination (softmax,
/// GELU, softmax quantizer); the asserted floors are what every combination reaches today.
/// </summary>
public sealed class IntegerTransformerAgreementTests
{
    private readonly ITestOutputHelper _output;
    public IntegerTransformerAgreementTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// Every Softmax × GELU method with the uniform softmax quantizer; the log quantizers with the default methods.
    /// attention_distilbert has no GELU: its cases vary the softmax only.
    /// </summary>
    public static IEnumerable<object[]> Cases() =>
        (from model in new[] { "vit", "bert_toy", "distilbert" }
         from softmax in TransformerLoweringOptions.SoftmaxMethods
         from gelu in model == "distilbert" ? [TransformerLoweringOptions.TableMethod] : TransformerLoweringOptions.GeluMethods
         select new object[] { model, softmax, gelu, TransformerLoweringOptions.UniformQuantizer, 0 })
        .Concat(
         from model in new[] { "vit", "bert_toy", "distilbert" }
         from quantizer in new[] { IShiftAttention.Log2Base, IShiftAttention.LogSqrt2Base }
         from bits in new[] { 4, 8 }
         select new object[] { model, ISoftmax.IbertMethod, TransformerLoweringOptions.TableMethod, quantizer, bits });

    /// <summary>
    /// The floors every method combination reaches (fixed seeds, so the measurement is deterministic): the
    /// worst combination's value rounded down. The issue's targets (0.999 / 0.99 / 99 %) are printed as met or
    /// not; they are not all met (docs/integer-transformers.md, "Measured agreement").
    /// </summary>
    private static readonly Dictionary<(string Model, string Output), (double Mean, double Min, double Argmax)> Floors = new()
    {
        [("vit", "logits")] = (0.997, 0.99, 0.90),
        [("bert_toy", "prediction_scores")] = (0.998, 0.997, 0.92),
        [("bert_toy", "seq_relationship_score")] = (0.997, 0.90, 0.97),
        [("distilbert", "output")] = (0.9998, 0.994, 0.99),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Integer_only_transformer_agrees_with_float(string model, string softmax, string gelu, string quantizer, int logBits)
    {
        using var folder = new TempFolder();
        var graph = model switch
        {
            "vit" => TransformerModels.LoadVit(folder.Path).Graph,
            "bert_toy" => TransformerModels.LoadBertToy(),
            "distilbert" => TransformerModels.LoadDistilBertAttention(),
            _ => throw new ArgumentException($"unknown model '{model}'", nameof(model)),
        };
        var options = new TransformerLoweringOptions { Softmax = softmax, Gelu = gelu, SoftmaxQuantizer = quantizer, SoftmaxLogBits = logBits == 0 ? TransformerLoweringOptions.DefaultSoftmaxLogBits : logBits };
        string combination = $"softmax={softmax} gelu={gelu} quantizer={quantizer}" + (logBits == 0 ? "" : $"/{logBits}");
        var (plan, report) = TransformerQuantization.Build(graph, TransformerModels.RandomInputs(graph, 20, seed: 10), options);
        foreach (var line in report) _output.WriteLine(line);

        var floatRun = new ReferenceExecutor(graph);
        var integerRun = new ReferenceExecutor(plan);
        var metrics = graph.Outputs.ToDictionary(o => o, _ => new AgreementMetrics());
        foreach (var inputs in TransformerModels.RandomInputs(graph, 100, seed: 11))
        {
            var expected = floatRun.Run(inputs);
            var actual = integerRun.Run(inputs);
            foreach (var name in graph.Outputs) metrics[name].Add(expected[name], actual[name]);
        }
        foreach (var (name, m) in metrics) _output.WriteLine($"{model} {combination} '{name}': {m}");

        foreach (var (name, m) in metrics)
        {
            var (mean, min, argmax) = Floors[(model, name)];
            bool targets = m.Mean >= 0.999 && m.Min >= 0.99 && m.ArgmaxAgreement >= 0.99;
            _output.WriteLine($"  '{name}' issue-6 targets (0.999 / 0.99 / 99 %) {(targets ? "met" : "not met")}; asserted floors {mean} / {min} / {argmax:P0}");
            Assert.True(m.Mean >= mean, $"{model} {combination} '{name}': cosine mean {m.Mean:F5} below {mean}");
            Assert.True(m.Min >= min, $"{model} {combination} '{name}': cosine min {m.Min:F5} below {min}");
            Assert.True(m.ArgmaxAgreement >= argmax, $"{model} {combination} '{name}': argmax agreement {m.ArgmaxAgreement:P1} below {argmax:P0}");
        }

        var problems = IntegerPlanCheck.FindFloatArithmetic(plan);
        _output.WriteLine($"float arithmetic left: {problems.Count} node(s)");
        foreach (var p in problems.Take(40)) _output.WriteLine("  " + p);
        // Issue 6: no float arithmetic in the integer path (the mask's Cast, embedding tables and the class token included).
        Assert.True(problems.Count == 0, $"{model}: float arithmetic left in the integer-only plan: " + string.Join("; ", problems));
        Assert.Contains(plan.Nodes, n => n.OpType == (quantizer == TransformerLoweringOptions.UniformQuantizer ? "ISoftmax" : "IShiftAttention"));
        if (model != "distilbert") Assert.Contains(plan.Nodes, n => n.OpType == (gelu == "table" ? "Table" : "IGelu"));
        else
        {
            // attention_distilbert's plan is integer-only from the input's QuantizeLinear to the output's DequantizeLinear;
            // its attention-mask Where is the integer Select.
            Assert.Empty(problems);
            Assert.Contains(plan.Nodes, n => n.OpType == "Select");
        }
        Assert.Contains(plan.Nodes, n => n.OpType == "ILayerNorm");
        Assert.Contains(plan.Nodes, n => n.OpType == "QMatMul");
    }

    /// <summary>
    /// Floors of the 16-bit plan (<c>transformer.wide_activations: residual</c>, range × 4, default methods), measured
    /// (fixed seeds) and rounded down; they include the issue's targets where those are met (ViT, bert_toy: 0.99990 /
    /// 0.99897 / 99 %, 0.99997 / 0.99996 / 99.3 %, 0.99998 / 0.99960 / 100 %). ViT pre-RMSNorm measures 0.99989 /
    /// 0.99900 / 98 %: one row of 100 short of the argmax target, as the QDQ model itself (98 %).
    /// </summary>
    private static readonly Dictionary<(string Model, string Output), (double Mean, double Min, double Argmax)> WideFloors = new()
    {
        [("vit", "logits")] = (0.9998, 0.998, 0.99),
        [("vit_pre_rmsnorm", "logits")] = (0.9998, 0.998, 0.98),
        [("bert_toy", "prediction_scores")] = (0.9999, 0.9999, 0.99),
        [("bert_toy", "seq_relationship_score")] = (0.9999, 0.999, 0.99),
    };

    /// <summary>
    /// The integer-only plan with 16-bit activations on the residual stream, its writers, the head and post-LN
    /// LayerNorm outputs (issue 6 row 9a; <see cref="ResidualStreamRoles"/>): same calibration (MinMax, 20 inputs of
    /// seed 10) and the same 100 inputs (seed 11) as the 8-bit cases, default methods (ibert softmax, table GELU,
    /// uniform softmax quantizer). The QDQ model (float Softmax / GELU / LayerNorm on the same quantization) is
    /// measured too, so the integer operators' share of the error is visible.
    /// </summary>
    [Theory]
    [InlineData("vit")]
    [InlineData("vit_pre_rmsnorm")]
    [InlineData("bert_toy")]
    public void Integer_only_transformer_with_16_bit_residual_activations_agrees_with_float(string model)
    {
        using var folder = new TempFolder();
        var graph = model == "bert_toy" ? TransformerModels.LoadBertToy() : TransformerModels.LoadVit(folder.Path).Graph;
        var fused = graph.Clone();
        var summary = TransformerFusion.Run(fused);
        _output.WriteLine($"fused {summary.LayerNormalizations} LayerNorm, {summary.ErfGelus} erf GELU, {summary.TanhGelus} tanh GELU, {summary.LinearBiases} linear biases");
        // As ResidualPrecisionTests: the float reference stays the unconverted model.
        if (model == "vit_pre_rmsnorm") Assert.True(PreRmsNormConversion.Run(fused).Converted);
        var calibration = TransformerModels.RandomInputs(graph, 20, seed: 10);
        var config = Calibrator.Run(fused, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = TransformerQuantization.WithSoftmaxOutputScale(config, fused);
        config = config with { Transformer = config.Transformer with { WideActivations = WideActivationPolicy.Residual } };
        var qdq = QdqQuantizer.Apply(fused, config.ToRequest());
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly, new TransformerLoweringOptions());
        _output.WriteLine("plan ops: " + string.Join(", ", plan.Nodes.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}")));
        bool IsWide(string tensor) => tensor.Length > 0 && plan.Tensor(tensor).ElementType == ElementType.Int16;
        var wideOps = plan.Nodes.Where(n => n.Inputs.Any(IsWide) || n.Outputs.Any(IsWide))
            .GroupBy(n => $"{n.OpType}({string.Join(",", n.Inputs.Where(i => i.Length > 0 && !plan.Tensor(i).IsConstant).Select(i => plan.Tensor(i).ElementType.OnnxName()))}→{plan.Tensor(n.Outputs[0]).ElementType.OnnxName()})")
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}");
        _output.WriteLine("ops reading or writing int16: " + string.Join(", ", wideOps));

        var floatRun = new ReferenceExecutor(graph);
        var qdqRun = new ReferenceExecutor(qdq);
        var integerRun = new ReferenceExecutor(plan);
        var metrics = graph.Outputs.ToDictionary(o => o, _ => new AgreementMetrics());
        var qdqMetrics = graph.Outputs.ToDictionary(o => o, _ => new AgreementMetrics());
        foreach (var inputs in TransformerModels.RandomInputs(graph, 100, seed: 11))
        {
            var expected = floatRun.Run(inputs);
            var simulated = qdqRun.Run(inputs);
            var actual = integerRun.Run(inputs);
            foreach (var name in graph.Outputs)
            {
                metrics[name].Add(expected[name], actual[name]);
                qdqMetrics[name].Add(expected[name], simulated[name]);
            }
        }
        foreach (var name in graph.Outputs)
        {
            var m = metrics[name];
            var (mean, min, argmax) = WideFloors[(model, name)];
            bool targets = m.Mean >= 0.999 && m.Min >= 0.99 && m.ArgmaxAgreement >= 0.99;
            _output.WriteLine($"{model} wide_activations=residual '{name}': integer-only {m}; QDQ model {qdqMetrics[name]}");
            _output.WriteLine($"  '{name}' issue-6 targets (0.999 / 0.99 / 99 %) {(targets ? "met" : "not met")}; asserted floors {mean} / {min} / {argmax:P0}");
            Assert.True(m.Mean >= mean, $"{model} '{name}': cosine mean {m.Mean:F5} below {mean}");
            Assert.True(m.Min >= min, $"{model} '{name}': cosine min {m.Min:F5} below {min}");
            Assert.True(m.ArgmaxAgreement >= argmax, $"{model} '{name}': argmax agreement {m.ArgmaxAgreement:P1} below {argmax:P0}");
        }

        var problems = IntegerPlanCheck.FindFloatArithmetic(plan);
        _output.WriteLine($"float arithmetic left: {problems.Count} node(s)");
        foreach (var p in problems.Take(40)) _output.WriteLine("  " + p);
        // Issue 6: no float arithmetic in the integer path (the mask's Cast, embedding tables and the class token included).
        Assert.True(problems.Count == 0, $"{model}: float arithmetic left in the integer-only plan: " + string.Join("; ", problems));
        // No int16 tensor is dequantized into float arithmetic inside the plan (only at the output edge).
        var tail = IntegerPlanCheck.OutputTail(plan);
        var floatReaders = plan.Nodes.Where(n => !tail.Contains(n) && n.Inputs.Any(IsWide)
            && n.Outputs.Any(o => o.Length > 0 && plan.Tensor(o).ElementType == ElementType.Float32)).Select(n => n.Describe()).ToList();
        Assert.True(floatReaders.Count == 0, "int16 tensors read into float inside the plan: " + string.Join("; ", floatReaders));
        Assert.Contains(plan.Nodes, n => n.OpType == "QAdd" && n.Inputs.All(IsWide));
        Assert.Contains(plan.Nodes, n => n.OpType == "ILayerNorm" && IsWide(n.Inputs[0]));
        Assert.Contains(plan.Nodes, n => n.OpType == "QGemm" && IsWide(n.Inputs[0]));
    }

    /// <summary>
    /// attention_distilbert is one attention block whose only LayerNormalization reads the model input: there is no
    /// residual stream between blocks to widen, so the quantizer refuses <c>wide_activations: residual</c> with the
    /// reason instead of silently giving the all-8-bit plan (whose agreement the 8-bit cases measure).
    /// </summary>
    [Fact]
    public void The_16_bit_residual_plan_is_refused_for_attention_distilbert_with_the_reason()
    {
        var graph = TransformerModels.LoadDistilBertAttention();
        var fused = graph.Clone();
        TransformerFusion.Run(fused);
        var config = Calibrator.Run(fused, CalibrationSamples.FromList(TransformerModels.RandomInputs(graph, 20, seed: 10)),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = TransformerQuantization.WithSoftmaxOutputScale(config, fused);
        config = config with { Transformer = config.Transformer with { WideActivations = WideActivationPolicy.Residual } };
        var e = Assert.Throws<Octet.Compiler.Diagnostics.OctetException>(() => QdqQuantizer.Apply(fused, config.ToRequest()));
        _output.WriteLine(e.Message);
        Assert.Contains("no residual stream", e.Message);
        Assert.Contains("attention_distilbert", e.Message);
    }
}

/// <summary>Cosine similarity per sample (mean, min) and argmax agreement per row of the last axis.</summary>
internal sealed class AgreementMetrics
{
    private readonly List<double> _cosines = new();
    private int _rows, _agreeing;

    public double Mean => _cosines.Average();
    public double Min => _cosines.Min();
    public double ArgmaxAgreement => (double)_agreeing / _rows;

    public void Add(Tensor expected, Tensor actual)
    {
        var a = expected.As<float>();
        var b = actual.As<float>();
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        _cosines.Add(na == 0 && nb == 0 ? 1 : dot / Math.Sqrt(na * nb));
        int width = expected.Shape.Rank == 0 ? 1 : expected.Shape[^1];
        for (int r = 0; r + width <= a.Length; r += width)
        {
            _rows++;
            if (ArgMax(a, r, width) == ArgMax(b, r, width)) _agreeing++;
        }
    }

    private static int ArgMax(float[] v, int start, int count)
    {
        int best = start;
        for (int i = start + 1; i < start + count; i++) if (v[i] > v[best]) best = i;
        return best - start;
    }

    public override string ToString() => $"cosine mean {Mean:F5} min {Min:F5}, argmax {ArgmaxAgreement:P1} of {_rows} rows";
}
