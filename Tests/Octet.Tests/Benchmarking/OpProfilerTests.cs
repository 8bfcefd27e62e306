using System.Text.Json;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.Cli;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Benchmarking;

/// <summary>
/// <c>octet bench MODEL --profile</c>: one row per plan op, in plan order, and op medians that add up to about the whole
/// <c>Run</c>. Speeds themselves are not asserted (a shared machine); the sum is held to a loose band, stated below.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OpProfilerTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static readonly string MnistConfig = Path.Combine(TestData.Folder, "configs", "mnist-8.quant.json");
    private static readonly string[] Quick = ["--iterations", "30", "--warmup", "10", "--warmup-seconds", "0", "--jit-wait-seconds", "0"];

    public static TheoryData<bool> Plans => new() { true, false };

    [Theory]
    [MemberData(nameof(Plans))]
    public void The_profile_has_every_op_once_and_sums_near_the_whole_run(bool int8)
    {
        string[] quant = int8 ? ["--quant", MnistConfig] : [];
        var (code, output, error) = OctetCli.Run(["bench", Mnist, .. quant, "--profile", "--json", .. Quick]);
        Assert.True(code == 0, error + output);
        using var document = JsonDocument.Parse(output);
        var json = document.RootElement;

        // The plan compiled independently, as octet compile does: the profile must list exactly its ops, in order.
        var graph = OnnxModelLoader.Load(Mnist);
        var config = int8 ? QuantizationConfig.Load(MnistConfig, graph) : null;
        var plan = ModelCompiler.Compile(graph, File.ReadAllBytes(Mnist), config, null).Plan;
        var ops = json.GetProperty("ops").EnumerateArray().ToList();
        Assert.Equal(plan.Ops.Select(o => o.Index), ops.Select(o => o.GetProperty("index").GetInt32()));
        Assert.Equal(plan.Ops.Select(o => o.OpType), ops.Select(o => o.GetProperty("type").GetString()));
        Assert.Equal(plan.Ops.Select(o => o.Name), ops.Select(o => o.GetProperty("name").GetString()));

        var times = ops.Select(o => o.GetProperty("us").GetDouble()).ToList();
        Assert.All(times, t => Assert.True(t >= 0 && double.IsFinite(t), $"op time {t}"));
        double sum = json.GetProperty("op_sum_us").GetDouble();
        double run = json.GetProperty("run_us").GetDouble();
        Assert.Equal(times.Sum(), sum, 6);
        Assert.Equal(1.0, ops.Sum(o => o.GetProperty("share").GetDouble()), 6);
        Assert.True(run > 0 && double.IsFinite(run), $"run_us {run}");
        // Loose band: the op medians leave out Run's edge (de)quantization and the calls between ops (so they sum
        // below Run), each timed call adds a timer read (tens of ns, above Run for tiny ops), and medians of parts need
        // not add up to the median of the whole on a shared machine. A profile timing the wrong thing (the whole model
        // per op, or nothing) lands far outside [0.25, 2] × Run plus 20 µs of timer overhead for mnist-8's dozen ops.
        Assert.InRange(sum, 0.25 * run, 2 * run + 20);
    }

    [Fact]
    public void The_text_profile_is_a_table_sorted_by_time_with_a_summary_by_op_type()
    {
        var (code, output, error) = OctetCli.Run(["bench", Mnist, "--quant", MnistConfig, "--profile", .. Quick]);
        Assert.True(code == 0, error + output);
        Assert.Contains("per-op medians over 30 rounds", output);
        Assert.Contains("by op type:", output);
        Assert.Contains("octet.QConv", output);
        // The rows before the summary are sorted by their µs column, slowest first.
        var rows = output.Split('\n').SkipWhile(l => !l.TrimStart().StartsWith("rank", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.Trim().Length > 0).ToList();
        Assert.NotEmpty(rows);
        var micros = rows.Select(r => double.Parse(r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^3], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(micros.OrderByDescending(v => v), micros);
    }
}
