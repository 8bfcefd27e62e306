using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// Where the integer-only error of the transformer models comes from (docs/integer-transformers.md, "Where
/// the error comes from"). Two measurements, printed:
/// <list type="number">
/// <item>Per tensor: cosine of the integer plan's dequantized intermediate against the float value
/// (accumulated error), next to the cosine of the float value quantized alone with the same parameters (the
/// tensor's own rounding/clipping error).</item>
/// <item>Per tensor class (post-LayerNorm, post-Softmax, GELU output, residual sums, linear outputs, …):
/// the final-output cosine of the fake-quantized (QDQ) model when only that class is quantized — which
/// class's quantization costs most at the output.</item>
/// </list>
/// The assertions are sanity checks of the measurement itself (the plan reproduces every quantized tensor;
/// quantizing nothing gives the float model back).
/// </summary>
public sealed class TransformerErrorAnalysisTests
{
    private readonly ITestOutputHelper _output;
    public TransformerErrorAnalysisTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("vit")]
    [InlineData("bert_toy")]
    public void Per_tensor_and_per_class_error_is_reported(string model)
    {
        using var folder = new TempFolder();
        var graph = model == "vit" ? TransformerModels.LoadVit(folder.Path).Graph : TransformerModels.LoadBertToy();
        var fused = graph.Clone();
        TransformerFusion.Run(fused);
        var calibration = TransformerModels.RandomInputs(graph, 20, seed: 10);
        var config = Calibrator.Run(fused, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        config = TransformerQuantization.WithSoftmaxOutputScale(config, fused);
        var plan = IntegerLowering.Lower(QdqQuantizer.Apply(fused, config.ToRequest()), NumericsMode.IntegerOnly);
        var samples = TransformerModels.RandomInputs(graph, 20, seed: 11);

        // 1. Per tensor, accumulated vs own error.
        var floatRun = new ReferenceExecutor(fused);
        var planRun = new ReferenceExecutor(plan);
        var accumulated = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var own = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var inputs in samples)
        {
            var floats = new Dictionary<string, float[]>(StringComparer.Ordinal);
            floatRun.Run(inputs, (name, t) => { if (t.ElementType == ElementType.Float32) floats[name] = (float[])t.As<float>().Clone(); });
            planRun.Run(inputs, (name, t) =>
            {
                if (!name.EndsWith("_quantized", StringComparison.Ordinal)) return;
                var p = plan.Tensor(name).Quantization;
                if (p is null || !p.IsPerTensor || !floats.TryGetValue(name[..^"_quantized".Length], out var reference)) return;
                var values = t.ToInt64Array();
                var dequantized = values.Select(q => (float)((q - p.ZeroPoint) * p.Scale)).ToArray();
                var requantized = reference.Select(x => (float)((QuantizationMath.Quantize(x, p.Scale, p.ZeroPoint, p.QMin, p.QMax) - p.ZeroPoint) * p.Scale)).ToArray();
                string key = name[..^"_quantized".Length];
                Collect(accumulated, key, Cosine(reference, dequantized));
                Collect(own, key, Cosine(reference, requantized));
            });
        }
        Assert.NotEmpty(accumulated);
        _output.WriteLine($"{model}: per-tensor cosine against float (mean over {samples.Count} inputs), in graph order");
        _output.WriteLine("  accumulated  own      class        tensor");
        foreach (var node in fused.Nodes)
            foreach (var t in node.Outputs.Where(accumulated.ContainsKey))
                _output.WriteLine($"  {accumulated[t].Average():F5}      {own[t].Average():F5}  {ClassOf(fused, t),-12} {t}");

        // 2. Per class: quantize only that class (everything else kept float) in the QDQ model.
        var classes = config.Tensors.Keys.GroupBy(t => ClassOf(fused, t)).ToDictionary(g => g.Key, g => g.ToHashSet(StringComparer.Ordinal));
        var expected = samples.Select(s => floatRun.Run(s)).ToList();
        double OutputCosine(Func<string, bool> quantized)
        {
            var tensors = config.Tensors.ToBuilder();
            foreach (var key in config.Tensors.Keys)
                if (!quantized(key)) tensors[key] = new TensorSettings { KeepFloat = true };
            var qdq = QdqQuantizer.Apply(fused, (config with { Tensors = tensors.ToImmutable() }).ToRequest());
            var run = new ReferenceExecutor(qdq);
            var cosines = new List<double>();
            for (int i = 0; i < samples.Count; i++)
            {
                var actual = run.Run(samples[i]);
                foreach (var output in fused.Outputs) cosines.Add(Cosine(expected[i][output].As<float>(), actual[output].As<float>()));
            }
            return cosines.Average();
        }
        double none = OutputCosine(_ => false);
        Assert.True(none > 0.999999, $"quantizing nothing should reproduce the float model, cosine {none}");
        _output.WriteLine($"{model}: final-output cosine (mean of outputs × inputs) of the QDQ model quantizing only one class (weights always int8)");
        _output.WriteLine($"  weights only     {none:F5}");
        foreach (var (name, members) in classes.OrderBy(c => c.Key, StringComparer.Ordinal))
            _output.WriteLine($"  {name,-16} {OutputCosine(members.Contains):F5}  ({members.Count} tensors)");
        _output.WriteLine($"  all              {OutputCosine(_ => true):F5}");
    }

    /// <summary>What produces the tensor, in the classes the RepQ-ViT / I-ViT discussions use.</summary>
    internal static string ClassOf(ModelGraph graph, string tensor)
    {
        var producer = graph.Producer(tensor);
        if (producer is null) return "input";
        bool TwoActivations(Node n) => n.Inputs.Count == 2 && n.Inputs.All(i => !graph.Tensor(i).IsConstant);
        return producer.OpType switch
        {
            // Views carry their input's values: they belong to its class.
            "Reshape" or "Transpose" or "Squeeze" or "Unsqueeze" or "Flatten" => ClassOf(graph, producer.Inputs[0]),
            "LayerNormalization" => "post-LayerNorm",
            "Softmax" => "post-Softmax",
            "Gelu" => "GELU",
            "Add" when TwoActivations(producer) => "residual/sum",
            "MatMul" when TwoActivations(producer) => "attention-mm",
            "MatMul" or "Gemm" or "Conv" => "linear",
            "Add" => "linear+bias",
            "Mul" or "Div" or "Sub" => "scale/mask",
            _ => "other",
        };
    }

    private static void Collect(Dictionary<string, List<double>> into, string key, double value)
    {
        if (!into.TryGetValue(key, out var list)) into[key] = list = new List<double>();
        list.Add(value);
    }

    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 && nb == 0 ? 1 : na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
