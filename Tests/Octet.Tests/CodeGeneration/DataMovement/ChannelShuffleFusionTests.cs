using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Operators.Layout;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.DataMovement;

/// <summary>
/// <see cref="ChannelShuffleFusion"/> and how <see cref="LayoutAssignment"/> lays the fused op out: ShuffleNet's
/// shuffles become octet.ChannelShuffle kept NHWC (no relayout around them), the graph computes exactly what it
/// did, and Reshape/Transpose chains that are not a channel shuffle are left alone.
/// </summary>
public sealed class ChannelShuffleFusionTests
{
    private readonly ITestOutputHelper _output;
    public ChannelShuffleFusionTests(ITestOutputHelper output) => _output = output;

    private static bool IsShuffleTranspose(Node node) =>
        node.OpType == "Transpose" && node.GetInts("perm") is [0, 2, 1, 3, 4];

    private static int Count(ModelGraph graph, string opType) => graph.Nodes.Count(n => n.OpType == opType);

    /// <summary>The graph ModelCompiler lays out for shufflenet-v2-int8 (integer-only), and its edge steps.</summary>
    private static (ModelGraph Graph, HashSet<Node> Pinned, ModelGraph Loaded) ShuffleNet()
    {
        var loaded = OnnxModelLoader.Load(TestData.Model("shufflenet-v2-int8"));
        var working = GraphPreparation.Prepare(loaded, config: null, numerics: null).Graph.Clone();
        GraphRewrites.Run(working);
        return (working, new HashSet<Node>(EdgeQuantization.Find(working).Nodes), loaded);
    }

    [Fact]
    public void ShuffleNet_shuffles_become_ChannelShuffle_ops_that_stay_NHWC()
    {
        var (graph, pinned, _) = ShuffleNet();
        int shuffles = graph.Nodes.Count(IsShuffleTranspose);
        Assert.True(shuffles > 0, "shufflenet should contain channel shuffles");

        var unfused = LayoutAssignment.Run(graph, pinned, fuseChannelShuffles: false);
        var fused = LayoutAssignment.Run(graph, pinned, fuseChannelShuffles: true);
        int before = Count(unfused.Graph, "Relayout"), after = Count(fused.Graph, "Relayout");
        _output.WriteLine($"{shuffles} shuffles; Relayout ops {before} without the fusion, {after} with it");

        Assert.Equal(shuffles, Count(fused.Graph, ChannelShuffle.Name));
        // Every Concat feeds a shuffle and every Split reads one in ShuffleNet: all of them are folded in.
        Assert.Equal(0, Count(fused.Graph, "Transpose"));
        Assert.Equal(0, Count(fused.Graph, "Concat"));
        Assert.Equal(0, Count(fused.Graph, "Split"));
        foreach (var shuffle in fused.Graph.Nodes.Where(n => n.OpType == ChannelShuffle.Name))
        {
            Assert.All(shuffle.Inputs.Concat(shuffle.Outputs), t => Assert.Equal(Relayout.Nhwc, fused.LayoutOf(t)));
            // Nothing converts what a shuffle reads or writes.
            foreach (var relayout in fused.Graph.Nodes.Where(n => n.OpType == "Relayout"))
            {
                Assert.DoesNotContain(relayout.Outputs[0], shuffle.Inputs);
                Assert.DoesNotContain(relayout.Inputs[0], shuffle.Outputs);
            }
        }
        // Without the fusion each shuffle costs at least a relayout to row-major and one back.
        Assert.True(after <= before - 2 * shuffles, $"{after} relayouts remain of {before}");
    }

    [Fact]
    public void ShuffleNet_fused_graph_computes_exactly_what_the_unfused_graph_computes()
    {
        var (graph, pinned, loaded) = ShuffleNet();
        var inputs = InputSets.FromFolder(Path.Combine(TestData.ModelFolder("shufflenet-v2-int8"), "test_data_set_0"), loaded);
        var unfused = new ReferenceExecutor(LayoutAssignment.Run(graph, pinned, fuseChannelShuffles: false).Graph).Run(inputs);
        var fused = new ReferenceExecutor(LayoutAssignment.Run(graph, pinned, fuseChannelShuffles: true).Graph).Run(inputs);
        foreach (var name in graph.Outputs)
            Assert.Equal(unfused[name].ToFloatArray(), fused[name].ToFloatArray());
    }

    public static IEnumerable<object[]> NotShuffles() =>
    [
        // The grouped tensor's last two axes swapped instead: rows and columns change places.
        [new ShuffleCase("perm (0,1,2,4,3)", Perm: [0, 1, 2, 4, 3])],
        // Channels regrouped together with rows: [1, 2, 6·3, 1, 5] moves rows between channels.
        [new ShuffleCase("channels mixed with rows", Grouped: [1, 2, 18, 1, 5])],
        // The grouped or transposed tensor is also read elsewhere (a graph output): the chain must stay.
        [new ShuffleCase("grouped is an output", ExtraOutput: "grouped")],
        [new ShuffleCase("transposed is an output", ExtraOutput: "transposed")],
    ];

    public sealed record ShuffleCase(string Label, long[]? Perm = null, long[]? Grouped = null, string? ExtraOutput = null)
    {
        public override string ToString() => Label;
    }

    [Theory]
    [MemberData(nameof(NotShuffles))]
    public void Reshape_Transpose_chains_that_are_not_a_channel_shuffle_are_left_alone(ShuffleCase shuffleCase)
    {
        using var folder = new TempFolder();
        var path = ShuffleModels.Build([6, 6], groups: 2, split: [6, 6], perm: shuffleCase.Perm, grouped: shuffleCase.Grouped, extraOutput: shuffleCase.ExtraOutput)
            .Save(folder.Path);
        var graph = OnnxModelLoader.Load(path);
        var nodes = graph.Nodes.ToList();
        Assert.Equal(0, ChannelShuffleFusion.Run(graph));
        Assert.Equal(nodes, graph.Nodes);
    }

    [Fact]
    public void A_Concat_read_elsewhere_stays_and_the_shuffle_reads_its_output()
    {
        using var folder = new TempFolder();
        var path = ShuffleModels.Build([6, 6], groups: 2, split: [6, 6], extraOutput: "concatenated").Save(folder.Path);
        var graph = OnnxModelLoader.Load(path);
        var inputs = ShuffleModels.Inputs();
        var expected = new ReferenceExecutor(graph).Run(inputs);

        Assert.Equal(1, ChannelShuffleFusion.Run(graph));
        var shuffle = Assert.Single(graph.Nodes, n => n.OpType == ChannelShuffle.Name);
        Assert.Equal(IntegerOperator.OctetDomain, shuffle.Domain);
        Assert.Equal(["concatenated"], shuffle.Inputs);
        Assert.Equal(["part0", "part1"], shuffle.Outputs);
        Assert.Equal(1, Count(graph, "Concat"));
        Assert.Equal(0, Count(graph, "Reshape") + Count(graph, "Transpose") + Count(graph, "Split"));

        var actual = new ReferenceExecutor(graph).Run(inputs);
        foreach (var name in graph.Outputs) Assert.Equal(expected[name].ToFloatArray(), actual[name].ToFloatArray());
    }

    public static IEnumerable<object[]> Shuffles() =>
    [
        [new[] { 6, 6 }, 2, new[] { 6, 6 }],
        [new[] { 4, 8 }, 3, new[] { 5, 7 }],
        [new[] { 5, 3, 4 }, 4, null!],
        [Array.Empty<int>(), 2, new[] { 1, 3 }],
    ];

    [Theory]
    [MemberData(nameof(Shuffles))]
    public void Fusion_keeps_the_reference_results_exactly(int[] branches, int groups, int[]? split)
    {
        using var folder = new TempFolder();
        var path = ShuffleModels.Build(branches, groups, split).Save(folder.Path);
        var graph = OnnxModelLoader.Load(path);
        var inputs = ShuffleModels.Inputs();
        var expected = new ReferenceExecutor(graph).Run(inputs);

        Assert.Equal(1, ChannelShuffleFusion.Run(graph));
        var shuffle = Assert.Single(graph.Nodes, n => n.OpType == ChannelShuffle.Name);
        Assert.Equal(branches.Length == 0 ? ["x"] : branches.Select((_, b) => $"branch{b}").ToArray(), shuffle.Inputs);
        Assert.Equal("transpose", shuffle.Name);
        // The tensors between the folded nodes are gone from the graph.
        Assert.DoesNotContain("grouped", graph.Tensors.Keys);
        Assert.DoesNotContain("transposed", graph.Tensors.Keys);

        var actual = new ReferenceExecutor(graph).Run(inputs);
        foreach (var name in graph.Outputs) Assert.Equal(expected[name].ToFloatArray(), actual[name].ToFloatArray());
    }
}
