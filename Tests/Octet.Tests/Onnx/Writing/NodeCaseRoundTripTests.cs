using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.OnnxRuntime;
using Octet.Tests.Conformance;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.Onnx.Writing;

/// <summary>
/// ONNX backend node cases through load → write → load, loaded as the conformance suite loads them (int64
/// inputs — shapes, axes, indices — given as constants, the rest bound to their test-data shapes): the same
/// graph comes back, and ONNX Runtime gives bit-identical outputs on the written file and the original.
/// </summary>
public sealed class NodeCaseRoundTripTests
{
    /// <summary>Cases ONNX Runtime 1.30 cannot run (the original file fails there): only the graph round trip is checked.</summary>
    private static readonly Dictionary<string, string> OnnxRuntimeCannotRun = new(StringComparer.Ordinal)
    {
        ["test_clip_default_int8_max_expanded"] = "no int8 kernel for Where",
        ["test_clip_default_int8_min_expanded"] = "no int8 kernel for Where",
        ["test_convinteger_with_padding"] = "ConvInteger with a per-channel weight zero point",
    };

    public static IEnumerable<object[]> Cases() =>
        ConformanceCase.All.Where(c => c.ExclusionReason is null).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Node_case_round_trips(string name)
    {
        var testCase = ConformanceCase.All.Single(c => c.Name == name);
        var modelPath = Path.Combine(testCase.Folder, "model.onnx");
        var (graph, values) = Load(modelPath, Path.Combine(testCase.Folder, "test_data_set_0"));

        using var folder = new TempFolder();
        var written = folder.File("written.onnx");
        OnnxModelWriter.Write(graph, written);
        Assert.Equal(File.ReadAllBytes(written), OnnxModelWriter.ToBytes(graph));
        Assert.Equal(RoundTrip.ExpectedText(graph), GraphTextWriter.Write(OnnxModelLoader.Load(written)));

        if (OnnxRuntimeCannotRun.ContainsKey(name))
        {
            Assert.Throws<OnnxRuntimeException>(() => RoundTrip.RunOrt(modelPath, GraphOptimizationLevel.ORT_DISABLE_ALL, values, graph.Outputs));
            return;
        }
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var original = RoundTrip.RunOrt(modelPath, level, values, graph.Outputs);
            var rewritten = RoundTrip.RunOrt(written, level, values, graph.Outputs);
            foreach (var output in graph.Outputs)
            {
                var difference = RoundTrip.BitwiseDifference(original[output], rewritten[output]);
                Assert.True(difference is null, $"{name} output '{output}' with {level}: {difference}");
            }
        }
    }

    /// <summary>The case's graph and its input values, as <see cref="NodeConformanceTests"/> loads them.</summary>
    private static (ModelGraph Graph, Dictionary<string, Tensor> Values) Load(string modelPath, string data)
    {
        var declared = OnnxGraphReader.Read(modelPath, new LoadOptions { BindUnknownDimsToOne = true });
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var inputFiles = InputSets.SortedByIndex(Directory.GetFiles(data, "input_*.pb"));
        for (int k = 0; k < inputFiles.Count; k++)
        {
            var (fileName, value) = OnnxTensorReader.ReadFile(inputFiles[k]);
            values[declared.Inputs.Contains(fileName) ? fileName : declared.Inputs[k]] = value;
        }
        var constants = values.Where(v => v.Value.ElementType == ElementType.Int64).ToDictionary(v => v.Key, v => v.Value);
        var shapes = new ShapeBindings();
        foreach (var (name, value) in values)
            if (!constants.ContainsKey(name)) shapes.Add(name, value.Shape.ToArray());
        return (OnnxModelLoader.Load(modelPath, new LoadOptions { Shapes = shapes, ConstantInputs = constants }), values);
    }
}
