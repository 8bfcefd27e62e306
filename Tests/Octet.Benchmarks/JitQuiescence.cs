using System.Diagnostics;

namespace Octet.Benchmarks;

/// <summary>
/// Waits, before timing, until this process's JIT has stopped compiling. Compiling the model in memory runs thousands of
/// Roslyn and compiler methods often enough to be queued for tier-1 recompilation, and the runtime recompiles them on a
/// background thread for a second or more after that — measured (<see cref="RunGapDiagnosis"/>) at up to 3,000 methods and
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

    /// <summary><see cref="Wait"/> with the harness's settings (1 s without compilation, at most 60 s), reported on the console.</summary>
    public static void WaitAndReport(Action work)
    {
        var (waited, compiled, isQuiet) = Wait(work, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Console.WriteLine(FormattableString.Invariant(
            $"JIT: {compiled} methods compiled in the {waited.TotalSeconds:F1} s before timing{(isQuiet ? ", then 1 s without any" : "; still compiling after 60 s")}"));
    }
}
