using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Octet.Compiler.Diagnostics;
using Octet.Generator.Plan;
using Octet.Runtime;

namespace Octet.Cli.Benchmarking;

/// <summary>
/// Per-op timing of a generated model class (<c>octet bench MODEL --profile</c>). The generated <c>Run</c>
/// quantizes the inputs at the edge, calls one private method <c>Op&lt;index&gt;_&lt;Name&gt;()</c> per plan op in
/// order, and dequantizes the outputs. The profiler compiles the class in memory, creates one instance, runs
/// <c>Run</c> once (so the arena holds the quantized inputs the first op reads), then binds a delegate to each
/// op method (reflection, once, outside the timed loop) and replays the ops in plan order round after round,
/// timing each call. Replaying all ops in order recomputes every in-place op from its real input, so each op
/// sees the data it sees inside <c>Run</c>. Each op's figure is its median over the rounds; whole <c>Run</c>s
/// are timed in between so the table can be set against the model's own median (the op medians add up to
/// somewhat less than a <c>Run</c>: edge (de)quantization and the calls themselves are outside them).
/// </summary>
internal static partial class OpProfiler
{

    /// <summary>One op's timing: its plan entry, the shapes it reads and writes, and its median in µs.</summary>
    public sealed record OpTiming(int Index, string OpType, string Name, string Shapes, double MedianMicroseconds);

    /// <summary>Every op's timing (plan order) and the median of whole <c>Run</c> calls in the same session.</summary>
    public sealed record Profile(IReadOnlyList<OpTiming> Ops, double RunMedianMicroseconds, int Rounds, int WarmupRounds, int Threads = 1)
    {
        public double OpSumMicroseconds => Ops.Sum(o => o.MedianMicroseconds);

        /// <summary>False when the JIT was still compiling when the warm-up's wait ended; null when there was no wait.</summary>
        public bool? JitQuiet { get; init; }
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (class <paramref name="fullName"/> generated for <paramref name="plan"/>),
    /// and times each op over <paramref name="rounds"/> rounds after at least <paramref name="warmupRounds"/>
    /// rounds and <paramref name="minimumWarmup"/> of warm-up (the JIT optimizes the op methods only after tens of calls).
    /// With a <paramref name="team"/>, the ops that split into units share it, as in <c>Run</c>.
    /// </summary>
    public static Profile Run(ModelPlan plan, string source, string fullName, ModelWeights weights, Array[] inputs, Array[] outputs,
        int warmupRounds, TimeSpan minimumWarmup, int rounds, Octet.Runtime.Threading.WorkerTeam? team = null, TimeSpan? jitWaitLimit = null)
    {
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "at least one timed round");
        var (model, run) = InMemoryModelClass.Compile(plan, source, fullName).Instantiate(weights, team, inputs, outputs);
        var ops = BindOps(plan, model, fullName);

        // Edge quantization once: the arena now holds the quantized inputs that op 0 reads.
        run();

        long warmupStart = Stopwatch.GetTimestamp();
        int warmed = 0;
        while (warmed < warmupRounds || Stopwatch.GetElapsedTime(warmupStart) < minimumWarmup)
        {
            foreach (var op in ops) op();
            run();
            warmed++;
        }
        // As octet bench: time only once the background JIT has stopped (see AlternatingTimer).
        var jit = jitWaitLimit != TimeSpan.Zero
            ? JitQuiescence.WaitWithDefaults(limit: jitWaitLimit, work: () =>
            {
                foreach (var op in ops) op();
                run();
                warmed++;
            })
            : default((TimeSpan Waited, long Compiled, bool Quiet)?);

        var times = new double[ops.Length][];
        for (int i = 0; i < ops.Length; i++) times[i] = new double[rounds];
        var runTimes = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < ops.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                ops[i]();
                times[i][round] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            long runStart = Stopwatch.GetTimestamp();
            run();
            runTimes[round] = Stopwatch.GetElapsedTime(runStart).TotalMicroseconds;
        }

        var tensors = plan.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var rows = plan.Ops.Select((op, i) => new OpTiming(op.Index, op.OpType, op.Name, Shapes(op, tensors), AlternatingTimer.Median(times[i]))).ToList();
        return new Profile(rows, AlternatingTimer.Median(runTimes), rounds, warmed, team?.Threads ?? 1) { JitQuiet = jit?.Quiet };
    }

    /// <summary>Prints <paramref name="profile"/>: the table, or with <paramref name="json"/> one JSON object (ops in plan order). Returns exit code 0.</summary>
    public static int Report(Profile profile, string modelPath, bool json)
    {
        if (!json)
        {
            Console.WriteLine(profile.Threads == 1
                ? $"{modelPath}: Octet generated code, single-threaded"
                : $"{modelPath}: Octet generated code, large ops split over a worker team of {profile.Threads} threads");
            WriteTable(profile, Console.Out);
            return 0;
        }
        double total = profile.OpSumMicroseconds;
        var document = new Dictionary<string, object>
        {
            ["model"] = modelPath,
            ["run_us"] = profile.RunMedianMicroseconds,
            ["op_sum_us"] = total,
            ["octet_threads"] = profile.Threads,
            ["iterations"] = profile.Rounds,
            ["warmup"] = profile.WarmupRounds,
            ["jit_quiet"] = profile.JitQuiet!,
            ["ops"] = profile.Ops.Select(o => new Dictionary<string, object>
            {
                ["index"] = o.Index,
                ["type"] = o.OpType,
                ["name"] = o.Name,
                ["shapes"] = o.Shapes,
                ["us"] = o.MedianMicroseconds,
                ["share"] = total > 0 ? o.MedianMicroseconds / total : 0,
            }).ToList(),
        };
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(document, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>The table, slowest op first: rank, op index, type, name, shapes, µs, share of the op total.</summary>
    public static void WriteTable(Profile profile, TextWriter output, int? top = null)
    {
        double total = profile.OpSumMicroseconds;
        var sorted = profile.Ops.OrderByDescending(o => o.MedianMicroseconds).ThenBy(o => o.Index).ToList();
        var shown = top is int n ? sorted.Take(n).ToList() : sorted;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(inv, "per-op medians over {0} rounds ({1} warm-up): ops sum {2:F1} µs, whole Run median {3:F1} µs",
            profile.Rounds, profile.WarmupRounds, total, profile.RunMedianMicroseconds));
        if (profile.JitQuiet == false) output.WriteLine("warning: the JIT was still compiling methods when the warm-up's wait ended; these times may carry its load");
        output.WriteLine(string.Format(inv, "{0,4} {1,5}  {2,-24} {3,-40} {4,-44} {5,10} {6,7} {7,7}", "rank", "op", "type", "name", "shapes", "µs", "share", "cum"));
        double cumulative = 0;
        for (int r = 0; r < shown.Count; r++)
        {
            var op = shown[r];
            double share = total > 0 ? op.MedianMicroseconds / total : 0;
            cumulative += share;
            output.WriteLine(string.Format(inv, "{0,4} {1,5}  {2,-24} {3,-40} {4,-44} {5,10:F1} {6,6:F1}% {7,6:F1}%",
                r + 1, op.Index, Clip(op.OpType, 24), Clip(op.Name, 40), Clip(op.Shapes, 44), op.MedianMicroseconds, 100 * share, 100 * cumulative));
        }
        if (shown.Count < sorted.Count)
            output.WriteLine($"... {sorted.Count - shown.Count} more ops");
        // Time per op type: where a family of kernels (all depthwise convolutions, all copies) stands.
        output.WriteLine();
        output.WriteLine("by op type:");
        foreach (var group in profile.Ops.GroupBy(o => o.OpType).OrderByDescending(g => g.Sum(o => o.MedianMicroseconds)))
        {
            double sum = group.Sum(o => o.MedianMicroseconds);
            output.WriteLine(string.Format(inv, "  {0,-24} {1,4} ops {2,10:F1} µs {3,6:F1}%", group.Key, group.Count(), sum, total > 0 ? 100 * sum / total : 0));
        }
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    private static string Shapes(PlanOp op, Dictionary<string, PlanTensor> tensors)
    {
        string Describe(string name)
        {
            if (name.Length == 0 || !tensors.TryGetValue(name, out var t) || t.Storage != PlanStorage.Arena) return "";
            string layout = t.Layout == "rowmajor" ? "" : " " + t.Layout;
            return "[" + string.Join("x", t.Shape) + "]" + layout;
        }
        var ins = op.Inputs.Select(Describe).Where(s => s.Length > 0);
        var outs = op.Outputs.Select(Describe).Where(s => s.Length > 0);
        return string.Join(",", ins) + "->" + string.Join(",", outs);
    }

    [GeneratedRegex(@"^Op(\d+)(_|$)")]
    private static partial Regex OpMethodName();

    /// <summary>One delegate per plan op, in plan order, bound to the op methods of <paramref name="model"/>.</summary>
    private static Action[] BindOps(ModelPlan plan, object model, string fullName)
    {
        var byIndex = new Dictionary<int, MethodInfo>();
        foreach (var method in model.GetType().GetMethods(BindingFlags.Instance | BindingFlags.NonPublic))
        {
            var match = OpMethodName().Match(method.Name);
            if (!match.Success || method.GetParameters().Length != 0 || method.ReturnType != typeof(void)) continue;
            int index = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            if (!byIndex.TryAdd(index, method))
                throw new OctetException($"octet bench --profile: {fullName} has two methods for op {index} ({byIndex[index].Name}, {method.Name})");
        }
        var delegates = new Action[plan.Ops.Count];
        for (int i = 0; i < plan.Ops.Count; i++)
        {
            var op = plan.Ops[i];
            if (!byIndex.TryGetValue(op.Index, out var method))
                throw new OctetException($"octet bench --profile: {fullName} has no method for op {op.Index} {op.OpType} '{op.Name}'");
            delegates[i] = method.CreateDelegate<Action>(model);
        }
        return delegates;
    }
}
