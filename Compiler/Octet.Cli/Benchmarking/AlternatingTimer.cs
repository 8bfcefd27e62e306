using System.Diagnostics;

namespace Octet.Cli.Benchmarking;

/// <summary>
/// Times two ways of doing the same work, interleaved in one process: each round runs both once, and the
/// order flips every round, so a slow spell of the machine (other processes, frequency changes) lands on both
/// sides alike and neither always runs with the other's data in cache. Warm-up rounds first, then the timed
/// rounds; the result is each side's median, which one descheduled run cannot move the way it moves a mean.
/// Warm-up lasts a number of rounds and a minimum time: the generated methods run once per inference, and the
/// JIT promotes a method from its quick first code to optimized code (after instrumented code, with dynamic
/// PGO) only after some 30 calls plus a background delay. Measured on mnist-8: 20 warm-up runs left Octet at
/// 650 µs, 3,000 at 120 µs — a count alone is the wrong yardstick for models of very different sizes.
/// After that, warm-up goes on until the JIT has gone quiet (<see cref="JitQuiescence"/>): compiling the model in
/// memory leaves tier-1 recompilation of Roslyn's and the compiler's methods running on a background thread, which on
/// two cores takes the CPU from the timed runs in bursts (and from a worker team's second thread all the time).
/// </summary>
internal static class AlternatingTimer
{
    /// <param name="JitQuiet">False when methods were still being compiled when the wait ended (then the timing may carry that
    /// load); null when there was no wait (<c>jitWaitLimit</c> zero).</param>
    public sealed record Result(double MedianFirstMicroseconds, double MedianSecondMicroseconds, int Rounds, int WarmupRounds, bool? JitQuiet = null);

    public static Result Run(Action first, Action second, int warmupRounds, TimeSpan minimumWarmup, int rounds, TimeSpan? jitWaitLimit = null)
    {
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "at least one timed round");
        long warmupStart = Stopwatch.GetTimestamp();
        int warmed = 0;
        while (warmed < warmupRounds || Stopwatch.GetElapsedTime(warmupStart) < minimumWarmup)
        {
            first();
            second();
            warmed++;
        }
        var jit = jitWaitLimit != TimeSpan.Zero
            ? JitQuiescence.WaitWithDefaults(limit: jitWaitLimit, work: () =>
            {
                first();
                second();
                warmed++;
            })
            : default((TimeSpan Waited, long Compiled, bool Quiet)?);
        var firstTimes = new double[rounds];
        var secondTimes = new double[rounds];
        for (int i = 0; i < rounds; i++)
        {
            if (i % 2 == 0)
            {
                firstTimes[i] = Time(first);
                secondTimes[i] = Time(second);
            }
            else
            {
                secondTimes[i] = Time(second);
                firstTimes[i] = Time(first);
            }
        }
        return new Result(Median(firstTimes), Median(secondTimes), rounds, warmed, jit?.Quiet);
    }

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
