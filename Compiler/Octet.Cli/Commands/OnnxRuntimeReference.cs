using Octet.Compiler.Graph;
using Octet.OnnxRuntime;

namespace Octet.Cli.Commands;

/// <summary>Runs a model in ONNX Runtime on Octet tensors: the reference side of verify.</summary>
public static class OnnxRuntimeReference
{
    /// <summary>Graph optimizations on (ONNX Runtime's default), one intra-op thread.</summary>
    public static Dictionary<string, Tensor> Run(string modelPath, IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(modelPath, options);
        var feeds = inputs.Select(kv => NamedOnnxValue.CreateFromArray(kv.Key, kv.Value.Data, kv.Value.Shape.ToLongArray())).ToList();
        var results = session.Run(feeds, outputs.ToList());
        return results.ToDictionary(r => r.Name, r => Tensor.Create((ElementType)(int)r.ElementType,
            Shape.FromDims(r.Shape, $"ONNX Runtime output '{r.Name}'"), r.Data));
    }
}
