using System.Collections.Concurrent;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.TestSupport;

namespace Octet.Tests.CodeGeneration.Plan;

/// <summary>
/// The shared models compiled once per test run (compiling squeezenet int8 calibrates it first, which takes a
/// while). Keys: a model folder name under Tests/Data/models ("mnist-8"), "&lt;name&gt; int8" for a float model
/// quantized by Octet, or "ort-synthetic/&lt;file&gt;".
/// </summary>
internal static class CompiledModels
{
    public static readonly string[] Float = ["mnist-8", "squeezenet1.0", "cifar10-classifier", "super-resolution", "ultraface-320"];
    public static readonly string[] Int8ByOctet = ["mnist-8 int8", "squeezenet1.0 int8"];
    public static readonly string[] Quantized =
    [
        "mobilenetv3-small-qdq", "shufflenet-v2-int8", "ort-synthetic/conv_qdq_s8s8.onnx", "ort-synthetic/conv_qdq_s8s8_perchannel.onnx",
        "ort-synthetic/conv_qdq_u8u8.onnx", "ort-synthetic/mobilenet_v3_small_excerpt.onnx", "ort-synthetic/qdq_with_multi_consumer_dq_nodes.onnx",
    ];

    public static IEnumerable<object[]> All => Float.Concat(Int8ByOctet).Concat(Quantized).Select(m => new object[] { m });

    private static readonly ConcurrentDictionary<string, Lazy<CompiledModel>> cache = new();

    public static CompiledModel Get(string key) => cache.GetOrAdd(key, k => new Lazy<CompiledModel>(() => Compile(k))).Value;

    public static string PathOf(string key)
    {
        string name = key.EndsWith(" int8", StringComparison.Ordinal) ? key[..^5] : key;
        return name.StartsWith("ort-synthetic/", StringComparison.Ordinal)
            ? TestData.Synthetic(name["ort-synthetic/".Length..])
            : TestData.Model(name);
    }

    /// <summary>Compiles without the cache (determinism tests compile twice).</summary>
    public static CompiledModel Compile(string key)
    {
        var path = PathOf(key);
        var graph = OnnxModelLoader.Load(path);
        return ModelCompiler.Compile(graph, File.ReadAllBytes(path), ConfigFor(key, graph), null);
    }

    public static QuantizationConfig? ConfigFor(string key, ModelGraph graph)
    {
        if (key == "mnist-8 int8") return QuantizationConfig.Load(Path.Combine(TestData.Folder, "configs", "mnist-8.quant.json"), graph);
        if (key == "squeezenet1.0 int8") return SqueezeNetConfig(graph);
        return null;
    }

    /// <summary>Min/max calibration on squeezenet's one stored input, as the squeezenet quantization tests do.</summary>
    private static QuantizationConfig SqueezeNetConfig(ModelGraph graph)
    {
        var inputs = StoredInputs("squeezenet1.0", graph);
        return Calibrator.Run(graph, CalibrationSamples.FromList([inputs]), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
    }

    public static Dictionary<string, Tensor> StoredInputs(string model, ModelGraph graph) =>
        InputSets.FromFolder(Path.Combine(TestData.ModelFolder(model), "test_data_set_0"), graph);
}
