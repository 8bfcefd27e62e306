using Octet.Generator.Emit;
using Octet.Runtime.Threading;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.CodeGeneration.Plan;
using Xunit;

namespace Octet.Tests.CodeGeneration.Threading;

/// <summary>
/// Integer-only plans give the same bits whatever worker team the generated class runs its large ops on: no team,
/// 2 threads and 3 threads, on models quantized by Octet (mnist-8, squeezenet1.0) and imported QDQ models. Whether a
/// model splits some op is checked in the generated source, so the comparison of the models that do cannot pass
/// vacuously (mnist-8's convolutions are all below the threshold: it checks that a team changes nothing there).
/// </summary>
public sealed class ThreadCountDeterminismTests
{
    [Theory]
    [InlineData("mnist-8 int8", false)]
    [InlineData("squeezenet1.0 int8", true)]
    [InlineData("mobilenetv3-small-qdq", true)]
    [InlineData("shufflenet-v2-int8", true)]
    public void Outputs_are_bit_identical_with_1_2_and_3_threads(string model, bool splits)
    {
        var compiled = CompiledModels.Get(model);
        var plan = compiled.Plan;
        var source = ModelClassEmitter.Emit(plan, "Octet.Tests.Generated", "ThreadedModel").Source;
        Assert.Equal(splits, source.Contains("RunUnits(", StringComparison.Ordinal));

        var generated = GeneratedModel.Build(plan, className: "ThreadedModel");
        var teamProperty = generated.Type.GetProperty("Team")!;
        var inputs = plan.Inputs.Select((e, i) => (Array)Ramp(Length(plan, e.Tensor), seed: i)).ToArray();

        float[][] RunWith(int threads)
        {
            using var team = threads > 1 ? new WorkerTeam(threads) : null;
            var instance = generated.Create(compiled.Weights);
            teamProperty.SetValue(instance, team);
            var outputs = plan.Outputs.Select(e => new float[Length(plan, e.Tensor)]).ToArray();
            // Twice: the second run starts from the arena the first left, as a long-lived instance does.
            generated.RunDelegate(instance, inputs, outputs.Cast<Array>().ToArray());
            generated.RunDelegate(instance, inputs, outputs.Cast<Array>().ToArray());
            return outputs;
        }

        var single = RunWith(1);
        foreach (int threads in new[] { 2, 3 })
        {
            var threaded = RunWith(threads);
            for (int o = 0; o < single.Length; o++)
                Assert.True(single[o].Select(BitConverter.SingleToInt32Bits).SequenceEqual(threaded[o].Select(BitConverter.SingleToInt32Bits)),
                    $"{model}: output {o} differs between 1 and {threads} threads");
        }
    }

    private static int Length(Octet.Generator.Plan.ModelPlan plan, string tensor) =>
        (int)plan.Tensors.First(t => t.Name == tensor).Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Values in [−1, 1) that differ between inputs, so every kernel sees varied data.</summary>
    private static float[] Ramp(int length, int seed) => Enumerable.Range(0, length).Select(i => (i * 7 + seed * 13) % 200 / 100f - 1f).ToArray();
}
