using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;

namespace Octet.Compiler.CodeGeneration;

/// <summary>How to compile a model: shape bindings, the quantization config (float models), the numerics override.</summary>
public sealed record CompileOptions
{
    public ShapeBindings Shapes { get; init; } = new();

    /// <summary>A quantization config file for a float model; null compiles a float model as a float32 plan.</summary>
    public string? QuantizationConfigPath { get; init; }

    /// <summary>Overrides the config's numerics (or, for an already-quantized model, the integer-only default).</summary>
    public NumericsMode? Numerics { get; init; }
}
