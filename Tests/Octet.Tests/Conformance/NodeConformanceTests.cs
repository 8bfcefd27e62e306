using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Conformance;

/// <summary>
/// Runs every ONNX backend node case that Octet supports through the loader (shape inference, constant
/// folding) and the reference executor, and compares with the stored outputs of the ONNX reference
/// implementation. Float: rtol 1e-3, atol 1e-5 (the suite's standard, atol a little looser than its 1e-7
/// default because our kernels accumulate in float32 where the reference uses float64); integers and
/// bool: exact.
/// </summary>
public sealed class NodeConformanceTests
{
    private const double Rtol = 1e-3, Atol = 1e-5;
    private readonly ITestOutputHelper _output;

    public NodeConformanceTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> RunnableCases() =>
        ConformanceCase.All.Where(c => c.ExclusionReason is null).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(RunnableCases))]
    public void Case_matches_stored_outputs(string name)
    {
        var failure = Run(ConformanceCase.All.Single(c => c.Name == name));
        Assert.True(failure is null, failure);
    }

    /// <summary>Runs one case; null when every output matches, else what went wrong.</summary>
    public static string? Run(ConformanceCase testCase)
    {
        var modelPath = Path.Combine(testCase.Folder, "model.onnx");
        var data = Path.Combine(testCase.Folder, "test_data_set_0");
        var declared = OnnxGraphReader.Read(modelPath, new LoadOptions { BindUnknownDimsToOne = true });

        // input_K.pb belongs to the K-th graph input; names in the files are sometimes empty.
        var values = new Dictionary<string, Tensor>();
        var inputFiles = InputSets.SortedByIndex(Directory.GetFiles(data, "input_*.pb"));
        for (int k = 0; k < inputFiles.Count; k++)
        {
            var (fileName, value) = OnnxTensorReader.ReadFile(inputFiles[k]);
            values[declared.Inputs.Contains(fileName) ? fileName : declared.Inputs[k]] = value;
        }

        // Octet compiles for static shapes. Int64 inputs carry shapes, axes and indices (e.g. Reshape's
        // target shape), which Octet needs at compile time: they are given as constants. Every other input
        // is bound to its test-data shape and fed at run time.
        var constants = values.Where(v => v.Value.ElementType == ElementType.Int64).ToDictionary(v => v.Key, v => v.Value);
        var shapes = new ShapeBindings();
        foreach (var (name, value) in values)
            if (!constants.ContainsKey(name)) shapes.Add(name, value.Shape.ToArray());
        var graph = OnnxModelLoader.Load(modelPath, new LoadOptions { Shapes = shapes, ConstantInputs = constants });
        var inputs = values.Where(v => !constants.ContainsKey(v.Key)).ToDictionary(v => v.Key, v => v.Value);
        var outputs = new ReferenceExecutor(graph).Run(inputs);
        var outputFiles = InputSets.SortedByIndex(Directory.GetFiles(data, "output_*.pb"));
        var problems = new List<string>();
        for (int k = 0; k < outputFiles.Count; k++)
        {
            var (fileName, expected) = OnnxTensorReader.ReadFile(outputFiles[k]);
            var outputName = graph.Outputs.Contains(fileName) ? fileName : graph.Outputs[k];
            var problem = TensorComparison.Compare(expected, outputs[outputName], Rtol, Atol);
            if (problem is not null) problems.Add($"output '{outputName}': {problem}");
        }
        return problems.Count == 0 ? null : string.Join("\n", problems);
    }

    /// <summary>
    /// States the suite's counts and every exclusion with its reason (in the test log and in
    /// <c>conformance-summary.txt</c> beside the test binary, which CI prints), and fails if any case of an
    /// operator Octet must support is excluded.
    /// </summary>
    [Fact]
    public void Summary_lists_every_exclusion_and_no_required_operator_is_excluded()
    {
        var all = ConformanceCase.All;
        var excluded = all.Where(c => c.ExclusionReason is not null).ToList();
        int passed = 0;
        var failed = new List<string>();
        foreach (var c in all.Where(c => c.ExclusionReason is null))
        {
            string? failure;
            try { failure = Run(c); }
            catch (Exception e) { failure = e.Message; }
            if (failure is null) passed++; else failed.Add($"{c.Name}: {failure.Split('\n')[0]}");
        }

        var lines = new List<string>
        {
            $"ONNX node conformance: {all.Count} cases, {all.Count - excluded.Count} ran, {passed} passed, {failed.Count} failed, {excluded.Count} excluded",
        };
        lines.AddRange(failed.Select(f => "  FAILED " + f));
        lines.AddRange(excluded.Select(c => $"  excluded {c.Name}: {c.ExclusionReason}"));
        var summary = string.Join("\n", lines);
        _output.WriteLine(summary);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "conformance-summary.txt"), summary + "\n");

        var requiredExcluded = excluded.Where(c => c.Operators.All(RequiredOperators.Contains)
                                                   && !c.ExclusionReason!.StartsWith("element type", StringComparison.Ordinal)).ToList();
        Assert.True(requiredExcluded.Count == 0,
            "cases of required operators are excluded: " + string.Join(", ", requiredExcluded.Select(c => c.Name)));
    }

    /// <summary>The operators the foundation issue requires the float executor to implement.</summary>
    public static readonly IReadOnlySet<string> RequiredOperators = new HashSet<string>
    {
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Exp", "Log",
        "Neg", "Abs", "Min", "Max", "Reciprocal", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid",
        "HardSwish", "Clip", "Gelu", "Softmax", "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "BatchNormalization", "LayerNormalization", "ReduceMean", "ReduceSum", "ReduceMax",
        "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "Expand",
        "Shape", "Cast", "Identity", "Dropout", "Resize", "Pad", "Where", "Equal", "ConstantOfShape", "Range",
        "Constant",
    };
}
