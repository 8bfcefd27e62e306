using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Octet.Cli.Benchmarking;
using Octet.Runtime;

namespace Octet.Benchmarks;

/// <summary>
/// Why a whole <c>Run</c> can take longer than the sum of the per-op medians <see cref="OpProfiler"/> reports
/// (<c>--vit-block [--wide-activations] --run-gap</c>). In one process and one instance, round after round, it times
/// (1) a whole <c>Run</c>, (2) the op methods called back to back through delegates (the same sequence <c>Run</c> makes,
/// without the edge quantization), (3) each op alone, as the profiler does. It reports medians and the 10th / 90th
/// percentiles of (1) and (2), the sum of the op medians (3), the bytes allocated and the garbage collections during
/// the timed rounds, and the methods the JIT compiled during them (a method still being promoted from tier 0, or
/// compiled on first use, shows up there). If (1) ≈ (2) ≈ (3) on a quiet machine, a gap seen elsewhere is the load:
/// a median of sums exceeds the sum of medians when long runs are preempted more often than short ops.
/// </summary>
internal static class RunGapDiagnosis
{
    public const string Option = "--run-gap";

    public static int Run(InMemoryModelClass modelClass, ModelWeights weights, Array[] inputs, Array[] outputs, int warmupRounds, TimeSpan minimumWarmup, int rounds, bool waitForJit)
    {
        var (model, run) = modelClass.Instantiate(weights, null, inputs, outputs);
        if (waitForJit) JitQuiescence.WaitAndReport(run);
        var ops = model.GetType().GetMethods(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(m => m.Name.StartsWith("Op", StringComparison.Ordinal) && char.IsDigit(m.Name[2]) && m.GetParameters().Length == 0)
            .OrderBy(m => int.Parse(m.Name[2..m.Name.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture))
            .Select(m => m.CreateDelegate<Action>(model)).ToArray();
        void Sequence()
        {
            foreach (var op in ops) op();
        }

        run();
        var warmupStart = Stopwatch.GetTimestamp();
        int warmed = 0;
        while (warmed < warmupRounds || Stopwatch.GetElapsedTime(warmupStart) < minimumWarmup)
        {
            run();
            Sequence();
            foreach (var op in ops) op();
            warmed++;
        }

        var runTimes = new double[rounds];
        var sequenceTimes = new double[rounds];
        var opTimes = new double[ops.Length][];
        for (int i = 0; i < ops.Length; i++) opTimes[i] = new double[rounds];
        long jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        var jitTimeBefore = System.Runtime.JitInfo.GetCompilationTime(currentThread: false);
        int gcBefore = GC.CollectionCount(0);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long runAllocated = 0;
        for (int round = 0; round < rounds; round++)
        {
            long allocatedStart = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            run();
            runTimes[round] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            runAllocated += GC.GetAllocatedBytesForCurrentThread() - allocatedStart;

            start = Stopwatch.GetTimestamp();
            Sequence();
            sequenceTimes[round] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;

            for (int i = 0; i < ops.Length; i++)
            {
                start = Stopwatch.GetTimestamp();
                ops[i]();
                opTimes[i][round] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        int collections = GC.CollectionCount(0) - gcBefore;
        long jitted = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - jitBefore;
        var jitTime = System.Runtime.JitInfo.GetCompilationTime(currentThread: false) - jitTimeBefore;

        double opSum = opTimes.Sum(AlternatingTimer.Median);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(inv, "rounds: {0} timed, {1} warm-up; {2} op methods", rounds, warmed, ops.Length));
        Console.WriteLine(string.Format(inv, "whole Run        median {0,9:F1} µs  p10 {1,9:F1}  p90 {2,9:F1}", AlternatingTimer.Median(runTimes), Percentile(runTimes, 0.1), Percentile(runTimes, 0.9)));
        Console.WriteLine(string.Format(inv, "ops back to back median {0,9:F1} µs  p10 {1,9:F1}  p90 {2,9:F1}", AlternatingTimer.Median(sequenceTimes), Percentile(sequenceTimes, 0.1), Percentile(sequenceTimes, 0.9)));
        Console.WriteLine(string.Format(inv, "sum of op medians       {0,9:F1} µs", opSum));
        Console.WriteLine(string.Format(inv, "allocated during the timed rounds: {0} bytes ({1} by Run calls); gen-0 collections: {2}", allocated, runAllocated, collections));
        Console.WriteLine(string.Format(inv, "JIT during the timed rounds: {0} methods compiled, {1:F1} ms", jitted, jitTime.TotalMilliseconds));
        return 0;
    }

    private static double Percentile(double[] values, double fraction)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(fraction * sorted.Length))];
    }
}
