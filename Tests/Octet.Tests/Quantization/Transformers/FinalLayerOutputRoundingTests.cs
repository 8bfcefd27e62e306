using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.Models.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// How much of the integer-only output error is the final linear layer's requantization to 8 bits
/// (docs/integer-transformers.md, "Would an int32 output of the last linear layer help?"). For every model output written by a QGemm
/// (possibly through a QAdd of a constant bias and views) and dequantized at the edge, the output is computed
/// a second way: from the QGemm's int8 input in exact integer arithmetic (int32 accumulator times
/// s_a · s_w[n], the constant bias added in float), i.e. what an int32 output dequantized at the edge would
/// give. Both are judged against the float model over the agreement tests' 100 inputs (same calibration), and
/// for every row whose argmax differs from the float one the float top-2 margin is printed next to the
/// integer error, in output steps. Two more variants locate the error: the head's input taken from the float
/// model and rounded once with its own parameters (only that rounding and the int8 weights), and the float
/// head input itself (int8 weights only). The assertions check the measurement itself: the exact value is
/// within half an output step of the requantized int8 value wherever that value is not clamped, and the
/// float-input variant agrees with float (the weights' rounding alone).
/// </summary>
public sealed class FinalLayerOutputRoundingTests
{
    private readonly ITestOutputHelper _output;
    public FinalLayerOutputRoundingTests(ITestOutputHelper output) => _output = output;

    private sealed record FinalLayer(Node Gemm, float[]? Bias);

    [Theory]
    [InlineData("vit")]
    [InlineData("vit_pre_rmsnorm")]
    [InlineData("bert_toy")]
    public void Exact_final_layer_output_is_compared_with_the_requantized_one(string model)
    {
        using var folder = new TempFolder();
        var graph = model == "bert_toy" ? TransformerModels.LoadBertToy() : OnnxModelLoader.Load(new VitModelWriter().Save(folder.Path));
        var prepared = graph;
        if (model == "vit_pre_rmsnorm")
        {
            // As PreRmsNormConversionTests: the float reference stays the unconverted model.
            prepared = graph.Clone();
            TransformerFusion.Run(prepared);
            Assert.True(PreRmsNormConversion.Run(prepared).Converted);
        }
        var (plan, _) = TransformerQuantization.Build(prepared, TransformerModels.RandomInputs(graph, 20, seed: 10), new TransformerLoweringOptions());

        var finals = new Dictionary<string, FinalLayer>(StringComparer.Ordinal);
        foreach (var output in plan.Outputs)
        {
            var layer = FindFinalLayer(plan, prepared, output);
            if (layer is not null) finals[output] = layer;
            _output.WriteLine($"{model} '{output}': {(layer is null ? "not written by a QGemm" : $"QGemm '{layer.Gemm.Name}'{(layer.Bias is null ? "" : " + constant bias")}")}");
        }
        Assert.NotEmpty(finals);

        // The float model of the plan (fused, converted when asked) gives the head input's float value.
        var fused = prepared.Clone();
        TransformerFusion.Run(fused);
        var floatRun = new ReferenceExecutor(graph);
        var fusedRun = new ReferenceExecutor(fused);
        var integerRun = new ReferenceExecutor(plan);
        AgreementMetrics[] NewMetrics() => [new(), new(), new(), new()];
        var metrics = finals.Keys.ToDictionary(o => o, _ => NewMetrics());
        double worstStep = 0;
        var worstSample = finals.Keys.ToDictionary(o => o, _ => (Cosine: 2.0, Description: ""));
        foreach (var inputs in TransformerModels.RandomInputs(graph, 100, seed: 11))
        {
            var seen = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var floats = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var expected = floatRun.Run(inputs);
            var actual = integerRun.Run(inputs, (name, value) => seen[name] = value);
            fusedRun.Run(inputs, (name, value) => floats[name] = value);
            foreach (var (output, layer) in finals)
            {
                var shape = expected[output].Shape;
                float step = plan.Tensor(layer.Gemm.Outputs[0]).Quantization!.Scale;
                var aName = layer.Gemm.Inputs[0];
                var (exactValues, worst) = Exact(plan, layer.Gemm, seen[aName], seen[layer.Gemm.Outputs[0]]);
                worstStep = Math.Max(worstStep, worst);
                var exactTensor = WithBias(exactValues, layer.Bias, shape);

                // The head input's own rounding only: the float model's value quantized with the input's parameters.
                var aFloat = floats[FloatName(aName)].As<float>();
                var aParameters = plan.Tensor(aName).Quantization!;
                var aRounded = aFloat.Select(v => QuantizationMath.Quantize(v, aParameters.Scale, aParameters.ZeroPoint, aParameters.QMin, aParameters.QMax)).ToArray();
                var roundedInput = WithBias(Exact(plan, layer.Gemm, Tensor.Create(seen[aName].Shape, aRounded), seen[layer.Gemm.Outputs[0]]).Values, layer.Bias, shape);
                // No activation rounding at all: the float input times the int8 weights.
                var floatInput = WithBias(FloatA(plan, layer.Gemm, aFloat, aParameters), layer.Bias, shape);

                var m = metrics[output];
                m[0].Add(expected[output], actual[output]);
                m[1].Add(expected[output], exactTensor);
                m[2].Add(expected[output], roundedInput);
                m[3].Add(expected[output], floatInput);
                double cosine = Cosine(expected[output], actual[output]);
                if (cosine < worstSample[output].Cosine)
                    worstSample[output] = (cosine, Describe(expected[output], actual[output], exactTensor, step));
                ReportFlips(model, output, expected[output], actual[output], exactTensor, step);
            }
        }
        foreach (var output in finals.Keys)
        {
            var m = metrics[output];
            _output.WriteLine($"{model} '{output}' int8 output (today):                     {m[0]}");
            _output.WriteLine($"{model} '{output}' int32 accumulator, dequantized:          {m[1]}");
            _output.WriteLine($"{model} '{output}' int32, head input = float rounded once:  {m[2]}");
            _output.WriteLine($"{model} '{output}' head input float (int8 weights only):    {m[3]}");
            _output.WriteLine($"  lowest int8 cosine {worstSample[output].Cosine:F5}: {worstSample[output].Description}");
        }
        _output.WriteLine($"largest |exact − requantized| where not clamped: {worstStep:F4} output steps");
        // Half a step from the rounding, plus the fixed-point multiplier's relative error (< 2^−30) and float64 noise.
        Assert.True(worstStep <= 0.5 + 1e-6, $"the exact output differs from the requantized one by {worstStep} steps: the measurement is wrong");
        // With the float head input only the int8 weights differ from float (QDQ analysis: weights cost nothing
        // measurable, docs/integer-transformers.md); a wrong reconstruction of the float path would not get close.
        foreach (var (output, m) in metrics)
            Assert.True(m[3].Mean >= 0.9999, $"'{output}': float head input times int8 weights gives cosine mean {m[3].Mean:F5}: the reconstruction is wrong");
    }

    /// <summary>The QGemm writing <paramref name="output"/> through DequantizeLinear, views and at most one QAdd of a constant (the bias, read from the float graph).</summary>
    private static FinalLayer? FindFinalLayer(ModelGraph plan, ModelGraph floatGraph, string output)
    {
        var node = plan.Producer(output);
        if (node?.OpType != "DequantizeLinear") return null;
        float[]? bias = null;
        node = plan.Producer(node.Inputs[0]);
        while (node is not null && node.OpType != "QGemm")
        {
            if (node.OpType == "QAdd" && bias is null)
            {
                int constant = plan.Tensor(node.Inputs[0]).IsConstant ? 0 : 1;
                if (!plan.Tensor(node.Inputs[constant]).IsConstant) return null;
                var floatAdd = floatGraph.Nodes.Single(n => n.Name == node.Name);
                bias = floatAdd.Inputs.Select(i => floatGraph.Tensor(i).ConstantValue).Single(v => v is not null)!.As<float>();
                node = plan.Producer(node.Inputs[1 - constant]);
            }
            else if (node.OpType is "Reshape" or "Identity" or "Flatten" or "Squeeze" or "Unsqueeze") node = plan.Producer(node.Inputs[0]);
            else return null;
        }
        return node is null ? null : new FinalLayer(node, bias);
    }

    /// <summary>
    /// The real values acc · s_a · s_w[n] of the QGemm's outputs, from its own attributes (folded bias, weight
    /// zero points, M = s_a · s_w[n] / s_y as M0 · 2^(shift − 31)) and its output's scale s_y; and the largest
    /// distance, in steps s_y, between them and the requantized int8 outputs that are not clamped.
    /// </summary>
    private static (double[] Values, double WorstStep) Exact(ModelGraph plan, Node gemm, Tensor aTensor, Tensor gemmOutput)
    {
        var weights = plan.Tensor(gemm.Inputs[1]).ConstantValue!;
        var bias = plan.Tensor(gemm.Inputs[2]).ConstantValue!.As<int>();
        int depth = weights.Shape[0], columns = weights.Shape[1];
        var wZeroPoints = gemm.GetInts("w_zero_point")!;
        var multipliers = gemm.GetInts("multiplier")!;
        var shifts = gemm.GetInts("shift")!;
        var y = plan.Tensor(gemm.Outputs[0]).Quantization!;
        long clampMin = gemm.GetInt("clamp_min"), clampMax = gemm.GetInt("clamp_max");
        var a = aTensor.ToInt64Array();
        var w = weights.ToInt64Array();
        var q = gemmOutput.ToInt64Array();
        int rows = a.Length / depth;
        var values = new double[rows * columns];
        double worst = 0;
        for (int r = 0; r < rows; r++)
            for (int n = 0; n < columns; n++)
            {
                // The folded bias already holds −a_zp · Σ(w − w_zp): a's zero point needs no other term.
                long acc = bias[n];
                for (int k = 0; k < depth; k++) acc += a[r * depth + k] * (w[k * columns + n] - wZeroPoints[n]);
                int c = multipliers.Length == 1 ? 0 : n;
                double inSteps = acc * (multipliers[c] * Math.Pow(2, shifts[c] - 31));
                int i = r * columns + n;
                values[i] = inSteps * y.Scale;
                if (q[i] > clampMin && q[i] < clampMax) worst = Math.Max(worst, Math.Abs(inSteps - (q[i] - y.ZeroPoint)));
            }
        return (values, worst);
    }

    /// <summary>The float tensor a quantized one stands for: quantizers name it "x_quantized", lowering's views "x_int8__N".</summary>
    private static string FloatName(string quantized) =>
        System.Text.RegularExpressions.Regex.Replace(quantized, @"(_quantized|_int8__\d+)$", "");

    private static Tensor WithBias(double[] values, float[]? bias, Shape shape)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)(values[i] + (bias is null ? 0 : bias[i % bias.Length]));
        return Tensor.Create(shape, result);
    }

    /// <summary>Σ_k a_k · s_w[n](w[k, n] − w_zp[n]) + bias · s_a s_w[n] with a in float (the folded bias unfolded with a_zp).</summary>
    private static double[] FloatA(ModelGraph plan, Node gemm, float[] a, Octet.Compiler.Quantization.QuantizationParameters aParameters)
    {
        var weights = plan.Tensor(gemm.Inputs[1]).ConstantValue!;
        var folded = plan.Tensor(gemm.Inputs[2]).ConstantValue!.As<int>();
        int depth = weights.Shape[0], columns = weights.Shape[1];
        var wZeroPoints = gemm.GetInts("w_zero_point")!;
        var multipliers = gemm.GetInts("multiplier")!;
        var shifts = gemm.GetInts("shift")!;
        var y = plan.Tensor(gemm.Outputs[0]).Quantization!;
        var w = weights.ToInt64Array();
        int rows = a.Length / depth;
        var values = new double[rows * columns];
        for (int n = 0; n < columns; n++)
        {
            int c = multipliers.Length == 1 ? 0 : n;
            double accScale = multipliers[c] * Math.Pow(2, shifts[c] - 31) * y.Scale; // s_a · s_w[n]
            long weightSum = 0;
            for (int k = 0; k < depth; k++) weightSum += w[k * columns + n] - wZeroPoints[n];
            double bias = folded[n] + (double)aParameters.ZeroPoint * weightSum; // B = B' + a_zp Σ(w − w_zp)
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int k = 0; k < depth; k++) sum += a[r * depth + k] / aParameters.Scale * (w[k * columns + n] - wZeroPoints[n]);
                values[r * columns + n] = (sum + bias) * accScale;
            }
        }
        return values;
    }

    private static double Cosine(Tensor expected, Tensor actual)
    {
        var a = expected.As<float>();
        var b = actual.As<float>();
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Norm of the float output and of the two errors, in output steps (and the values, for short outputs).</summary>
    private static string Describe(Tensor expected, Tensor requantized, Tensor exact, float step)
    {
        var f = expected.As<float>();
        var q = requantized.As<float>();
        var e = exact.As<float>();
        double Norm(Func<int, double> v) => Math.Sqrt(Enumerable.Range(0, f.Length).Sum(i => v(i) * v(i))) / step;
        string text = $"float norm {Norm(i => f[i]):F2} steps, int8 error norm {Norm(i => q[i] - f[i]):F2}, exact error norm {Norm(i => e[i] - f[i]):F2}";
        if (f.Length <= 4)
            text += $"; float [{string.Join(", ", f.Select(v => (v / step).ToString("F2")))}] int8 [{string.Join(", ", q.Select(v => (v / step).ToString("F2")))}] exact [{string.Join(", ", e.Select(v => (v / step).ToString("F2")))}] (steps)";
        return text;
    }

    private void ReportFlips(string model, string output, Tensor expected, Tensor requantized, Tensor exact, float step)
    {
        var f = expected.As<float>();
        var q = requantized.As<float>();
        var e = exact.As<float>();
        int width = expected.Shape[^1];
        for (int r = 0; r < f.Length; r += width)
        {
            int best = ArgMax(f, r, width), second = ArgMax(f, r, width, except: best);
            int qBest = ArgMax(q, r, width), eBest = ArgMax(e, r, width);
            if (qBest == best && eBest == best) continue;
            double margin = (f[best] - f[second]) / step;
            // How far the integer result moved the float winner relative to the integer winner, in output steps.
            double qShift = ((f[best] - f[qBest]) - (q[best] - q[qBest])) / step;
            double eShift = ((f[best] - f[eBest]) - (e[best] - e[eBest])) / step;
            _output.WriteLine($"  {model} '{output}' row {r / width}: float top-2 margin {margin:F2} steps; " +
                $"int8 {(qBest == best ? "agrees" : $"picks {qBest - r} (moved {qShift:F2} steps)")}, " +
                $"exact {(eBest == best ? "agrees" : $"picks {eBest - r} (moved {eShift:F2} steps)")}");
        }
    }

    private static int ArgMax(float[] v, int start, int count, int except = -1)
    {
        int best = -1;
        for (int i = start; i < start + count; i++)
            if (i != except && (best < 0 || v[i] > v[best])) best = i;
        return best;
    }
}
