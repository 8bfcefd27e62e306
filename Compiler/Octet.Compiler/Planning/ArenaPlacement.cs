namespace Octet.Compiler.Planning;

/// <summary>
/// Places buffers with known sizes and lifetimes in one arena: greedy best-fit in a given order. Each buffer
/// goes into the smallest gap (lowest offset among equal gaps) left between the already placed buffers whose
/// lifetimes overlap its own, or after all of them when no gap is large enough. Sizes are multiples of the
/// alignment and every offset is made of them, so every offset is aligned.
/// </summary>
public static class ArenaPlacement
{
    /// <summary>A buffer to place: <paramref name="Size"/> bytes (aligned) live over steps First..Last.</summary>
    public readonly record struct Item(int Index, long Size, int First, int Last)
    {
        public long Duration => (long)Last - First + 1;
    }

    /// <summary>A named order in which to place buffers.</summary>
    public sealed record Ordering(string Name, Func<IReadOnlyList<Item>, IEnumerable<Item>> Sort);

    /// <summary>
    /// The orders tried, the largest-first rule first. The others help when large short-lived and
    /// small long-lived buffers interleave: a long-lived buffer placed early sits low in the arena and the
    /// short-lived ones pack around it. Ties always fall back to the buffer index, so plans are deterministic.
    /// </summary>
    public static IReadOnlyList<Ordering> Orderings { get; } =
    [
        new("largest first", items => items.OrderByDescending(i => i.Size).ThenBy(i => i.First).ThenBy(i => i.Index)),
        new("largest size x duration first", items => items.OrderByDescending(i => i.Size * i.Duration).ThenByDescending(i => i.Size).ThenBy(i => i.Index)),
        new("longest lived first", items => items.OrderByDescending(i => i.Duration).ThenByDescending(i => i.Size).ThenBy(i => i.Index)),
        new("earliest first", items => items.OrderBy(i => i.First).ThenByDescending(i => i.Size).ThenBy(i => i.Index)),
    ];

    /// <summary>Offsets indexed by <see cref="Item.Index"/>, and the arena size they need.</summary>
    public static (long[] Offsets, long ArenaBytes) BestFit(IReadOnlyList<Item> items, IEnumerable<Item> order)
    {
        var offsets = new long[items.Count];
        var placed = new List<Item>();
        long arena = 0;
        foreach (var item in order)
        {
            if (item.Size == 0) continue; // occupies nothing: offset 0, overlaps nothing
            var neighbours = placed
                .Where(p => p.First <= item.Last && item.First <= p.Last)
                .OrderBy(p => offsets[p.Index]).ThenBy(p => p.Index);
            long cursor = 0, bestOffset = -1, bestGap = long.MaxValue;
            foreach (var p in neighbours)
            {
                long start = offsets[p.Index];
                long gap = start - cursor;
                if (gap >= item.Size && gap < bestGap) { bestGap = gap; bestOffset = cursor; }
                cursor = Math.Max(cursor, start + p.Size);
            }
            offsets[item.Index] = bestOffset >= 0 ? bestOffset : cursor;
            arena = Math.Max(arena, offsets[item.Index] + item.Size);
            placed.Add(item);
        }
        return (offsets, arena);
    }

    /// <summary>Tries every ordering and keeps the smallest arena (the earliest ordering among equals).</summary>
    public static (long[] Offsets, long ArenaBytes, string Ordering) Place(IReadOnlyList<Item> items)
    {
        (long[] Offsets, long ArenaBytes, string Ordering)? best = null;
        foreach (var ordering in Orderings)
        {
            var (offsets, arena) = BestFit(items, ordering.Sort(items));
            if (best is null || arena < best.Value.ArenaBytes) best = (offsets, arena, ordering.Name);
        }
        return best ?? ([], 0, Orderings[0].Name);
    }

    /// <summary>
    /// The most bytes live at any one step: a lower bound for any placement of these buffers, since buffers
    /// live at the same step must be disjoint.
    /// </summary>
    public static long PeakLiveBytes(IReadOnlyList<Item> items)
    {
        if (items.Count == 0) return 0;
        // Sweep over steps: +size where a lifetime starts, −size one step after it ends.
        var changes = new SortedDictionary<int, long>();
        foreach (var item in items)
        {
            changes[item.First] = changes.GetValueOrDefault(item.First) + item.Size;
            changes[item.Last + 1] = changes.GetValueOrDefault(item.Last + 1) - item.Size;
        }
        long live = 0, peak = 0;
        foreach (var change in changes.Values) { live += change; peak = Math.Max(peak, live); }
        return peak;
    }
}
