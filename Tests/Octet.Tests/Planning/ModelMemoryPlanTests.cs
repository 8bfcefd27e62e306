using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Planning;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Compiler.Quantization.Lowering;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Planning;

/// <summary>
/// The memory planner on every shared model, float graphs and lowered int8 plans: the checker finds no
/// problem, the plan is deterministic, and the arena is within 10% of the lower bound (issue 4 §2).
/// </summary>
public sealed class ModelMemoryPlanTests
{
    private const double TargetRatio = 1.10;
    private readonly ITestOutputHelper _output;
    public ModelMemoryPlanTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Models() =>
        new[]
        {
            "mnist-8", "squeezenet1.0", "super-resolution", "cifar10-classifier", "ultraface-320",
            "mnist-8 int8", "mobilenetv3-small-qdq int8", "shufflenet-v2-int8 int8",
        }.Select(m => new object[] { m });

    private static readonly Dictionary<string, Lazy<ModelGraph>> Graphs = Models()
        .Select(m => (string)m[0])
        .ToDictionary(m => m, m => new Lazy<ModelGraph>(() => Load(m)));

    /// <summary>"name" is the float graph, "name int8" the integer-only lowered plan.</summary>
    private static ModelGraph Load(string model)
    {
        if (!model.EndsWith(" int8", StringComparison.Ordinal)) return OnnxModelLoader.Load(TestData.Model(model));
        var name = model[..^" int8".Length];
        var graph = OnnxModelLoader.Load(TestData.Model(name));
        var qdq = QuantizedModelImport.IsQuantized(graph)
            ? QuantizedModelImport.ToQdq(graph)
            : QdqQuantizer.Apply(graph,
                QuantizationConfig.Load(Path.Combine(TestData.RepositoryRoot, "Samples", "Mnist", $"{name}.quant.json"), graph).ToRequest());
        return IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Plan_passes_the_checker(string model)
    {
        var graph = Graphs[model].Value;
        var plan = MemoryPlanner.Plan(graph);
        Assert.Empty(MemoryPlanCheck.Check(graph, plan));
        Assert.True(plan.ArenaBytes >= plan.LowerBoundBytes, "the arena cannot be below the lower bound");
        Assert.True(plan.ArenaBytes <= plan.NaiveBytes + 64L * plan.Buffers.Count, "the arena should never exceed one region per tensor");

        var unaliased = MemoryPlanner.Plan(graph, aliasing: false);
        Assert.Empty(MemoryPlanCheck.Check(graph, unaliased));
        Assert.Empty(unaliased.Aliases);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Plan_is_deterministic(string model)
    {
        var first = MemoryPlanner.Plan(Load(model));
        var second = MemoryPlanner.Plan(Load(model));
        Assert.Equal(first.Tensors, second.Tensors);
        Assert.Equal(first.Aliases, second.Aliases);
        Assert.Equal((first.ArenaBytes, first.LowerBoundBytes, first.Placement), (second.ArenaBytes, second.LowerBoundBytes, second.Placement));
    }

    [Fact]
    public void Arena_is_within_ten_percent_of_the_lower_bound_on_every_shared_model()
    {
        var misses = new List<string>();
        _output.WriteLine($"{"model",-28} {"arena",12} {"lower bound",12} {"naive",12} {"ratio",6} {"aliases",8}  placement");
        foreach (var model in Models().Select(m => (string)m[0]))
        {
            var plan = MemoryPlanner.Plan(Graphs[model].Value);
            _output.WriteLine($"{model,-28} {plan.ArenaBytes,12:N0} {plan.LowerBoundBytes,12:N0} {plan.NaiveBytes,12:N0} {plan.Ratio,6:F3} {plan.Aliases.Count,8}  {plan.Placement}");
            if (plan.Ratio > TargetRatio) misses.Add($"{model}: {plan.Ratio:F3}");
        }
        Assert.True(misses.Count == 0, $"arena above {TargetRatio} × lower bound: {string.Join("; ", misses)}");
    }
}
