using System.Diagnostics;

namespace Octet.Cli.Benchmarking;

/// <summary>
/// Waits, before timing, until this process's JIT has stopped compiling. Compiling the model in memory runs thousands of
/// Roslyn and compiler methods often enough to be queued for tier-1 recompilation, and the runtime recompiles them on a
/// background thread for a second or more after that — measured (Tests/Octet.Benchmarks, <c>--run-gap</c>) at up to 3,000 methods and
/// 1.2 s of JIT time inside the timed rounds when only the fixed warm-up preceded them. On two cores that thread takes
/// the CPU from the timed one in bursts: short op timings keep clean medians, whole runs do not, which is how the
/// median of whole <c>Run</c>s came out at two to four times the sum of the op medians.
/// </summary>
internal static class JitQuiescence
{
    /// <summary>
    /// Calls <paramref name="work"/> until no method has been compiled anywhere in the process for <paramref name="quiet"/>,
    /// or <paramref name="limit"/> has passed; returns how long that took and how many methods were compiled meanwhile.
    /// </summary>
    public static (TimeSpan Waited, long Compiled, bool Quiet) Wait(Action work, TimeSpan quiet, TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        long first = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        long last = first;
        long lastChange = start;
        while (true)
        {
            work();
            long now = Stopwatch.GetTimestamp();
            long count = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            if (count != last)
            {
                last = count;
                lastChange = now;
            }
            if (Stopwatch.GetElapsedTime(lastChange, now) >= quiet) return (Stopwatch.GetElapsedTime(start, now), last - first, true);
            if (Stopwatch.GetElapsedTime(start, now) >= limit) return (Stopwatch.GetElapsedTime(start, now), last - first, false);
        }
    }

    /// <summary>The longest wait <c>octet bench</c> and the benchmark harness allow by default.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    /// <summary><see cref="Wait"/> for 1 s without compilation, at most <paramref name="limit"/> (default <see cref="DefaultLimit"/>).</summary>
    public static (TimeSpan Waited, long Compiled, bool Quiet) WaitWithDefaults(Action work, TimeSpan? limit = null) =>
        Wait(work, TimeSpan.FromSeconds(1), limit ?? DefaultLimit);

    /// <summary>One line saying what <see cref="Wait"/> found, for a report.</summary>
    public static string Describe((TimeSpan Waited, long Compiled, bool Quiet) outcome) => FormattableString.Invariant(
        $"JIT: {outcome.Compiled} methods compiled in the {outcome.Waited.TotalSeconds:F1} s before timing{(outcome.Quiet ? ", then 1 s without any" : "; still compiling when the wait ended")}");

    /// <summary><see cref="WaitWithDefaults"/>, reported on the console.</summary>
    public static void WaitAndReport(Action work) => Console.WriteLine(Describe(WaitWithDefaults(work)));
}
