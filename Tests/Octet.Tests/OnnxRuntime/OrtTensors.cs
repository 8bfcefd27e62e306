using Octet.Compiler.Graph;
using Octet.OnnxRuntime;

namespace Octet.Tests.OnnxRuntime;

/// <summary>
/// Converts between Octet's <see cref="Tensor"/> and the binding's <see cref="NamedOnnxValue"/>. Both use ONNX's
/// element-type numbering and the same managed array per type, so the data array is shared, not copied.
/// </summary>
internal static class OrtTensors
{
    public static NamedOnnxValue ToNamedOnnxValue(string name, Tensor tensor) =>
        NamedOnnxValue.CreateFromArray(name, tensor.Data, tensor.Shape.ToLongArray());

    public static Tensor ToTensor(NamedOnnxValue value) =>
        Tensor.Create((ElementType)(int)value.ElementType, Shape.FromDims(value.Shape, value.Name), value.Data);
}
