using Octet.Runtime.Threading;
using Xunit;

namespace Octet.Tests.CodeGeneration.Threading;

/// <summary>
/// The worker team behind the generated classes' intra-op parallelism: every unit runs exactly once, ranges are
/// contiguous and non-empty, errors reach the caller, nested and concurrent use falls back to the caller's thread,
/// Dispose stops the workers, and Run allocates nothing.
/// </summary>
public sealed class WorkerTeamTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 17)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 12)]
    [InlineData(3, 5)]
    [InlineData(3, 1000)]
    [InlineData(4, 7)]
    public void Every_unit_runs_exactly_once_in_contiguous_ranges(int threads, int count)
    {
        using var team = new WorkerTeam(threads);
        for (int repeat = 0; repeat < 50; repeat++)
        {
            var hits = new int[count];
            int badRanges = 0;
            team.Run(count, (first, end) =>
            {
                if (first < 0 || end > count || first >= end) Interlocked.Increment(ref badRanges);
                for (int i = first; i < end; i++) Interlocked.Increment(ref hits[i]);
            });
            Assert.Equal(0, badRanges);
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Theory]
    [InlineData(0)]      // workers block as soon as a job is done
    [InlineData(50)]     // the default
    [InlineData(20000)]  // a worker still spinning when the next job comes
    public void Every_unit_runs_exactly_once_whatever_the_worker_spin(int spinMicroseconds)
    {
        using var team = new WorkerTeam(3, TimeSpan.FromMicroseconds(spinMicroseconds));
        for (int repeat = 0; repeat < 200; repeat++)
        {
            var hits = new int[10];
            team.Run(hits.Length, (first, end) =>
            {
                for (int i = first; i < end; i++) Interlocked.Increment(ref hits[i]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
            // Every few jobs, a pause longer than a short spin, so that the workers block and must be woken.
            if (repeat % 20 == 0) Thread.Sleep(2);
        }
    }

    [Fact]
    public void A_worker_spin_outside_zero_to_one_second_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerTeam(2, TimeSpan.FromMicroseconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerTeam(2, WorkerTeam.MaxWorkerSpin + TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void Zero_units_run_nothing()
    {
        using var team = new WorkerTeam(2);
        bool called = false;
        team.Run(0, (_, _) => called = true);
        Assert.False(called);
    }

    [Fact]
    public void Work_reaches_the_worker_threads()
    {
        using var team = new WorkerTeam(2);
        int caller = Environment.CurrentManagedThreadId;
        bool otherThread = false;
        // Each chunk waits a little, so a worker that is awake claims some: with 2 threads and 100 tries it must happen.
        for (int attempt = 0; attempt < 100 && !otherThread; attempt++)
            team.Run(6, (_, _) =>
            {
                if (Environment.CurrentManagedThreadId != caller) Volatile.Write(ref otherThread, true);
                Thread.Sleep(1);
            });
        Assert.True(otherThread, "no chunk ever ran on a worker thread");
    }

    [Fact]
    public void An_exception_in_a_worker_chunk_reaches_the_caller_after_every_chunk_finished()
    {
        using var team = new WorkerTeam(3);
        int caller = Environment.CurrentManagedThreadId;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            int finished = 0;
            var error = Assert.ThrowsAny<Exception>(() => team.Run(9, (first, end) =>
            {
                Thread.Sleep(1);
                if (first == 0) throw new InvalidOperationException("chunk 0 failed");
                Interlocked.Add(ref finished, end - first);
            }));
            var failure = Assert.IsType<InvalidOperationException>(error);
            Assert.Equal("chunk 0 failed", failure.Message);
            // 9 units on 3 threads are 9 chunks of one unit: the other 8 ran before Run returned.
            Assert.Equal(8, Volatile.Read(ref finished));
        }
        // The team still works after failures.
        int units = 0;
        team.Run(9, (first, end) => Interlocked.Add(ref units, end - first));
        Assert.Equal(9, units);
        Assert.Equal(caller, Environment.CurrentManagedThreadId);
    }

    [Fact]
    public void Several_failing_chunks_give_an_aggregate_exception()
    {
        using var team = new WorkerTeam(2);
        var error = Assert.Throws<AggregateException>(() => team.Run(6, (first, _) =>
        {
            Thread.Sleep(2);
            throw new InvalidOperationException($"chunk at {first}");
        }));
        Assert.Equal(6, error.Flatten().InnerExceptions.Count);
    }

    [Fact]
    public void A_nested_run_runs_on_the_calling_thread()
    {
        using var team = new WorkerTeam(2);
        var hits = new int[4 * 5];
        team.Run(4, (first, end) =>
        {
            for (int outer = first; outer < end; outer++)
            {
                int thread = Environment.CurrentManagedThreadId;
                team.Run(5, (a, b) =>
                {
                    Assert.Equal(thread, Environment.CurrentManagedThreadId);
                    for (int inner = a; inner < b; inner++) Interlocked.Increment(ref hits[outer * 5 + inner]);
                });
            }
        });
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public async Task Concurrent_callers_each_get_every_unit_once()
    {
        using var team = new WorkerTeam(2);
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int repeat = 0; repeat < 200; repeat++)
            {
                var hits = new int[10];
                team.Run(10, (first, end) =>
                {
                    for (int i = first; i < end; i++) Interlocked.Increment(ref hits[i]);
                });
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        })).ToArray();
        await Task.WhenAll(tasks);
    }

    [Fact]
    public void Dispose_stops_the_workers_and_later_runs_fail()
    {
        var team = new WorkerTeam(3);
        team.Run(6, (_, _) => { });
        team.Dispose();
        team.Dispose();
        Assert.Throws<ObjectDisposedException>(() => team.Run(6, (_, _) => { }));
    }

    [Fact]
    public void Workers_are_background_threads()
    {
        using var team = new WorkerTeam(2);
        bool? background = null;
        for (int attempt = 0; attempt < 100 && background == null; attempt++)
        {
            int caller = Environment.CurrentManagedThreadId;
            team.Run(6, (_, _) =>
            {
                if (Environment.CurrentManagedThreadId != caller) background = Thread.CurrentThread.IsBackground;
                Thread.Sleep(1);
            });
        }
        Assert.True(background, "no chunk ran on a worker thread, or the worker is a foreground thread");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void Thread_counts_outside_1_to_256_are_refused(int threads) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerTeam(threads));

    [Fact]
    public void Run_allocates_nothing()
    {
        using var team = new WorkerTeam(2);
        var sums = new long[64];
        Action<int, int> range = (first, end) =>
        {
            for (int i = first; i < end; i++) sums[i] += i;
        };
        team.Run(64, range);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) team.Run(64, range);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
