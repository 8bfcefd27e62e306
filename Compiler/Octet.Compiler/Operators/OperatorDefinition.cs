using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators;

/// <summary>
/// One ONNX operator as Octet understands it: the operator versions whose semantics it implements, how
/// the types and shapes of its outputs follow from its inputs (static shape inference), and its float32
/// reference kernel — plainly written, correctness first: it is the specification that calibration runs on
/// and that optimized code is tested against.
/// </summary>
public abstract class OperatorDefinition
{
    /// <summary>ONNX op type, e.g. "Conv".</summary>
    public abstract string OpType { get; }

    /// <summary>Operator domain; "" is the default ONNX domain (ai.onnx).</summary>
    public virtual string Domain => "";

    /// <summary>
    /// Every "since version" of this operator in the ONNX operator changelog, ascending, up to opset 25.
    /// A node resolves to the newest of these that is ≤ its model's opset for the domain.
    /// </summary>
    public abstract IReadOnlyList<int> SinceVersions { get; }

    /// <summary>
    /// The since-versions whose semantics this definition implements (by default all of them). A node that
    /// resolves to a version not listed here is rejected by name rather than run with semantics that differ.
    /// </summary>
    public virtual IReadOnlyList<int> ImplementedVersions => SinceVersions;

    /// <summary>
    /// Sets the type and shape of every output from the inputs' types and shapes (and input values where
    /// the op needs them, e.g. Reshape's shape: <see cref="InferenceContext.ConstantInput"/>). Throws via
    /// <see cref="InferenceContext.Error"/> on inputs the operator does not accept.
    /// </summary>
    public abstract void InferOutputs(InferenceContext context);

    /// <summary>Computes the outputs from the inputs. Inputs have the types and shapes inference accepted.</summary>
    public abstract void Execute(KernelContext context);

    /// <summary>
    /// For operators whose result depends only on their inputs' static shapes (Shape, Size): the output
    /// values, computed at compile time even though the inputs themselves are not constants. Null for the
    /// others. This is what makes PyTorch's <c>Shape → Gather → … → Reshape</c> chains static.
    /// </summary>
    public virtual IReadOnlyList<Tensor>? FoldFromShapes(InferenceContext context) => null;

    /// <summary>
    /// False for ops whose result must not be computed at compile time even with constant inputs
    /// (none today; random generators would be).
    /// </summary>
    public virtual bool CanFold => true;
}
