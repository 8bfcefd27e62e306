using Octet.Compiler.Graph;
using Octet.Compiler.Planning;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Planning;

/// <summary>
/// The memory planner on hand-made graphs whose offsets and arena sizes are worked out by hand in the
/// comments (largest first; equal sizes in order of first step; smallest fitting gap, lowest among equals).
/// Steps: graph inputs are written at −1, node k runs at step k, graph outputs are read at step N.
/// </summary>
public sealed class MemoryPlannerTests
{
    private static readonly Tensor Weight = Tensor.Create(new Shape(1), new[] { 1f });
    private static readonly Tensor ShapeConstant = Tensor.Create(new Shape(2), new long[] { 1, 64 });

    private static MemoryPlan PlanAndCheck(ModelGraph graph)
    {
        var plan = MemoryPlanner.Plan(graph);
        Assert.Empty(MemoryPlanCheck.Check(graph, plan));
        return plan;
    }

    private static Dictionary<string, long> Offsets(MemoryPlan plan) => plan.Tensors.ToDictionary(t => t.Name, t => t.Offset);

    [Fact]
    public void A_graph_input_no_node_reads_keeps_its_bytes_for_the_whole_run()
    {
        // Run copies every input into the arena before the first op, and the edge QuantizeLinear steps, scheduled
        // first, write their int8 tensors then too. An input nothing reads (live [-1,-1] if only its reads counted)
        // would share bytes with 'q' [0,1] and overwrite it when Run copies it in after quantizing 'x'.
        var graph = new PlanningGraphBuilder().Input("x", 1, 64).Input("unused", 1, 64)
            .Node("QuantizeLinear", ["x"], "q", ElementType.Int8, [1, 64])
            .Node("Gemm", ["q"], "y", 1, 64)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        var unused = plan.Tensors.Single(t => t.Name == "unused");
        foreach (var other in plan.Tensors.Where(t => t.Name != "unused"))
            Assert.True(unused.Offset + 256 <= other.Offset || other.Offset + other.SizeBytes <= unused.Offset,
                $"'unused' [{unused.Offset}, {unused.Offset + 256}) shares bytes with '{other.Name}' at {other.Offset}");
    }

    [Fact]
    public void Chain_reuses_memory_of_dead_tensors()
    {
        // x 64 B [-1,0], a 1024 B [0,1], b 128 B [1,2], c 2048 B [2,3], y 64 B [3,4].
        // c → 0; a (no overlap with c) → 0; b overlaps a and c → 2048; x's only live neighbour is a at
        // [0,1024), so x goes after it → 1024; y overlaps c → 2048.
        var graph = new PlanningGraphBuilder().Input("x", 1, 16).Constant("w", Weight)
            .Node("Gemm", ["x", "w"], "a", 1, 256)
            .Node("Gemm", ["a", "w"], "b", 1, 32)
            .Node("Gemm", ["b", "w"], "c", 1, 512)
            .Node("Gemm", ["c", "w"], "y", 1, 16)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(new Dictionary<string, long> { ["x"] = 1024, ["a"] = 0, ["b"] = 2048, ["c"] = 0, ["y"] = 2048 }, Offsets(plan));
        Assert.Equal(2176, plan.ArenaBytes);
        Assert.Equal(2176, plan.LowerBoundBytes); // step 2: b + c = 128 + 2048
        Assert.Equal(64 + 1024 + 128 + 2048 + 64, plan.NaiveBytes);
        Assert.DoesNotContain(plan.Tensors, t => t.Name == "w");
        Assert.Equal([(-1, 0), (0, 1), (1, 2), (2, 3), (3, 4)], plan.Tensors.Select(t => (t.FirstStep, t.LastStep)));
    }

    [Fact]
    public void Diamond_keeps_the_shared_input_alive_until_both_branches_have_read_it()
    {
        // x 256 [-1,0], a 512 [0,2], b 256 [1,3], c 1024 [2,3], y 256 [3,4].
        // c → 0; a overlaps c → 1024; x overlaps a → gap [0,1024) → 0; b overlaps c, a → 1536;
        // y overlaps c [0,1024) and b [1536,1792) → gap [1024,1536) → 1024.
        var graph = new PlanningGraphBuilder().Input("x", 1, 64)
            .Node("Gemm", ["x"], "a", 1, 128)
            .Node("Gemm", ["a"], "b", 1, 64)
            .Node("Gemm", ["a"], "c", 1, 256)
            .Node("Gemm", ["b", "c"], "y", 1, 64)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(new Dictionary<string, long> { ["x"] = 0, ["a"] = 1024, ["b"] = 1536, ["c"] = 0, ["y"] = 1024 }, Offsets(plan));
        Assert.Equal((0, 2), (plan.Tensor("a").FirstStep, plan.Tensor("a").LastStep));
        Assert.Equal(1792, plan.ArenaBytes);
        Assert.Equal(1792, plan.LowerBoundBytes); // step 2: a + b + c
        Assert.Equal(2304, plan.NaiveBytes);
    }

    [Fact]
    public void Reshape_output_is_a_view_of_its_input()
    {
        // x 256 [-1,0]; {a, r} one buffer 256 [0,2]; y 256 [2,3]. x → 0, {a, r} → 256, y → 0.
        var graph = new PlanningGraphBuilder().Input("x", 1, 4, 4, 4).Constant("shape", ShapeConstant)
            .Node("Exp", ["x"], "a", 1, 4, 4, 4)
            .Node("Reshape", ["a", "shape"], "r", 1, 64)
            .Node("Exp", ["r"], "y", 1, 64)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(new Dictionary<string, long> { ["x"] = 0, ["a"] = 256, ["r"] = 256, ["y"] = 0 }, Offsets(plan));
        Assert.Equal([new TensorAlias("r", AliasKind.View, "a")], plan.Aliases);
        Assert.Equal(plan.Tensor("a").Buffer, plan.Tensor("r").Buffer);
        Assert.Equal(512, plan.ArenaBytes);
        Assert.Equal(512, plan.LowerBoundBytes);
        Assert.Equal(1024, plan.NaiveBytes);
    }

    [Fact]
    public void Views_of_graph_inputs_and_chains_of_views_share_one_buffer()
    {
        var graph = new PlanningGraphBuilder().Input("x", 1, 64).Constant("shape", ShapeConstant)
            .Node("Flatten", ["x"], "f", 1, 64)
            .Node("Unsqueeze", ["f", "shape"], "u", 1, 1, 64)
            .Node("Identity", ["u"], "i", 1, 1, 64)
            .Node("Squeeze", ["i", "shape"], "y", 1, 64)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Single(plan.Buffers);
        Assert.All(plan.Tensors, t => Assert.Equal(0, t.Offset));
        Assert.Equal(256, plan.ArenaBytes);
        Assert.Equal(["f View of x", "u View of f", "i View of u", "y View of i"], plan.Aliases.Select(a => a.ToString()));
    }

    [Fact]
    public void Relu_writes_in_place_over_an_input_that_dies_there()
    {
        // Like the view case: {a, b} share 256 bytes live [0,2].
        var graph = new PlanningGraphBuilder().Input("x", 1, 64)
            .Node("Exp", ["x"], "a", 1, 64)
            .Node("Relu", ["a"], "b", 1, 64)
            .Node("Exp", ["b"], "y", 1, 64)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(new Dictionary<string, long> { ["x"] = 0, ["a"] = 256, ["b"] = 256, ["y"] = 0 }, Offsets(plan));
        Assert.Equal([new TensorAlias("b", AliasKind.InPlace, "a")], plan.Aliases);
        Assert.Equal(512, plan.ArenaBytes);
    }

    [Fact]
    public void In_place_only_where_safe()
    {
        var scale = Tensor.Scalar(0.5f);
        var graph = new PlanningGraphBuilder().Input("x", 1, 64).Constant("scale", scale)
            .Node("Relu", ["x"], "r0", 1, 64)              // 0: x is a graph input: not overwritten
            .Node("Exp", ["r0"], "a", 1, 64)               // 1
            .Node("Relu", ["a"], "b", 1, 64)               // 2: a is read again at 3: not overwritten
            .Node("Add", ["a", "b"], "c", 1, 64)           // 3: a dies here → c over a
            .Node("ReduceMean", ["c"], "s", 1, 1)          // 4
            .Node("Add", ["s", "c"], "d", 1, 64)           // 5: s is broadcast (1 element) → d over c
            .Node("QuantizeLinear", ["d", "scale"], "q", ElementType.Int8, [1, 64]) // 6: 4 → 1 byte elements: own buffer
            .Node("Cast", ["q"], "f", ElementType.UInt8, [1, 64])                   // 7: int8 → uint8 → f over q
            .Node("Mul", ["f", "f"], "y", ElementType.UInt8, [1, 64])               // 8: both inputs are f → y over f
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(["c InPlace of a", "d InPlace of c", "f InPlace of q", "y InPlace of f"], plan.Aliases.Select(a => a.ToString()));
        Assert.NotEqual(plan.Tensor("x").Buffer, plan.Tensor("r0").Buffer);
        Assert.NotEqual(plan.Tensor("a").Buffer, plan.Tensor("b").Buffer);
        Assert.NotEqual(plan.Tensor("d").Buffer, plan.Tensor("q").Buffer);
    }

    [Fact]
    public void In_place_refused_when_another_input_shares_the_buffer()
    {
        // v is a view of a: overwriting a (or v) while reading the other is only safe element by element if
        // both index alike; the planner does not rely on that.
        var graph = new PlanningGraphBuilder().Input("x", 1, 64).Constant("shape", Tensor.Create(new Shape(1), new long[] { 64 }))
            .Node("Exp", ["x"], "a", 1, 64)
            .Node("Reshape", ["a", "shape"], "v", 64)
            .Node("Add", ["a", "v"], "y", 1, 64)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(["v View of a"], plan.Aliases.Select(a => a.ToString()));
        Assert.NotEqual(plan.Tensor("a").Buffer, plan.Tensor("y").Buffer);
    }

    [Fact]
    public void Integer_element_wise_ops_write_in_place()
    {
        var table = new Dictionary<string, Attribute>
        {
            ["table"] = new("table", AttributeKind.Ints, Enumerable.Range(-128, 256).Select(v => (long)v).ToArray()),
            ["y_type"] = new("y_type", AttributeKind.Int, 3L),
        };
        var graph = new PlanningGraphBuilder().Input("x", ElementType.Int8, 1, 128)
            .Node("QConv", ["x"], "a", ElementType.Int8, [1, 128], domain: "octet")
            .Node("Table", ["a"], "b", ElementType.Int8, [1, 128], domain: "octet", attributes: table)
            .Node("QConv", ["x"], "c", ElementType.Int8, [1, 128], domain: "octet")
            .Node("QAdd", ["b", "c"], "d", ElementType.Int8, [1, 128], domain: "octet")
            .Node("Requantize", ["d"], "y", ElementType.Int8, [1, 128], domain: "octet")
            .Node("QConv", ["y"], "z", ElementType.Int8, [1, 128], domain: "octet")
            .Output("z").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(["b InPlace of a", "d InPlace of b", "y InPlace of d"], plan.Aliases.Select(a => a.ToString()));
        // Buffers: x 128 [-1,2], {a,b,d,y} 128 [0,5], c 128 [2,3], z 128 [5,6].
        // Equal sizes in order of first step: x → 0, {a..y} → 128, c → 256, z → 0.
        Assert.Equal(new Dictionary<string, long> { ["x"] = 0, ["a"] = 128, ["b"] = 128, ["c"] = 256, ["d"] = 128, ["y"] = 128, ["z"] = 0 }, Offsets(plan));
        Assert.Equal(384, plan.ArenaBytes);
        Assert.Equal(384, plan.LowerBoundBytes);
    }

    [Fact]
    public void Concat_inputs_are_written_into_their_slices()
    {
        // a 12 B at slice 0, b 128 B at slice 12: {c, a, b} one buffer of 140 → 192 B, live [0,3].
        // x 64 [-1,1], y 140 → 192 [3,4]. {c,a,b} (first step 0) → 0; y → 192; x overlaps {c,a,b} only → 192.
        var graph = new PlanningGraphBuilder().Input("x", 1, 16)
            .Node("Gemm", ["x"], "a", 1, 3)
            .Node("Gemm", ["x"], "b", 1, 32)
            .Concat(["a", "b"], "c", 1, 1, 35)
            .Node("Exp", ["c"], "y", 1, 35)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(new Dictionary<string, long> { ["x"] = 192, ["a"] = 0, ["b"] = 12, ["c"] = 0, ["y"] = 192 }, Offsets(plan));
        Assert.Equal(["a ConcatSlice of c", "b ConcatSlice of c"], plan.Aliases.Select(a => a.ToString()));
        Assert.Equal(384, plan.ArenaBytes);
        Assert.Equal(384, plan.LowerBoundBytes); // step 3: {c,a,b} + y
        Assert.Equal(64 + 12 + 128 + 140 + 140, plan.NaiveBytes);
        var buffer = plan.Buffers[plan.Tensor("c").Buffer];
        Assert.Equal((0, 3, 192L), (buffer.FirstStep, buffer.LastStep, buffer.SizeBytes));
    }

    [Fact]
    public void Nested_concat_moves_the_inner_concat_with_its_slices()
    {
        var graph = new PlanningGraphBuilder().Input("x", 1, 16)
            .Node("Exp", ["x"], "a", 1, 16)
            .Node("Exp", ["x"], "b", 2, 16)
            .Concat(["a", "b"], "c1", 0, 3, 16)
            .Node("Exp", ["x"], "d", 1, 16)
            .Concat(["c1", "d"], "c2", -2, 4, 16)
            .Node("Exp", ["c2"], "y", 4, 16)
            .Output("y").Build();
        var plan = PlanAndCheck(graph);

        long c2 = plan.Tensor("c2").Offset;
        Assert.Equal((c2, c2 + 64, c2, c2 + 192), (plan.Tensor("a").Offset, plan.Tensor("b").Offset, plan.Tensor("c1").Offset, plan.Tensor("d").Offset));
        Assert.Equal(["a ConcatSlice of c1", "b ConcatSlice of c1", "c1 ConcatSlice of c2", "d ConcatSlice of c2"],
            plan.Aliases.Select(a => a.ToString()));
    }

    [Fact]
    public void Concat_keeps_interleaved_repeated_and_graph_input_slices_apart()
    {
        var graph = new PlanningGraphBuilder().Input("x", 2, 8)
            .Node("Exp", ["x"], "a", 2, 8)
            .Node("Exp", ["x"], "b", 2, 4)
            .Concat(["a", "b"], "interleaved", 1, 2, 12)   // rows of a and b alternate: no slices
            .Node("Exp", ["x"], "e", 2, 8)
            .Concat(["e", "e"], "twice", 0, 4, 8)           // one tensor cannot sit in two slices
            .Node("Exp", ["x"], "g", 2, 8)
            .Concat(["x", "g"], "withInput", 0, 4, 8)       // x stays where the caller copies it
            .Node("Exp", ["interleaved"], "y1", 2, 12)
            .Node("Exp", ["twice"], "y2", 4, 8)
            .Node("Exp", ["withInput"], "y3", 4, 8)
            .Output("y1", "y2", "y3").Build();
        var plan = PlanAndCheck(graph);

        Assert.Equal(["g ConcatSlice of withInput"], plan.Aliases.Select(a => a.ToString()));
        Assert.Equal(plan.Tensor("withInput").Offset + 64, plan.Tensor("g").Offset);
    }

    [Fact]
    public void Best_fit_takes_the_smallest_gap_that_fits()
    {
        // Placed in this order: A [0,192) and the short C [256,320) at step 0, long-lived K1 [192,256) and
        // K2 [320,384). At step 5 only K1 and K2 are live: gaps [0,192) (192 B) and [256,320) (64 B).
        // D (64 B) takes the 64-byte gap; E (128 B) fits only the first.
        ArenaPlacement.Item[] items =
        [
            new(0, 192, 0, 0), new(1, 64, 0, 9), new(2, 64, 0, 0), new(3, 64, 0, 9), new(4, 64, 5, 5), new(5, 128, 5, 5),
        ];
        var (offsets, arena) = ArenaPlacement.BestFit(items, items);
        Assert.Equal([0L, 192, 256, 320, 256, 0], offsets);
        Assert.Equal(384, arena);
        Assert.Equal(384, ArenaPlacement.PeakLiveBytes(items));
    }

    [Fact]
    public void Without_aliasing_every_tensor_has_its_own_buffer()
    {
        var graph = new PlanningGraphBuilder().Input("x", 1, 64)
            .Node("Exp", ["x"], "a", 1, 64)
            .Node("Relu", ["a"], "b", 1, 64)
            .Node("Exp", ["b"], "y", 1, 64)
            .Output("y").Build();
        var plan = MemoryPlanner.Plan(graph, aliasing: false);
        Assert.Empty(MemoryPlanCheck.Check(graph, plan));
        Assert.Empty(plan.Aliases);
        Assert.Equal(4, plan.Buffers.Count);
        Assert.Equal(512, plan.ArenaBytes); // two tensors live at each step
    }

    [Fact]
    public void Checker_reports_overlaps_misalignment_and_short_lifetimes()
    {
        var graph = new PlanningGraphBuilder().Input("x", 1, 4, 4, 4).Constant("shape", ShapeConstant)
            .Node("Exp", ["x"], "a", 1, 4, 4, 4)
            .Node("Reshape", ["a", "shape"], "r", 1, 64)
            .Node("Exp", ["r"], "y", 1, 64)
            .Output("y").Build();
        var plan = MemoryPlanner.Plan(graph);
        List<PlannedTensor> With(string name, Func<PlannedTensor, PlannedTensor> change) =>
            plan.Tensors.Select(t => t.Name == name ? change(t) : t).ToList();

        var overlapping = plan with { Tensors = With("y", t => t with { Offset = 256 }) };
        Assert.Contains(MemoryPlanCheck.Check(graph, overlapping), p => p.Contains("'r'") && p.Contains("'y'") && p.Contains("not aliases"));

        var shortLived = plan with { Tensors = With("a", t => t with { LastStep = 0 }) };
        Assert.Contains(MemoryPlanCheck.Check(graph, shortLived), p => p.Contains("'a' is planned live 0..0"));

        var misaligned = plan with { Buffers = plan.Buffers.Select(b => b with { Offset = b.Offset + 32 }).ToList() };
        Assert.Contains(MemoryPlanCheck.Check(graph, misaligned), p => p.Contains("not 64-byte aligned"));

        var outside = plan with { ArenaBytes = 256 };
        Assert.Contains(MemoryPlanCheck.Check(graph, outside), p => p.Contains("outside the 256-byte arena"));

        var bogusAlias = plan with { Aliases = [new TensorAlias("y", AliasKind.InPlace, "r")] };
        Assert.Contains(MemoryPlanCheck.Check(graph, bogusAlias), p => p.Contains("does not allow it"));
    }

    [Fact]
    public void Same_graph_gives_the_same_plan()
    {
        ModelGraph Build() => new PlanningGraphBuilder().Input("x", 1, 64)
            .Node("Gemm", ["x"], "a", 1, 128).Node("Gemm", ["a"], "b", 1, 64).Node("Gemm", ["a"], "c", 1, 64)
            .Node("Gemm", ["a"], "d", 1, 64).Node("Add", ["b", "c"], "e", 1, 64).Node("Add", ["e", "d"], "y", 1, 64)
            .Output("y").Build();
        var (first, second) = (MemoryPlanner.Plan(Build()), MemoryPlanner.Plan(Build()));
        Assert.Equal(first.Tensors, second.Tensors);
        Assert.Equal(first.Aliases, second.Aliases);
        Assert.Equal(first.Buffers.Select(b => (b.Offset, b.SizeBytes, string.Join(",", b.Tensors))),
            second.Buffers.Select(b => (b.Offset, b.SizeBytes, string.Join(",", b.Tensors))));
        Assert.Equal((first.ArenaBytes, first.LowerBoundBytes, first.NaiveBytes, first.Placement),
            (second.ArenaBytes, second.LowerBoundBytes, second.NaiveBytes, second.Placement));
    }
}
