using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.WideActivations;
using Octet.Tests.FrontEnd;
using Octet.Tests.Quantization.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Quantization.WideActivations;

/// <summary>
/// The QDQ model <see cref="QdqQuantizer"/> writes with <c>transformer.wide_activations = "residual"</c> (symmetric int16
/// × 4 for the roles of <see cref="ResidualStreamRoles"/>, 8-bit copies for the linear layers), run by the reference
/// executor on the transformer test models with the calibration and 100 inputs of <see cref="ResidualPrecisionTests"/>:
/// cosine mean / min / argmax against float, printed next to the same measurement of
/// <list type="bullet">
/// <item><see cref="WideActivationSimulation"/> configured the same way (symmetric int16 × 4), which must give the
/// QDQ model's outputs bit for bit: both compute the same float32 operations on the same values, only built
/// differently (the policy in the quantizer, or in-place rounding around the 8-bit quantizer);</item>
/// <item>the same simulation with the asymmetric 16-bit parameters of docs/integer-transformers.md's row 9a, the
/// all-8-bit QDQ model, and the quantizer's model with range factors 1, 2 and 8, for reference.</item>
/// </list>
/// Whether issue 6's targets (0.999 / 0.99 / 99 %) are met is printed, not asserted: the measurement is the finding.
/// <code>dotnet test Tests/Octet.Tests -c Release --filter "FullyQualifiedName~WideActivationAgreementTests" --logger "console;verbosity=detailed"</code>
/// </summary>
public sealed class WideActivationAgreementTests
{
    private readonly ITestOutputHelper _output;
    public WideActivationAgreementTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("vit")]
    [InlineData("vit_pre_rmsnorm")]
    [InlineData("bert_toy")]
    public void Residual_policy_QDQ_model_equals_its_simulation_and_is_measured(string model)
    {
        using var folder = new TempFolder();
        var setup = WideActivationCase.Load(model, folder.Path);
        var expected = setup.Run(setup.Float);

        var qdq = QdqQuantizer.Apply(setup.Fused, setup.Residual().ToRequest());
        var actual = setup.Run(qdq);
        var simulation = WideActivationSimulation.Build(setup.Fused, setup.Config, factor: 4, symmetric: true);
        var simulated = simulation.Run(setup.Samples);
        var asymmetric = WideActivationSimulation.Build(setup.Fused, setup.Config, factor: 4, symmetric: false).Run(setup.Samples);
        var eightBit = setup.Run(QdqQuantizer.Apply(setup.Fused, setup.Config.ToRequest()));

        // The QDQ model's 16-bit tensors are exactly the simulation's, with the same parameters.
        var sixteen = qdq.Nodes.Where(n => n.OpType == "QuantizeLinear" && qdq.Tensor(n.Outputs[0]).ElementType == ElementType.Int16).ToList();
        _output.WriteLine($"{model}: {sixteen.Count} int16 QuantizeLinear, {simulation.Rounded.Count} tensors rounded at 16 bits by the simulation, " +
                          $"{simulation.Copies.Count} 8-bit copies ({string.Join(", ", simulation.Copies.Order(StringComparer.Ordinal))})");
        foreach (var (tensor, (scale, zeroPoint)) in simulation.Rounded)
        {
            var q = sixteen.FirstOrDefault(n => n.Inputs[0] == tensor || n.Inputs[0] == tensor + "_float");
            Assert.True(q is not null, $"{model}: '{tensor}' is 16-bit in the simulation but has no int16 QuantizeLinear");
            Assert.Equal(scale, qdq.Tensor(q.Inputs[1]).ConstantValue!.As<float>()[0]);
            Assert.Equal(zeroPoint, qdq.Tensor(q.Inputs[2]).ConstantValue!.As<short>()[0]);
        }

        // Same float32 operations on the same values: identical outputs.
        int differing = 0;
        double largest = 0;
        for (int i = 0; i < actual.Count; i++)
            foreach (var name in setup.Float.Outputs)
            {
                var a = actual[i][name].As<float>();
                var b = simulated[i][name].As<float>();
                for (int k = 0; k < a.Length; k++)
                    if (BitConverter.SingleToInt32Bits(a[k]) != BitConverter.SingleToInt32Bits(b[k]))
                    {
                        differing++;
                        largest = Math.Max(largest, Math.Abs(a[k] - b[k]));
                    }
            }
        _output.WriteLine($"{model}: QDQ model vs simulation: {differing} output values differ (largest difference {largest:E2})");
        Assert.True(differing == 0, $"{model}: the residual-policy QDQ model differs from its simulation in {differing} output values (largest {largest:E2})");

        var rows = new List<(string Name, Dictionary<string, AgreementMetrics> Metrics)>
        {
            ("QDQ all 8-bit (policy none)", setup.Agreement(expected, eightBit)),
            ("9a as simulated in the doc: asymmetric 16-bit × 4", setup.Agreement(expected, asymmetric)),
            ("simulation, symmetric int16 × 4", setup.Agreement(expected, simulated)),
            ("QDQ model, wide_activations = residual (symmetric int16 × 4)", setup.Agreement(expected, actual)),
        };
        // The range factor's effect on the quantizer's model (× 4 is the default; 9e of the doc measured × 2 asymmetric).
        foreach (var factor in new[] { 1.0, 2.0, 8.0 })
            rows.Add(($"QDQ model, residual, symmetric int16 × {factor}", setup.Agreement(expected, setup.Run(QdqQuantizer.Apply(setup.Fused, setup.Residual(factor).ToRequest())))));
        _output.WriteLine($"{model}: cosine mean / min / argmax against float over {setup.Samples.Count} inputs; issue 6 targets 0.999 / 0.99 / 99 %");
        foreach (var output in setup.Float.Outputs)
        {
            _output.WriteLine($"  output '{output}'");
            foreach (var (name, metrics) in rows)
            {
                var m = metrics[output];
                bool met = m.Mean >= 0.999 && m.Min >= 0.99 && m.ArgmaxAgreement >= 0.99;
                _output.WriteLine($"    {name,-62} {m.Mean:F5} / {m.Min:F5} / {m.ArgmaxAgreement,6:P1}  {(met ? "targets met" : "targets not met")}");
            }
            _output.WriteLine($"    rows whose argmax the QDQ model flips: float top-2 margin / row RMS: {string.Join(", ", FlipMargins(expected, actual, output))}");
        }
    }

    /// <summary>For each row whose argmax differs from float: how near the float top two were (margin over the row's RMS).</summary>
    private static IEnumerable<string> FlipMargins(List<Dictionary<string, Tensor>> expected, List<Dictionary<string, Tensor>> actual, string output)
    {
        for (int i = 0; i < expected.Count; i++)
        {
            var f = expected[i][output].As<float>();
            var q = actual[i][output].As<float>();
            int width = expected[i][output].Shape[^1];
            for (int r = 0; r < f.Length; r += width)
            {
                var fr = f.AsSpan(r, width).ToArray();
                var qr = q.AsSpan(r, width).ToArray();
                int best = Array.IndexOf(fr, fr.Max());
                if (best == Array.IndexOf(qr, qr.Max())) continue;
                double rms = Math.Sqrt(fr.Average(v => (double)v * v));
                yield return $"{(fr[best] - fr.Where((_, k) => k != best).Max()) / rms:F4} (input {i})";
            }
        }
    }
}
