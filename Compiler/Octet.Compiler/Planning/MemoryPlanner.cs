using Octet.Compiler.Graph;

namespace Octet.Compiler.Planning;

/// <summary>
/// The static memory planner: lifetimes from the node order, buffers from aliasing where an op allows it
/// (views, element-wise in place, Concat inputs written into their slice), then one arena with offsets by
/// greedy best-fit. Deterministic: the same graph always gives the same plan.
/// </summary>
public static class MemoryPlanner
{
    /// <param name="graph">A shape-inferred graph whose nodes are in execution order.</param>
    /// <param name="aliasing">False gives every tensor its own buffer (for comparison and for generators that cannot alias).</param>
    /// <param name="channelsLastTensors">
    /// Tensors stored NHWC (code generation's layout). A Concat writing one of them is never given its inputs as
    /// slices: along the logical channel axis, NHWC slices interleave, and the emitter copies every input anyway.
    /// </param>
    public static MemoryPlan Plan(ModelGraph graph, bool aliasing = true, IReadOnlySet<string>? channelsLastTensors = null)
    {
        var lifetimes = TensorLifetimes.Compute(graph);
        var grouping = BufferAliasing.Build(graph, lifetimes, aliasing, channelsLastTensors);
        var buffers = grouping.Buffers.OrderBy(b => b.First).ThenBy(b => b.Id).ToList();
        var items = buffers.Select((b, i) => new ArenaPlacement.Item(i, MemoryPlan.AlignUp(b.Extent), b.First, b.Last)).ToList();
        var (offsets, arena, ordering) = ArenaPlacement.Place(items);

        var indexOf = buffers.Select((b, i) => (b, i)).ToDictionary(p => p.b, p => p.i);
        var tensors = lifetimes.Order.Select(name =>
        {
            var (buffer, offset) = grouping.Where(name);
            int index = indexOf[buffer];
            var lifetime = lifetimes[name];
            return new PlannedTensor(name, offsets[index] + offset, TensorLifetimes.SizeInBytes(graph.Tensor(name)),
                lifetime.First, lifetime.Last, index);
        }).ToList();
        var planned = buffers.Select((b, i) =>
            new PlannedBuffer(i, offsets[i], items[i].Size, b.First, b.Last, b.Members.ToList())).ToList();
        long naive = tensors.Sum(t => t.SizeBytes);
        return new MemoryPlan(arena, ArenaPlacement.PeakLiveBytes(items), naive, graph.Nodes.Count, ordering,
            tensors, planned, grouping.Aliases.ToList());
    }
}
