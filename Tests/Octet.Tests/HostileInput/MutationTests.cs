using System.Text;
using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.HostileInput;

public enum MutantKind { Bytes, Structure }

/// <summary>A mutated model: reproducible from its kind and seed alone (<see cref="MutationTests.Make"/>).</summary>
internal sealed record Mutant(MutantKind Kind, int Seed, SeedModel Model, string Description, byte[] Bytes)
{
    public override string ToString() => $"{Kind} mutant seed {Seed} of {Model} ({Description})";
}

/// <summary>
/// Property test of the whole front end: thousands of mutated copies of real models (fixed seeds) are
/// loaded, and those that load and are small are also run by the reference executor on random inputs.
/// The property: every mutant either succeeds or fails with an <see cref="OctetException"/> — never another
/// exception type, a hang, or a crash. A failure names the mutant's kind, seed and mutations; the
/// <see cref="Reproduce"/> theory replays one.
/// </summary>
public sealed class MutationTests
{
    private const int ByteMutants = 1500, StructureMutants = 3000;
    /// <summary>For a longer hunt than CI's: <c>OCTET_MUTANT_SCALE=20</c> tries twenty times as many mutants (new seeds after the usual ones).</summary>
    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("OCTET_MUTANT_SCALE"), out var s) && s > 0 ? s : 1;
    /// <summary>Mutants estimated above this many multiply-accumulates are loaded but not executed.</summary>
    private const double MaxExecutionCost = 5e6;
    private const int MaxTimeoutsPerCampaign = 3;

    private readonly ITestOutputHelper _output;

    public MutationTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Byte_level_mutants_load_or_are_rejected() => RunCampaign(MutantKind.Bytes, firstSeed: 1, ByteMutants * Scale);

    [Fact]
    public void Structure_level_mutants_load_or_are_rejected() => RunCampaign(MutantKind.Structure, firstSeed: 1_000_000, StructureMutants * Scale);

    /// <summary>Replays single mutants: paste a failing kind and seed here to debug it.</summary>
    [Theory]
    [InlineData(MutantKind.Structure, 1_001_177)] // a MaxPool turned Transpose on uint8: Transpose's kernel mixed up uint8 and int8 arrays
    [InlineData(MutantKind.Bytes, 1)]
    public void Reproduce(MutantKind kind, int seed)
    {
        using var folder = new TempFolder();
        var mutant = Make(kind, seed);
        _output.WriteLine(mutant.ToString());
        var result = Try(mutant, folder.File("mutant.onnx"));
        _output.WriteLine(result.ToString());
        Assert.True(result.Outcome != Outcome.Failed, $"{mutant}: {result.Detail}");
    }

    internal static Mutant Make(MutantKind kind, int seed)
    {
        var random = new Random(seed);
        var model = MutationCorpus.Pick(random);
        var (bytes, description) = kind == MutantKind.Bytes
            ? ByteMutator.Mutate(model.Bytes, random)
            : StructureMutator.Mutate(model.Proto, random);
        return new Mutant(kind, seed, model, description, bytes);
    }

    internal enum Outcome { Rejected, Loaded, Executed, ExecutionRejected, Failed }

    internal sealed record Result(Outcome Outcome, string Stage, Exception? Error, TimeSpan Elapsed)
    {
        public string Detail => Error is null ? Stage : $"{Stage}: {Error.GetType().Name}: {Error.Message}{WhereThrown(Error)}";
        public override string ToString() => $"{Outcome} ({Detail}) in {Elapsed.TotalMilliseconds:F0} ms";
    }

    internal static Result Try(Mutant mutant, string path)
    {
        File.WriteAllBytes(path, mutant.Bytes);
        var stage = "load";
        bool executed = false;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (finished, error) = Hostile.Run(() =>
        {
            var graph = OnnxModelLoader.Load(path, mutant.Model.Options);
            if (ExecutionCost.Estimate(graph) > MaxExecutionCost) return;
            stage = "execute";
            new ReferenceExecutor(graph).Run(InputSets.Random(graph, mutant.Seed));
            executed = true;
        });
        var elapsed = started.Elapsed;
        if (!finished) return new Result(Outcome.Failed, $"{stage} did not finish within {Hostile.Timeout.TotalSeconds} s", null, elapsed);
        if (error is null) return new Result(executed ? Outcome.Executed : Outcome.Loaded, stage, null, elapsed);
        if (error is not OctetException) return new Result(Outcome.Failed, stage, error, elapsed);
        return new Result(stage == "load" ? Outcome.Rejected : Outcome.ExecutionRejected, stage, error, elapsed);
    }

    private void RunCampaign(MutantKind kind, int firstSeed, int count)
    {
        using var folder = new TempFolder();
        var tally = new Dictionary<Outcome, int>();
        var failures = new List<string>();
        // Operator code that threw something other than an OctetException (caught by ShapeInference.Guard), or whose
        // inference and kernel disagree: allowed outcomes, but listed (once per operator and kind) for its owner.
        var operatorProblems = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var executionRejections = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int timeouts = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var slowest = (Time: TimeSpan.Zero, Mutant: "");

        for (int seed = firstSeed; seed < firstSeed + count && timeouts < MaxTimeoutsPerCampaign; seed++)
        {
            var mutant = Make(kind, seed);
            var result = Try(mutant, folder.File($"mutant{seed}.onnx"));
            File.Delete(folder.File($"mutant{seed}.onnx"));
            tally[result.Outcome] = tally.GetValueOrDefault(result.Outcome) + 1;
            if (result.Elapsed > slowest.Time) slowest = (result.Elapsed, mutant.ToString());

            if (result.Error is OctetException rejection)
            {
                var reason = (result.Outcome == Outcome.ExecutionRejected ? "in execution: " : "") + ReasonOf(rejection.Message);
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                // Inference accepted what the kernel then refused: worth a look by the operator's owner.
                if (result.Outcome == Outcome.ExecutionRejected)
                    executionRejections.TryAdd(ReasonOf(rejection.Message), $"{mutant}\n    {rejection.Message}");
            }
            if (result.Outcome == Outcome.Failed)
            {
                if (result.Error is null) timeouts++;
                failures.Add($"{mutant}\n    {result.Detail}");
            }
            else if (result.Error is OctetException { InnerException: { } inner } octet && inner is not IOException && inner is not Google.Protobuf.InvalidProtocolBufferException)
            {
                var key = $"{result.Stage} {OpTypeIn(octet.Message)} {inner.GetType().Name}";
                operatorProblems.TryAdd(key, $"{mutant}\n    {octet.Message}{WhereThrown(inner)}");
            }
            else if (result.Error is OctetException inconsistent && inconsistent.Message.Contains("internal error", StringComparison.Ordinal))
            {
                // An operator whose inference and kernel disagree: also for its owner.
                operatorProblems.TryAdd($"{result.Stage} {OpTypeIn(inconsistent.Message)} internal error", $"{mutant}\n    {inconsistent.Message}");
            }
        }

        int tried = tally.Values.Sum();
        _output.WriteLine($"Seed models (those that load unmutated): {MutationCorpus.WholeModels.Count} whole models " +
                          $"({string.Join(", ", MutationCorpus.WholeModels)}), {MutationCorpus.NodeCases.Count} node cases");
        _output.WriteLine($"{kind} mutants: {tried} tried, {tally.GetValueOrDefault(Outcome.Rejected)} rejected at load, " +
                          $"{tally.GetValueOrDefault(Outcome.Loaded) + tally.GetValueOrDefault(Outcome.Executed) + tally.GetValueOrDefault(Outcome.ExecutionRejected)} loaded, " +
                          $"{tally.GetValueOrDefault(Outcome.Executed)} executed, {tally.GetValueOrDefault(Outcome.ExecutionRejected)} rejected in execution, " +
                          $"{failures.Count} failed; {started.Elapsed.TotalSeconds:F1} s (slowest {slowest.Time.TotalMilliseconds:F0} ms: {slowest.Mutant})");
        _output.WriteLine("Most common rejections:");
        foreach (var (reason, n) in reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Take(15))
            _output.WriteLine($"  {n,5} {reason}");
        if (executionRejections.Count > 0)
        {
            _output.WriteLine("Rejected in execution after inference accepted them (one example per kind):");
            foreach (var example in executionRejections.Values) _output.WriteLine($"  {example}");
        }
        if (operatorProblems.Count > 0)
        {
            _output.WriteLine($"{operatorProblems.Count} kinds of operator problems: exceptions caught by ShapeInference.Guard or internal errors " +
                              "(allowed outcomes, but worth routing to the operator's owner):");
            foreach (var (key, example) in operatorProblems) _output.WriteLine($"  [{key}] {example}");
        }
        if (failures.Count > 0)
        {
            var report = new StringBuilder($"{failures.Count} of {tried} {kind} mutants ended neither in success nor in an OctetException");
            if (timeouts >= MaxTimeoutsPerCampaign) report.Append(" (stopped early after repeated timeouts)");
            report.AppendLine(":");
            foreach (var failure in failures.Take(40)) report.AppendLine(failure);
            if (failures.Count > 40) report.AppendLine($"… and {failures.Count - 40} more");
            _output.WriteLine(report.ToString());
            Assert.Fail(report.ToString());
        }
        Assert.True(tried >= count, $"only {tried} of {count} mutants were tried");
    }

    /// <summary>A rejection message with file path, names and numbers blanked out, so that alike ones count together.</summary>
    private static string ReasonOf(string message)
    {
        int modelPath = message.IndexOf(".onnx: ", StringComparison.Ordinal);
        if (modelPath >= 0) message = message[(modelPath + 7)..];
        message = System.Text.RegularExpressions.Regex.Replace(message, "'[^']*'", "'…'");
        message = System.Text.RegularExpressions.Regex.Replace(message, "[0-9]+", "#");
        return message.Length > 110 ? message[..110] : message;
    }

    /// <summary>The op type in a message that starts with a node's description: <c>node 'n' (Conv, opset 11): …</c>.</summary>
    private static string OpTypeIn(string message)
    {
        int open = message.IndexOf(" (", StringComparison.Ordinal), comma = message.IndexOf(", opset", StringComparison.Ordinal);
        return open >= 0 && comma > open ? message[(open + 2)..comma] : "?";
    }

    /// <summary>Where to look for the bug: the innermost operator frame of the exception, else the innermost Octet.Compiler one.</summary>
    private static string WhereThrown(Exception error)
    {
        var frames = error.StackTrace?.Split('\n').Select(l => l.Trim()).ToList() ?? [];
        var frame = frames.FirstOrDefault(l => l.Contains("Octet.Compiler.Operators.", StringComparison.Ordinal))
                    ?? frames.FirstOrDefault(l => l.Contains("Octet.Compiler", StringComparison.Ordinal));
        return frame is null ? "" : $"\n    {frame}";
    }
}
