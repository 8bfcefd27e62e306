using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Octet.Runtime.Threading;

/// <summary>
/// A persistent team of threads for intra-op parallelism: <see cref="Run"/> splits <c>count</c> work units into a few
/// contiguous ranges per participant (the calling thread is one of them); each participant runs its own ranges, the
/// same share of the units in every job, then takes over ranges the others have not started; <see cref="Run"/> returns
/// when every range is done.
/// Generated model classes hand it the ranges of their large ops; the units of an op write disjoint outputs and do
/// the same integer work whoever runs them, so results are bit-identical whatever the thread count.
/// <para>
/// <see cref="Run"/> allocates nothing: the range delegate is created once by the caller (generated classes cache
/// one per op in a field), and the team only publishes it to workers that are already running. Workers spin briefly
/// after a job (ops follow each other within microseconds during an inference; how long is a constructor argument),
/// then block until the next one.
/// They are background threads, so a team that is never disposed does not keep the process alive.
/// </para>
/// <para>
/// One job at a time: while a job runs, a <see cref="Run"/> from another thread (or from inside a range) runs its
/// whole range on its own caller instead of waiting. Sharing one team between model instances that run one after
/// another is therefore fine; instances running at the same time on different threads stay correct but only one of
/// them gets the workers.
/// </para>
/// </summary>
public sealed class WorkerTeam : IDisposable
{
    /// <summary>How long an idle worker spins before blocking, unless the constructor is told otherwise: 50 µs, a few ops' worth.</summary>
    public static readonly TimeSpan DefaultWorkerSpin = TimeSpan.FromMicroseconds(50);

    /// <summary>The longest worker spin the constructor accepts.</summary>
    public static readonly TimeSpan MaxWorkerSpin = TimeSpan.FromSeconds(1);

    /// <summary>How long an idle worker spins before blocking, in ticks of <see cref="Stopwatch"/>.</summary>
    private readonly long _workerSpinTicks;

    /// <summary>How long the caller of <see cref="Run"/> spins for the last chunks before it blocks: about 20 µs.</summary>
    private static readonly long CallerSpinTicks = Stopwatch.Frequency / 50_000;

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim[] _wake;
    private readonly ManualResetEventSlim _done = new(initialState: false, spinCount: 1);
    private readonly Exception?[] _errors;

    // The published job. _range and _count are written before _queues and _generation announce it; a participant
    // reads them only after claiming a chunk, and a job cannot end while one of its chunks is claimed but not done.
    private Action<int, int>? _range;
    private int _count;
    private int _chunks;
    /// <summary>
    /// Each participant's own chunks, one word per participant <see cref="QueueStride"/> longs apart (a cache line each):
    /// (generation &lt;&lt; 32) | (front &lt;&lt; 16) | end, the chunks [front, end) not yet claimed. The owner claims
    /// from the front, the others take from the end once their own queue is empty; the generation ties claims to
    /// their job.
    /// </summary>
    private readonly long[] _queues;
    /// <summary>Longs between two participants' queue words: 64 bytes, so owners and thieves do not share a cache line needlessly.</summary>
    private const int QueueStride = 8;
    private int _completed;
    private int _generation;
    private int _busy;
    private volatile bool _disposed;

    /// <summary>A team of <paramref name="threads"/> participants: the caller of <see cref="Run"/> and <paramref name="threads"/> − 1 workers started now.</summary>
    /// <param name="threads">Participants, the caller included.</param>
    /// <param name="workerSpin">
    /// How long an idle worker spins for the next job before it blocks (default <see cref="DefaultWorkerSpin"/>). Waking a
    /// blocked worker costs tens of microseconds or more, which a model of many short ops pays at nearly every split op
    /// (measured, docs/performance.md "Threading": shufflenet-v2-int8 on 2 threads 1.0× with 50 µs, 1.47× with 2 ms). A
    /// long spin keeps a core busy between inferences and competes with other work for it; on a machine shared with
    /// other load, short spins measured better. Choose it where the cores are the model's.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1 or above 256, or
    /// <paramref name="workerSpin"/> is negative or above <see cref="MaxWorkerSpin"/>.</exception>
    public WorkerTeam(int threads, TimeSpan? workerSpin = null)
    {
        if (threads < 1 || threads > 256)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "a worker team has from 1 to 256 threads");
        var spin = workerSpin ?? DefaultWorkerSpin;
        if (spin < TimeSpan.Zero || spin > MaxWorkerSpin)
            throw new ArgumentOutOfRangeException(nameof(workerSpin), spin, $"a worker spin is from 0 to {MaxWorkerSpin.TotalSeconds:0} s");
        _workerSpinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);
        // ManualResetEventSlim creates its lock object (24 bytes) the first time a Wait has to block. The caller blocks
        // on _done only when a worker is late, which happens first at an unpredictable Run (a busy machine): block once
        // here instead (1 ms, the event is not set) so that no Run ever allocates.
        _done.Wait(millisecondsTimeout: 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new ManualResetEventSlim[threads - 1];
        _errors = new Exception?[threads];
        _queues = new long[threads * QueueStride];
        for (int i = 0; i < _workers.Length; i++)
        {
            _wake[i] = new ManualResetEventSlim(initialState: false, spinCount: 1);
            int participant = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(participant))
            {
                IsBackground = true,
                Name = $"Octet worker {participant}/{threads}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>Participants in a job, the calling thread included.</summary>
    public int Threads { get; }

    /// <summary>Chunks per participant: a participant that is descheduled or slow to wake leaves its share to the others.</summary>
    private const int ChunksPerThread = 3;

    /// <summary>
    /// Runs <paramref name="range"/>(first, end) over [0, <paramref name="count"/>) split into contiguous, non-empty
    /// chunks that together cover every unit exactly once, shared out among the participants as they become free
    /// (the calling thread takes part, so a job finishes even if no worker gets a core). Returns when every chunk is
    /// done. An exception thrown by a chunk is rethrown here after the other chunks finished (several: an
    /// <see cref="AggregateException"/>). Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="range"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The team was disposed.</exception>
    public void Run(int count, Action<int, int> range)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0) return;
        int chunks = Math.Min(count, Threads * ChunksPerThread);
        // One participant, or the team is already running a job (another thread's, or this one's from inside a range).
        if (Threads == 1 || chunks == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            range(0, count);
            return;
        }
        try
        {
            _range = range;
            _count = count;
            _chunks = chunks;
            Volatile.Write(ref _completed, 0);
            _done.Reset();
            int generation = Volatile.Read(ref _generation) + 1;
            // Participant p owns chunks [p·chunks/T, (p+1)·chunks/T): the same share of every op's units each time, so
            // consecutive ops that split their outputs alike (pixel bands, output rows) find their inputs in the cache
            // of the core that wrote them instead of fetching them from the other core.
            for (int p = 0; p < Threads; p++)
            {
                long front = (long)chunks * p / Threads, end = (long)chunks * (p + 1) / Threads;
                Volatile.Write(ref _queues[p * QueueStride], ((long)generation << 32) | (front << 16) | end);
            }
            Interlocked.Exchange(ref _generation, generation);
            int wake = Math.Min(_wake.Length, chunks - 1);
            for (int i = 0; i < wake; i++) _wake[i].Set();

            Work(0, generation);
            WaitForCompletion(chunks);
            _range = null;
            ThrowErrors();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Claims and runs chunks of job <paramref name="generation"/> until none is left: first the participant's own, from
    /// the front, then the others' from their ends (a participant that is late or descheduled leaves its share to the others).
    /// </summary>
    private void Work(int participant, int generation)
    {
        while (TryClaimFront(participant, generation, out int chunk)) RunChunk(participant, chunk);
        for (int i = 1; i < Threads; i++)
        {
            int victim = (participant + i) % Threads;
            while (TryClaimEnd(victim, generation, out int chunk)) RunChunk(participant, chunk);
        }
    }

    /// <summary>Claims the first unclaimed chunk of <paramref name="owner"/>'s queue in job <paramref name="generation"/>.</summary>
    private bool TryClaimFront(int owner, int generation, out int chunk)
    {
        ref long queue = ref _queues[owner * QueueStride];
        while (true)
        {
            long word = Volatile.Read(ref queue);
            int front = (int)((word >> 16) & 0xFFFF), end = (int)(word & 0xFFFF);
            if ((int)(word >> 32) != generation || front >= end)
            {
                chunk = -1;
                return false;
            }
            if (Interlocked.CompareExchange(ref queue, word + (1L << 16), word) != word) continue;
            chunk = front;
            return true;
        }
    }

    /// <summary>Claims the last unclaimed chunk of <paramref name="owner"/>'s queue in job <paramref name="generation"/>.</summary>
    private bool TryClaimEnd(int owner, int generation, out int chunk)
    {
        ref long queue = ref _queues[owner * QueueStride];
        while (true)
        {
            long word = Volatile.Read(ref queue);
            int front = (int)((word >> 16) & 0xFFFF), end = (int)(word & 0xFFFF);
            if ((int)(word >> 32) != generation || front >= end)
            {
                chunk = -1;
                return false;
            }
            if (Interlocked.CompareExchange(ref queue, word - 1, word) != word) continue;
            chunk = end - 1;
            return true;
        }
    }

    private void RunChunk(int participant, int chunk)
    {
        int count = _count, chunks = _chunks;
        try
        {
            _range!((int)((long)count * chunk / chunks), (int)((long)count * (chunk + 1) / chunks));
        }
        catch (Exception e)
        {
            // Kept for the caller; the chunk still counts as done so that the job ends.
            _errors[participant] = _errors[participant] is { } earlier ? new AggregateException(earlier, e) : e;
        }
        if (Interlocked.Increment(ref _completed) == chunks && participant != 0) _done.Set();
    }

    private void WaitForCompletion(int chunks)
    {
        // The other chunks usually end at about the time the caller's do: spin briefly, then block. Not longer: a
        // worker the scheduler woke on the caller's own core (Linux places a wakee near its waker) cannot finish its
        // chunk while the caller spins (measured on the loaded 2-core machine: spinning 2 ms made runs 3-7x slower).
        long start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _completed) != chunks)
        {
            if (Stopwatch.GetTimestamp() - start < CallerSpinTicks) Thread.SpinWait(8);
            else
            {
                // A worker sets _done after counting the last chunk. A Set left over from an earlier job may wake this
                // Wait early: then reset and check again (a Set the reset swallows came after its count, which the
                // check sees).
                _done.Wait();
                _done.Reset();
            }
            Thread.SpinWait(8);
        }
    }

    private void ThrowErrors()
    {
        int failures = 0;
        Exception? first = null;
        foreach (var e in _errors)
            if (e != null)
            {
                first ??= e;
                failures++;
            }
        if (failures == 0) return;
        var errors = new List<Exception>(failures);
        for (int i = 0; i < _errors.Length; i++)
            if (_errors[i] is { } e)
            {
                errors.Add(e);
                _errors[i] = null;
            }
        if (failures == 1) ExceptionDispatchInfo.Capture(first!).Throw();
        throw new AggregateException("several chunks of a worker team job failed", errors);
    }

    private void WorkerLoop(int participant)
    {
        var wake = _wake[participant - 1];
        int seen = 0;
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + _workerSpinTicks;
            int generation;
            while ((generation = Volatile.Read(ref _generation)) == seen)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    // A Set that arrives after this check is not lost: the event stays set and Wait returns at once.
                    wake.Wait();
                    wake.Reset();
                }
                else Thread.SpinWait(8);
            }
            seen = generation;
            if (_disposed) return;
            Work(participant, generation);
        }
    }

    /// <summary>Stops the workers (after the job that is running, if any) and waits for them to exit.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        // Wait for a running job: its workers must finish their ranges before they can see the stop.
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _disposed = true;
        Interlocked.Increment(ref _generation);
        foreach (var wake in _wake) wake.Set();
        foreach (var worker in _workers)
            if (worker != Thread.CurrentThread) worker.Join();
        foreach (var wake in _wake) wake.Dispose();
        _done.Dispose();
    }
}
