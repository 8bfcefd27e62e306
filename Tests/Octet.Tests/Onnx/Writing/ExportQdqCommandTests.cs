using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Onnx.Proto;
using Octet.OnnxRuntime;
using Octet.Tests.Cli;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Onnx.Writing;

/// <summary>
/// <c>octet export-qdq</c> on mnist-8 with a stored config (<c>mnist-8.quant.json</c> beside this file:
/// <c>octet quantize</c>, minmax, on the first 1,000 shared MNIST digits scaled by 1/255).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ExportQdqCommandTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static readonly string Config = Path.Combine(TestData.RepositoryRoot, "Tests", "Octet.Tests", "Onnx", "Writing", "mnist-8.quant.json");

    /// <summary>Operators through which ONNX Runtime computes in int8 (its QDQ fusions produce these).</summary>
    private static readonly HashSet<string> IntegerKernels = ["QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger", "QGemm", "MatMulIntegerToFloat"];

    private readonly ITestOutputHelper _output;
    public ExportQdqCommandTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Export_runs_in_OnnxRuntime_on_int8_kernels_with_the_float_models_top1()
    {
        using var folder = new TempFolder();
        var exported = folder.File("mnist.qdq.onnx");
        var (code, stdout, stderr) = OctetCli.Run("export-qdq", Mnist, "--quant", Config, "-o", exported);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"wrote {exported}", stdout);

        // The file itself: int8 weights read by DequantizeLinear, activations through QuantizeLinear.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(exported));
        Assert.Equal("octet", model.ProducerName);
        Assert.Contains(model.Graph.Node, n => n.OpType == "QuantizeLinear");
        Assert.Contains(model.Graph.Initializer, i => i.DataType == (int)ElementType.Int8 && i.Dims.Count == 4);

        var optimized = folder.File("optimized.onnx");
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            OptimizedModelFilePath = optimized,
        };
        using var session = new InferenceSession(exported, options);
        var kernels = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node
            .Select(n => n.OpType).GroupBy(t => t).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}").ToList();
        _output.WriteLine("ONNX Runtime's optimized graph: " + string.Join(", ", kernels));
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph;
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "QLinearConv"));
        Assert.Contains(graph.Node, n => IntegerKernels.Contains(n.OpType) && n.OpType != "QLinearConv");   // the dense layer

        // Top-1 on the three stored digits: the float model's answers, stored beside them.
        var floatGraph = OnnxModelLoader.Load(Mnist);
        for (int set = 0; set < 3; set++)
        {
            var data = Path.Combine(TestData.ModelFolder("mnist-8"), $"test_data_set_{set}");
            var inputs = InputSets.FromFolder(data, floatGraph);
            var (_, expected) = OnnxTensorReader.ReadFile(Path.Combine(data, "output_0.pb"));
            var result = session.Run(inputs.Select(i => NamedOnnxValue.CreateFromArray(i.Key, i.Value.Data, i.Value.Shape.ToLongArray())).ToList()).Single();
            var scores = result.AsArray<float>();
            _output.WriteLine($"test_data_set_{set}: float top-1 {ArgMax(expected.As<float>())}, QDQ top-1 {ArgMax(scores)}");
            Assert.Equal(ArgMax(expected.As<float>()), ArgMax(scores));
        }
    }

    [Fact]
    public void Export_is_the_same_bytes_every_time()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, OctetCli.Run("export-qdq", Mnist, "--quant", Config, "-o", folder.File("a.onnx")).ExitCode);
        Assert.Equal(0, OctetCli.Run("export-qdq", Mnist, "--quant", Config, "-o", folder.File("b.onnx"), "--numerics", "ort-compatible").ExitCode);
        Assert.Equal(File.ReadAllBytes(folder.File("a.onnx")), File.ReadAllBytes(folder.File("b.onnx")));
    }

    [Fact]
    public void An_existing_output_is_kept_unless_forced()
    {
        using var folder = new TempFolder();
        var output = folder.File("out.onnx");
        File.WriteAllText(output, "keep me");

        var (code, _, stderr) = OctetCli.Run("export-qdq", Mnist, "--quant", Config, "-o", output);
        Assert.Equal(2, code);
        Assert.Contains("already exists", stderr);
        Assert.Contains("--force", stderr);
        Assert.Equal("keep me", File.ReadAllText(output));

        (code, _, stderr) = OctetCli.Run("export-qdq", Mnist, "--quant", Config, "-o", output, "--force");
        Assert.True(code == 0, stderr);
        Assert.Equal("octet", ModelProto.Parser.ParseFrom(File.ReadAllBytes(output)).ProducerName);
    }

    [Fact]
    public void A_config_naming_a_tensor_the_model_lacks_is_unusable_input()
    {
        using var folder = new TempFolder();
        var config = folder.File("bad.quant.json");
        File.WriteAllText(config, """{ "version": 1, "tensors": { "no_such_tensor": { "min": 0, "max": 1 } } }""");
        var (code, _, stderr) = OctetCli.Run("export-qdq", Mnist, "--quant", config, "-o", folder.File("out.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("no_such_tensor", stderr);
        Assert.False(File.Exists(folder.File("out.onnx")));
    }

    [Fact]
    public void A_config_without_ranges_for_the_activations_is_unusable_input()
    {
        using var folder = new TempFolder();
        var config = folder.File("empty.quant.json");
        File.WriteAllText(config, """{ "version": 1 }""");
        var (code, _, stderr) = OctetCli.Run("export-qdq", Mnist, "--quant", config, "-o", folder.File("out.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("Input3", stderr);
        Assert.False(File.Exists(folder.File("out.onnx")));
    }

    [Fact]
    public void A_model_that_is_quantized_already_is_refused()
    {
        using var folder = new TempFolder();
        var (code, _, stderr) = OctetCli.Run("export-qdq", TestData.Synthetic("conv_qdq_s8s8.onnx"), "--quant", Config, "-o", folder.File("out.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("quantized already", stderr);
    }

    [Theory]
    [InlineData("/nonexistent/model.onnx", "CONFIG")]
    [InlineData("MODEL", "/nonexistent/q.json")]
    public void Missing_files_are_unusable_input(string model, string config)
    {
        using var folder = new TempFolder();
        var (code, _, stderr) = OctetCli.Run("export-qdq", model == "MODEL" ? Mnist : model, "--quant", config == "CONFIG" ? Config : config,
            "-o", folder.File("out.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/", stderr);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
