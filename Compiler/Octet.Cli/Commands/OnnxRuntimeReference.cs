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
        var feeds = inputs.Select(kv => ToNamedOnnxValue(kv.Key, kv.Value)).ToList();
        var results = session.Run(feeds, outputs.ToList());
        return results.ToDictionary(r => r.Name, ToTensor);
    }

    // Both sides number element types as ONNX does and hold the same managed array per type, so the data
    // array is shared, not copied.

    public static NamedOnnxValue ToNamedOnnxValue(string name, Tensor tensor) =>
        NamedOnnxValue.CreateFromArray(name, tensor.Data, tensor.Shape.ToLongArray());

    public static Tensor ToTensor(NamedOnnxValue value) =>
        Tensor.Create((ElementType)(int)value.ElementType, Shape.FromDims(value.Shape, $"ONNX Runtime output '{value.Name}'"), value.Data);
}
