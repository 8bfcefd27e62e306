using Octet.Cli.Commands;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Reference;
using Octet.Compiler.Verification;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Models;

/// <summary>
/// The float32 reference executor against ONNX Runtime 1.30.0 (graph optimizations on, one thread) on the
/// shared real models: on their stored inputs where the model has them, else on fixed-seed random inputs.
/// Tolerance: <see cref="Tolerance.Float32"/>. Each test logs the max abs diff relative to the output's
/// range, and argmax agreement must be total.
/// </summary>
public sealed class RealModelTests
{
    private readonly ITestOutputHelper _output;
    public RealModelTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Cases() => new[]
    {
        new object[] { "mnist-8", "test_data_set_0" },
        new object[] { "mnist-8", "test_data_set_1" },
        new object[] { "mnist-8", "test_data_set_2" },
        new object[] { "squeezenet1.0", "test_data_set_0" },
        new object[] { "super-resolution", "random" },
        new object[] { "cifar10-classifier", "random" },
        new object[] { "ultraface-320", "random" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_executor_matches_OnnxRuntime(string model, string inputs)
    {
        var path = TestData.Model(model);
        var graph = OnnxModelLoader.Load(path);
        var values = inputs == "random"
            ? InputSets.Random(graph, InputSets.RandomSeed)
            : InputSets.FromFolder(Path.Combine(TestData.ModelFolder(model), inputs), graph);

        var octet = new ReferenceExecutor(graph).Run(values);
        var ort = OnnxRuntimeReference.Run(path, values, graph.Outputs);

        foreach (var name in graph.Outputs)
        {
            var agreement = TensorAgreement.Measure(name, octet[name], ort[name], Tolerance.Float32);
            var line = $"{model} {inputs} output '{name}' {octet[name]}: max abs diff {agreement.MaxAbsDiff:G3} " +
                       $"= {agreement.MaxAbsDiff / agreement.ReferenceRange:G3} of range {agreement.ReferenceRange:G4}, " +
                       $"cosine {agreement.CosineSimilarity:F7}, argmax agreement {agreement.ArgmaxAgreement:P1}";
            _output.WriteLine(line);
            RealModelSummary.Record(line);
            Assert.True(agreement.WithinTolerance, line);
            Assert.Equal(1.0, agreement.ArgmaxAgreement);
        }

        // Where the model ships expected outputs, check those too (they were produced by ONNX Runtime).
        var stored = Path.Combine(TestData.ModelFolder(model), inputs);
        if (Directory.Exists(stored))
        {
            var files = InputSets.SortedByIndex(Directory.GetFiles(stored, "output_*.pb"));
            for (int k = 0; k < files.Count; k++)
            {
                var (_, expected) = OnnxTensorReader.ReadFile(files[k]);
                var name = graph.Outputs[k];
                var agreement = TensorAgreement.Measure(name, octet[name], expected.Reshape(octet[name].Shape), Tolerance.Float32);
                Assert.True(agreement.WithinTolerance, $"{model} {inputs} stored output {k}: max abs diff {agreement.MaxAbsDiff:G3}");
            }
        }
    }
}

/// <summary>Collects the per-output figures into <c>real-models-summary.txt</c> beside the test binary.</summary>
internal static class RealModelSummary
{
    private static readonly object Gate = new();
    private static readonly string FilePath = Path.Combine(AppContext.BaseDirectory, "real-models-summary.txt");

    // Runs once per test run, before the first line is recorded: start from an empty file.
    static RealModelSummary() => File.Delete(FilePath);

    public static void Record(string line)
    {
        lock (Gate) File.AppendAllText(FilePath, line + "\n");
    }
}
