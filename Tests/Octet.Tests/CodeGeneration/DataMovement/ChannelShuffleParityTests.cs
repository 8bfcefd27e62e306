using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Operators.Layout;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Reference;
using Octet.Generator.Plan;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.CodeGeneration.DataMovement;

/// <summary>
/// Small models with a channel shuffle (<see cref="ShuffleModels"/>), compiled, generated and run, against the reference
/// executor on the original ONNX graph: float plans bit for bit (all values are small integers, exact in float32), int8
/// plans bit for bit against the integer reference of the compiled graph. The cases cover the interleave fast path
/// (two groups, two equal runs of ≥ 16 channels, NHWC), the general strided copies (three or four groups, uneven
/// concatenation and split), a shuffle of a row-major graph input, and a plain NHWC Split.
/// </summary>
public sealed class ChannelShuffleParityTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        ["interleave", new[] { 34, 34 }, 2, new[] { 34, 34 }, ShuffleModels.InputChannels, null!],
        ["interleave, no split", new[] { 20, 20 }, 2, null!, ShuffleModels.InputChannels, null!],
        ["uneven, three groups", new[] { 4, 8 }, 3, new[] { 5, 7 }, ShuffleModels.InputChannels, null!],
        ["four groups, three inputs", new[] { 5, 3, 4 }, 4, null!, ShuffleModels.InputChannels, null!],
        ["row-major input", Array.Empty<int>(), 2, new[] { 7, 5 }, 12, null!],
        // The shuffled tensor is also a graph output: the Split stays (NHWC too) and the output gets a relayout.
        ["shuffle is an output", new[] { 17, 17 }, 2, new[] { 10, 24 }, ShuffleModels.InputChannels, "shuffled"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_plan_is_bit_identical_to_the_reference(string label, int[] branches, int groups, int[]? split, int inputChannels, string? extraOutput)
    {
        using var folder = new TempFolder();
        var path = ShuffleModels.Build(branches, groups, split, inputChannels, extraOutput: extraOutput).Save(folder.Path);
        var graph = OnnxModelLoader.Load(path);
        var inputs = ShuffleModels.Inputs(inputChannels);
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config: null, numerics: null);
        AssertFused(compiled, label, expectNhwc: branches.Length > 0);

        var expected = new ReferenceExecutor(graph).Run(inputs);
        var actual = Run(compiled, inputs);
        foreach (var (name, values) in actual) Assert.Equal(expected[name].ToFloatArray(), values);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Int8_plan_is_bit_identical_to_the_integer_reference(string label, int[] branches, int groups, int[]? split, int inputChannels, string? extraOutput)
    {
        using var folder = new TempFolder();
        var path = ShuffleModels.Build(branches, groups, split, inputChannels, extraOutput: extraOutput).Save(folder.Path);
        var graph = OnnxModelLoader.Load(path);
        var inputs = ShuffleModels.Inputs(inputChannels);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList([inputs]), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, NumericsMode.IntegerOnly);
        AssertFused(compiled, label, expectNhwc: branches.Length > 0);

        var expected = new ReferenceExecutor(compiled.Graph).Run(inputs);
        var actual = Run(compiled, inputs);
        foreach (var (name, values) in actual) Assert.Equal(expected[name].ToFloatArray(), values);
    }

    [Fact]
    public void A_Split_of_an_NHWC_tensor_stays_NHWC_and_matches_the_reference()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(opset: 13, graphName: "conv_split")
            .Input("x", ElementType.Float32, 1, ShuffleModels.InputChannels, ShuffleModels.Height, ShuffleModels.Width)
            .Initializer("w", Enumerable.Range(0, 6 * ShuffleModels.InputChannels).Select(i => (float)(i % 5 - 2)).ToArray(), 6, ShuffleModels.InputChannels, 1, 1)
            .Initializer("sizes", new long[] { 2, 4 }, 2)
            .Output("out0", ElementType.Float32).Output("out1", ElementType.Float32);
        model.Node("Conv", ["x", "w"], ["c"], Attr.Ints("kernel_shape", 1, 1)).Name = "conv";
        model.Node("Split", ["c", "sizes"], ["p0", "p1"], Attr.Int("axis", 1)).Name = "split";
        model.Node("Relu", ["p0"], ["out0"]).Name = "relu0";
        model.Node("Relu", ["p1"], ["out1"]).Name = "relu1";
        var path = model.Save(folder.Path);
        var graph = OnnxModelLoader.Load(path);
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config: null, numerics: null);

        var split = Assert.Single(compiled.Plan.Ops, op => op.OpType == "Split");
        Assert.All(split.Inputs.Take(1).Concat(split.Outputs), t => Assert.Equal(Relayout.Nhwc, compiled.Layouts[t]));
        var inputs = ShuffleModels.Inputs();
        var expected = new ReferenceExecutor(graph).Run(inputs);
        foreach (var (name, values) in Run(compiled, inputs)) Assert.Equal(expected[name].ToFloatArray(), values);
    }

    /// <summary>One ChannelShuffle, no Reshape/Transpose left of it, and (after convolutions) no relayout next to it.</summary>
    private static void AssertFused(CompiledModel compiled, string label, bool expectNhwc)
    {
        var shuffle = Assert.Single(compiled.Plan.Ops, op => op.OpType == "octet." + ChannelShuffle.Name);
        Assert.DoesNotContain(compiled.Plan.Ops, op => op.OpType == "Transpose");
        if (!expectNhwc) return;
        Assert.All(shuffle.Inputs.Concat(shuffle.Outputs), t => Assert.True(compiled.Layouts[t] == Relayout.Nhwc, $"{label}: '{t}' is {compiled.Layouts[t]}"));
    }

    /// <summary>Generates the plan's class, runs it once, and returns each output by name.</summary>
    private static Dictionary<string, float[]> Run(CompiledModel compiled, Dictionary<string, Tensor> inputs)
    {
        ModelPlan plan = compiled.Plan;
        var generated = GeneratedModel.Build(plan, className: "ShuffleModel");
        var instance = generated.Create(compiled.Weights);
        var runInputs = plan.Inputs.Select(e => (Array)inputs[e.Name].ToFloatArray()).ToArray();
        var runOutputs = plan.Outputs.Select(e => (Array)new float[plan.Tensors.First(t => t.Name == e.Tensor).Shape.Aggregate(1, (a, d) => a * d)]).ToArray();
        generated.RunDelegate(instance, runInputs, runOutputs);
        return plan.Outputs.Select((e, i) => (e.Name, (float[])runOutputs[i])).ToDictionary(p => p.Name, p => p.Item2);
    }
}
