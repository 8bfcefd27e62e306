namespace Octet.Compiler.Onnx;

/// <summary>How to read a model: shape bindings for dynamic input dims, and which initializers that are
/// also graph inputs the user wants to feed (ONNX allows either; by default they are constants).</summary>
public sealed class LoadOptions
{
    public ShapeBindings Shapes { get; init; } = new();
    public IReadOnlySet<string> InitializersAsInputs { get; init; } = new HashSet<string>();
}
