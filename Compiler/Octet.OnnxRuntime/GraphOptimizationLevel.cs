namespace Octet.OnnxRuntime;

/// <summary>
/// How much ONNX Runtime rewrites the graph before running it. This changes reference numbers: with
/// optimizations on, DequantizeLinear → op → QuantizeLinear groups become ONNX Runtime's int8 kernels.
/// </summary>
public enum GraphOptimizationLevel
{
    ORT_DISABLE_ALL = 0,
    ORT_ENABLE_BASIC = 1,
    ORT_ENABLE_EXTENDED = 2,
    ORT_ENABLE_ALL = 99,
}
