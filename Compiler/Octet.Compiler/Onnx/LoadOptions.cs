namespace Octet.Compiler.Onnx;

/// <summary>How to read a model: shape bindings for dynamic input dims, and which initializers that are
/// also graph inputs the user wants to feed (ONNX allows either; by default they are constants).</summary>
public sealed class LoadOptions
{
    public ShapeBindings Shapes { get; init; } = new();
    public IReadOnlySet<string> InitializersAsInputs { get; init; } = new HashSet<string>();

    /// <summary>
    /// Graph inputs whose values are known at compile time (e.g. a Reshape target shape fed as an input):
    /// they become constants with these values, which must match the declared type and rank.
    /// </summary>
    public IReadOnlyDictionary<string, Graph.Tensor> ConstantInputs { get; init; } = new Dictionary<string, Graph.Tensor>();

    /// <summary>
    /// For inspection only: bind every dynamic dimension the user left unbound to 1, with a warning,
    /// instead of refusing the model. Running a model needs real bindings.
    /// </summary>
    public bool BindUnknownDimsToOne { get; init; }

    /// <summary>
    /// Let <see cref="Shapes"/> replace input dimensions the model declares as fixed (each replacement is recorded
    /// as a warning). For models whose declared input shape contradicts their own constants — e.g. the shared
    /// <c>attention_distilbert.onnx</c> declares <c>input_1</c> [1,1,8] but holds an attention mask for 3 tokens, so
    /// it loads only as [1,3,8]. Without it a binding that contradicts a fixed dimension is refused.
    /// </summary>
    public bool OverrideDeclaredDims { get; init; }
}
