using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.CodeGeneration.Plan;
using Xunit;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The generated class promises that <c>Run</c> and <c>RunQuantized</c> allocate nothing (each instance owns its
/// arena, constants live in the assembly's data). Checked on real models, whose kernels cover every path a small
/// plan does not: mnist-8 int8 (the committed config) and squeezenet1.0 float. The first call may allocate (JIT,
/// static initialization); after it, ten calls must not change the thread's allocated-bytes counter at all.
/// </summary>
public sealed class GeneratedRunAllocationTests
{
    private const int Runs = 10;

    [Theory]
    [InlineData("mnist-8 int8")]
    [InlineData("squeezenet1.0")]
    public void Run_allocates_nothing_on_a_real_model(string model)
    {
        var (generated, instance, plan) = Build(model);
        var inputs = plan.Inputs.Select(e => (Array)Ramp(Length(plan, e.Tensor))).ToArray();
        var outputs = plan.Outputs.Select(e => (Array)new float[Length(plan, e.Tensor)]).ToArray();
        Assert.Equal(0, AllocatedBytes(() => generated.RunDelegate(instance, inputs, outputs)));
    }

    /// <summary>
    /// With a worker team of 2 the large ops go through the team (squeezenet1.0's convolutions; mobilenetv3's depthwise row
    /// bands and QAdd value ranges too): still nothing allocated per Run (the range delegates are cached, QAdd's tables
    /// computed by the constructor).
    /// </summary>
    [Theory]
    [InlineData("squeezenet1.0 int8")]
    [InlineData("mobilenetv3-small-qdq")]
    public void Run_allocates_nothing_with_a_worker_team_of_2(string model)
    {
        var (generated, instance, plan) = Build(model);
        using var team = new Octet.Runtime.Threading.WorkerTeam(2);
        generated.Type.GetProperty("Team")!.SetValue(instance, team);
        var inputs = plan.Inputs.Select(e => (Array)Ramp(Length(plan, e.Tensor))).ToArray();
        var outputs = plan.Outputs.Select(e => (Array)new float[Length(plan, e.Tensor)]).ToArray();
        Assert.Equal(0, AllocatedBytes(() => generated.RunDelegate(instance, inputs, outputs)));
    }

    [Fact]
    public void RunQuantized_allocates_nothing_on_mnist8_int8()
    {
        var (generated, instance, plan) = Build("mnist-8 int8");
        var runQuantized = generated.RunQuantizedDelegate;
        Assert.NotNull(runQuantized);
        // mnist-8's config quantizes to int8 at both edges (asserted, so the sbyte arrays below are the right type).
        Assert.All(plan.Inputs.Concat(plan.Outputs), e => Assert.Equal("int8", e.Quantized!.ElementType));
        var inputs = plan.Inputs.Select(e => (Array)Ramp(Length(plan, e.Quantized!.Tensor)).Select(v => (sbyte)(v * 100)).ToArray()).ToArray();
        var outputs = plan.Outputs.Select(e => (Array)new sbyte[Length(plan, e.Quantized!.Tensor)]).ToArray();
        Assert.Equal(0, AllocatedBytes(() => runQuantized(instance, inputs, outputs)));
    }

    private static (GeneratedModel Generated, object Instance, Octet.Generator.Plan.ModelPlan Plan) Build(string model)
    {
        var compiled = CompiledModels.Get(model);
        var generated = GeneratedModel.Build(compiled.Plan, className: "AllocationModel");
        return (generated, generated.Create(compiled.Weights), compiled.Plan);
    }

    /// <summary>Bytes the current thread allocates over <see cref="Runs"/> calls of <paramref name="run"/>, after one warm-up call.</summary>
    private static long AllocatedBytes(Action run)
    {
        run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Runs; i++) run();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static int Length(Octet.Generator.Plan.ModelPlan plan, string tensor) =>
        (int)plan.Tensors.First(t => t.Name == tensor).Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Values in [−1, 1): an input that exercises the kernels (an all-zero one might take shortcuts).</summary>
    private static float[] Ramp(int length) => Enumerable.Range(0, length).Select(i => i % 200 / 100f - 1f).ToArray();
}
