using Octet.Compiler.Graph;

namespace Octet.Compiler.Planning;

/// <summary>
/// Verifies a memory plan against its graph without trusting the planner's reasoning: it recomputes what
/// each tensor needs from the nodes themselves and lists every problem found (empty = the plan is sound).
/// <list type="bullet">
/// <item>every non-constant tensor is planned once, with its true byte size and a lifetime covering its
/// write and all its reads (graph inputs from step −1, graph outputs to the end);</item>
/// <item>every tensor lies inside the arena, every buffer starts at an aligned offset and contains its tensors;</item>
/// <item>each alias has the geometry its kind implies (view and in-place: the same offset; concat slice: the
/// input's slice of the output) and is allowed by the op that makes it; an in-place input dies at that op;</item>
/// <item>two tensors whose lifetimes and bytes overlap are deliberate aliases: both read the same bytes
/// (linked by views and concat slices), or one was written in place over the other, same bytes, at the one
/// step they share.</item>
/// </list>
/// </summary>
public static class MemoryPlanCheck
{
    public static IReadOnlyList<string> Check(ModelGraph graph, MemoryPlan plan)
    {
        var problems = new List<string>();
        var byName = new Dictionary<string, PlannedTensor>(StringComparer.Ordinal);
        foreach (var tensor in plan.Tensors)
            if (!byName.TryAdd(tensor.Name, tensor)) problems.Add($"'{tensor.Name}' is planned twice");

        CheckCoverage(graph, plan, byName, problems);
        CheckPlacement(plan, byName, problems);
        var producers = ProducerSteps(graph);
        CheckAliases(graph, plan, byName, producers, problems);
        CheckOverlaps(plan, byName, problems);
        return problems;
    }

    private static Dictionary<string, int> ProducerSteps(ModelGraph graph)
    {
        var steps = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int step = 0; step < graph.Nodes.Count; step++)
            foreach (var output in graph.Nodes[step].Outputs)
                if (output.Length > 0) steps.TryAdd(output, step);
        return steps;
    }

    private static void CheckCoverage(ModelGraph graph, MemoryPlan plan, Dictionary<string, PlannedTensor> byName, List<string> problems)
    {
        var needed = new Dictionary<string, (int Write, int LastRead)>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
            if (!graph.Tensor(input).IsConstant) needed[input] = (-1, -1);
        for (int step = 0; step < graph.Nodes.Count; step++)
        {
            var node = graph.Nodes[step];
            foreach (var input in node.Inputs)
                if (input.Length > 0 && needed.TryGetValue(input, out var n)) needed[input] = (n.Write, step);
            foreach (var output in node.Outputs)
                if (output.Length > 0 && !graph.Tensor(output).IsConstant && !needed.ContainsKey(output)) needed[output] = (step, step);
        }
        foreach (var output in graph.Outputs)
            if (needed.TryGetValue(output, out var n)) needed[output] = (n.Write, graph.Nodes.Count);

        foreach (var (name, (write, lastRead)) in needed)
        {
            if (!byName.TryGetValue(name, out var planned)) { problems.Add($"'{name}' is not planned"); continue; }
            var info = graph.Tensor(name);
            long bytes = info.Shape.ElementCount * info.ElementType.SizeInBytes();
            if (planned.SizeBytes != bytes) problems.Add($"'{name}' is planned with {planned.SizeBytes} bytes; it has {bytes}");
            if (planned.FirstStep > write || planned.LastStep < Math.Max(write, lastRead))
                problems.Add($"'{name}' is planned live {planned.FirstStep}..{planned.LastStep}; it is written at {write} and last read at {lastRead}");
        }
        foreach (var name in byName.Keys)
            if (!needed.ContainsKey(name)) problems.Add($"'{name}' is planned but is no graph input or node output, or is a constant");
    }

    private static void CheckPlacement(MemoryPlan plan, Dictionary<string, PlannedTensor> byName, List<string> problems)
    {
        foreach (var tensor in plan.Tensors)
        {
            if (tensor.Offset < 0 || tensor.Offset + tensor.SizeBytes > plan.ArenaBytes)
                problems.Add($"'{tensor.Name}' at [{tensor.Offset}, {tensor.Offset + tensor.SizeBytes}) is outside the {plan.ArenaBytes}-byte arena");
            if (tensor.Buffer < 0 || tensor.Buffer >= plan.Buffers.Count)
                problems.Add($"'{tensor.Name}' names buffer {tensor.Buffer}, which does not exist");
        }
        if (plan.ArenaBytes % MemoryPlan.Alignment != 0) problems.Add($"arena size {plan.ArenaBytes} is not a multiple of {MemoryPlan.Alignment}");
        foreach (var buffer in plan.Buffers)
        {
            if (buffer.Offset % MemoryPlan.Alignment != 0) problems.Add($"buffer {buffer.Index} at {buffer.Offset} is not {MemoryPlan.Alignment}-byte aligned");
            if (buffer.Offset < 0 || buffer.Offset + buffer.SizeBytes > plan.ArenaBytes) problems.Add($"buffer {buffer.Index} is outside the arena");
            foreach (var name in buffer.Tensors)
            {
                if (!byName.TryGetValue(name, out var t)) { problems.Add($"buffer {buffer.Index} lists unknown tensor '{name}'"); continue; }
                if (t.Buffer != buffer.Index) problems.Add($"buffer {buffer.Index} lists '{name}', which names buffer {t.Buffer}");
                if (t.Offset < buffer.Offset || t.Offset + t.SizeBytes > buffer.Offset + buffer.SizeBytes)
                    problems.Add($"'{name}' is not inside its buffer {buffer.Index}");
                if (t.FirstStep < buffer.FirstStep || t.LastStep > buffer.LastStep)
                    problems.Add($"'{name}' outlives its buffer {buffer.Index}");
            }
        }
    }

    private static void CheckAliases(ModelGraph graph, MemoryPlan plan, Dictionary<string, PlannedTensor> byName,
        Dictionary<string, int> producers, List<string> problems)
    {
        var graphEdges = new HashSet<string>(graph.Inputs.Concat(graph.Outputs), StringComparer.Ordinal);
        foreach (var alias in plan.Aliases)
        {
            if (!byName.TryGetValue(alias.Tensor, out var tensor) || !byName.TryGetValue(alias.Of, out var of))
            {
                problems.Add($"alias '{alias}' names an unplanned tensor");
                continue;
            }
            if (tensor.Buffer != of.Buffer) problems.Add($"alias '{alias}' joins tensors of different buffers");
            switch (alias.Kind)
            {
                case AliasKind.View:
                case AliasKind.InPlace:
                {
                    var node = producers.TryGetValue(alias.Tensor, out int step) ? graph.Nodes[step] : null;
                    bool allowed = node is not null && (alias.Kind == AliasKind.View
                        ? AliasRules.IsView(node) && node.Inputs[0] == alias.Of
                        : AliasRules.InPlaceInputs(node).Any(i => node.HasInput(i) && node.Inputs[i] == alias.Of));
                    if (!allowed) problems.Add($"alias '{alias}': the node writing '{alias.Tensor}' does not allow it");
                    if (tensor.Offset != of.Offset || tensor.SizeBytes != of.SizeBytes)
                        problems.Add($"alias '{alias}': not at the same offset and size");
                    if (alias.Kind == AliasKind.InPlace)
                    {
                        if (of.LastStep != tensor.FirstStep) problems.Add($"alias '{alias}': '{alias.Of}' is read after being overwritten (last read {of.LastStep}, overwritten at {tensor.FirstStep})");
                        if (graphEdges.Contains(alias.Of)) problems.Add($"alias '{alias}': overwrites a graph input or output");
                        var a = graph.Tensor(alias.Tensor); var b = graph.Tensor(alias.Of);
                        if (a.Shape.ElementCount != b.Shape.ElementCount) problems.Add($"alias '{alias}': element counts differ");
                    }
                    break;
                }
                case AliasKind.ConcatSlice:
                {
                    var node = producers.TryGetValue(alias.Of, out int step) ? graph.Nodes[step] : null;
                    if (node is null || !AliasRules.IsContiguousConcat(node, graph) || node.Inputs.Count(i => i == alias.Tensor) != 1)
                    {
                        problems.Add($"alias '{alias}': '{alias.Of}' is not a contiguous Concat of '{alias.Tensor}'");
                        break;
                    }
                    long slice = 0;
                    foreach (var input in node.Inputs)
                    {
                        if (input == alias.Tensor) break;
                        if (input.Length > 0) { var info = graph.Tensor(input); slice += info.Shape.ElementCount * info.ElementType.SizeInBytes(); }
                    }
                    if (tensor.Offset != of.Offset + slice)
                        problems.Add($"alias '{alias}': at {tensor.Offset}, but its slice of '{alias.Of}' starts at {of.Offset + slice}");
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Pairs overlapping in bytes and in lifetime. Allowed: tensors linked by views and concat slices (they are
    /// the same bytes read under different names, and none of them is written after it is created), and an
    /// in-place output with the tensors it overwrote, when they share only the step of the in-place op.
    /// </summary>
    private static void CheckOverlaps(MemoryPlan plan, Dictionary<string, PlannedTensor> byName, List<string> problems)
    {
        var sharing = new UnionFind(plan.Tensors.Select(t => t.Name));
        var anyAlias = new UnionFind(plan.Tensors.Select(t => t.Name));
        var writtenInPlace = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alias in plan.Aliases)
        {
            if (!byName.ContainsKey(alias.Tensor) || !byName.ContainsKey(alias.Of)) continue;
            anyAlias.Union(alias.Tensor, alias.Of);
            if (alias.Kind == AliasKind.InPlace) writtenInPlace.Add(alias.Tensor);
            else sharing.Union(alias.Tensor, alias.Of);
        }
        var sorted = plan.Tensors.Where(t => t.SizeBytes > 0).OrderBy(t => t.Offset).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            var a = sorted[i];
            for (int j = i + 1; j < sorted.Count && sorted[j].Offset < a.Offset + a.SizeBytes; j++)
            {
                var b = sorted[j];
                if (a.FirstStep > b.LastStep || b.FirstStep > a.LastStep) continue;
                if (sharing.Find(a.Name) == sharing.Find(b.Name)) continue;
                bool inPlaceHandover = anyAlias.Find(a.Name) == anyAlias.Find(b.Name) &&
                    (IsHandover(older: a, newer: b, writtenInPlace) || IsHandover(older: b, newer: a, writtenInPlace));
                if (!inPlaceHandover)
                    problems.Add($"'{a.Name}' [{a.Offset}, {a.Offset + a.SizeBytes}) steps {a.FirstStep}..{a.LastStep} and " +
                        $"'{b.Name}' [{b.Offset}, {b.Offset + b.SizeBytes}) steps {b.FirstStep}..{b.LastStep} overlap and are not aliases");
            }
        }
    }

    /// <summary>
    /// The newer tensor was written in place at the older one's last step, and the older one (read by that
    /// op) occupies exactly the overwritten bytes: element i is read before element i is written. A tensor
    /// that is only part of those bytes, or more, could be read where the op has already written.
    /// </summary>
    private static bool IsHandover(PlannedTensor older, PlannedTensor newer, HashSet<string> writtenInPlace) =>
        writtenInPlace.Contains(newer.Name) && older.LastStep == newer.FirstStep &&
        older.Offset == newer.Offset && older.SizeBytes == newer.SizeBytes;

    private sealed class UnionFind
    {
        private readonly Dictionary<string, string> _parent = new(StringComparer.Ordinal);
        public UnionFind(IEnumerable<string> names) { foreach (var n in names) _parent[n] = n; }
        public string Find(string name)
        {
            var root = name;
            while (_parent[root] != root) root = _parent[root];
            while (_parent[name] != root) (name, _parent[name]) = (_parent[name], root);
            return root;
        }
        public void Union(string a, string b)
        {
            var (ra, rb) = (Find(a), Find(b));
            if (ra != rb) _parent[string.CompareOrdinal(ra, rb) < 0 ? rb : ra] = string.CompareOrdinal(ra, rb) < 0 ? ra : rb;
        }
    }
}
