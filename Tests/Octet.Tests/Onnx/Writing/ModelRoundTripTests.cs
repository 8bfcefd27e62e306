using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.OnnxRuntime;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Onnx.Writing;

/// <summary>
/// Every model in <c>Tests/Data/models</c> that Octet loads: load → write → load gives the same graph, the
/// file is the same bytes when written twice, and ONNX Runtime, with graph optimizations off and with all
/// of them on, gives bit-identical outputs on the written file and on the original (stored inputs where
/// the model has them, else fixed-seed random ones). The written file differs from the original by the
/// constants Octet folded and by declaring initializers as constants; where that makes ONNX Runtime pick
/// other kernels, <see cref="RunDifferently"/> says so and a float32-rounding tolerance applies instead.
/// </summary>
public sealed class ModelRoundTripTests
{
    private static readonly string ModelsFolder = Path.Combine(TestData.Folder, "models");

    /// <summary>Models Octet does not load (operators it does not implement): there is no graph to write.</summary>
    private static readonly string[] NotLoadable =
    [
        "ort-synthetic/attention_distilbert.onnx",   // LayerNormalization at opset 12 (an ONNX Runtime contrib op there)
        "ort-synthetic/gpt2_one_layer.onnx",         // com.microsoft.FastGelu
    ];

    /// <summary>Bindings for models with dynamic dims other than the batch.</summary>
    private static readonly Dictionary<string, string[]> Shapes = new(StringComparer.Ordinal)
    {
        ["ort-synthetic/bert_toy_optimized.onnx"] = ["input_ids=1x8", "token_type_ids=1x8", "input_mask=1x8"],
    };

    /// <summary>
    /// Where ONNX Runtime runs the written file with other kernels than the original, and why. There the
    /// outputs may differ by float32 rounding only: |a − e| ≤ 1e-5·|e| + 1e-6 (seen: max abs diff 1.9e-6 on mnist-8's
    /// logits, of magnitude up to 12; 8.3e-7 on super-resolution's pixels in [0, 1]).
    /// </summary>
    private static readonly Dictionary<(string Model, GraphOptimizationLevel Level), string> RunDifferently = new()
    {
        [("mnist-8/model.onnx", GraphOptimizationLevel.ORT_DISABLE_ALL)] =
            "Octet folded Reshape(Parameter193) into a constant; ONNX Runtime prepacks a constant MatMul weight, " +
            "which changes the order of the float sums (from ORT_ENABLE_BASIC on, it folds the original the same way)",
        [("super-resolution/model.onnx", GraphOptimizationLevel.ORT_ENABLE_ALL)] =
            "the original (IR 4) lists its initializers as graph inputs, which ONNX Runtime then treats as overridable, " +
            "not constant, and fuses less; the written file declares them as constants",
    };

    private readonly ITestOutputHelper _output;
    public ModelRoundTripTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Models() => AllModels().Except(NotLoadable).Select(p => new object[] { p });

    private static IEnumerable<string> AllModels() =>
        Directory.GetDirectories(ModelsFolder)
            .SelectMany(folder => Directory.GetFiles(folder, "*.onnx"))
            .Select(path => Path.GetRelativePath(ModelsFolder, path).Replace('\\', '/'))
            .OrderBy(p => p, StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Models))]
    public void Model_round_trips_and_OnnxRuntime_gives_the_same_outputs(string relativePath)
    {
        var path = Path.Combine(ModelsFolder, relativePath);
        var graph = OnnxModelLoader.Load(path, ShapeBindings.Parse(Shapes.GetValueOrDefault(relativePath, [])));
        using var folder = new TempFolder();
        var written = folder.File("written.onnx");
        OnnxModelWriter.Write(graph, written);

        Assert.Equal(File.ReadAllBytes(written), OnnxModelWriter.ToBytes(graph));
        var reloaded = OnnxModelLoader.Load(written);   // static shapes now: no bindings needed
        Assert.Equal(RoundTrip.ExpectedText(graph), GraphTextWriter.Write(reloaded));

        var stored = Path.Combine(Path.GetDirectoryName(path)!, "test_data_set_0");
        var inputs = Directory.Exists(stored) ? InputSets.FromFolder(stored, graph) : InputSets.Random(graph, InputSets.RandomSeed);
        if (relativePath == "ort-synthetic/bert_toy_optimized.onnx")
        {
            // An attention mask holds 0 or 1. ONNX Runtime fuses Attention in the original but not in the written file (Octet
            // folded the mask's shape arithmetic, which the fusion pattern looks for), and the fused kernel reads any nonzero
            // mask value as 1 where the unfused graph computes (1 − mask)·−10000: random masks would compare two different things.
            inputs["input_mask"] = Tensor.Create(graph.Tensor("input_mask").Shape, Enumerable.Repeat(1L, 8).ToArray());
        }

        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var original = RoundTrip.RunOrt(path, level, inputs, graph.Outputs);
            var rewritten = RoundTrip.RunOrt(written, level, inputs, graph.Outputs);
            foreach (var name in graph.Outputs)
            {
                var difference = RoundTrip.BitwiseDifference(original[name], rewritten[name]);
                _output.WriteLine($"{level} '{name}' {original[name]}: {difference ?? "bit-identical"}");
                if (difference is null) continue;
                Assert.True(RunDifferently.TryGetValue((relativePath, level), out var reason), $"{relativePath} output '{name}' with {level}: {difference}");
                _output.WriteLine($"  expected: {reason}");
                var outside = TensorComparison.Compare(original[name], rewritten[name], rtol: 1e-5, atol: 1e-6);
                Assert.True(outside is null, $"{relativePath} output '{name}' with {level}: {outside}");
            }
        }
    }

    [Fact]
    public void Every_model_left_out_is_one_Octet_cannot_load()
    {
        foreach (var relativePath in NotLoadable)
        {
            Assert.Contains(relativePath, AllModels());
            var options = new LoadOptions { BindUnknownDimsToOne = true };
            var e = Record.Exception(() => OnnxModelLoader.Load(Path.Combine(ModelsFolder, relativePath), options));
            Assert.True(e is OctetException, $"{relativePath} loads: {e}");
            Assert.Matches("not supported|does not exist", e.Message);
        }
    }
}
