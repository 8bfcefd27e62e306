using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators;

/// <summary>What an operator sees during shape inference: its node, its inputs' static types and shapes,
/// constant input values where known, and where to put its outputs' types and shapes.</summary>
public sealed class InferenceContext
{
    private readonly IReadOnlyList<TensorInfo?> _inputs;
    private readonly (ElementType Type, Shape Shape)?[] _outputs;

    public InferenceContext(Node node, IReadOnlyList<TensorInfo?> inputs)
    {
        Node = node;
        _inputs = inputs;
        _outputs = new (ElementType, Shape)?[node.Outputs.Count];
    }

    public Node Node { get; }
    public int InputCount => _inputs.Count;
    public int OutputCount => _outputs.Length;

    /// <summary>True if input <paramref name="index"/> is present (not omitted with an empty name).</summary>
    public bool HasInput(int index) => index < _inputs.Count && _inputs[index] is not null;

    public TensorInfo Input(int index) => HasInput(index)
        ? _inputs[index]!
        : throw Error($"input {index} is required but missing");

    public Shape InputShape(int index) => Input(index).Shape;
    public ElementType InputType(int index) => Input(index).ElementType;

    /// <summary>The value of input <paramref name="index"/> if it is a compile-time constant, else null.</summary>
    public Tensor? ConstantInput(int index) => HasInput(index) ? _inputs[index]!.ConstantValue : null;

    /// <summary>The value of an input that this operator needs to know at compile time (e.g. Reshape's shape).</summary>
    public Tensor RequireConstantInput(int index, string what) => ConstantInput(index)
        ?? throw Error($"{what} (input {index}, '{Node.Inputs[index]}') must be a constant or computable at compile time");

    /// <summary>True if output <paramref name="index"/> is requested (present and named).</summary>
    public bool HasOutput(int index) => index < Node.Outputs.Count && Node.Outputs[index].Length > 0;

    public void SetOutput(int index, ElementType type, Shape shape)
    {
        if (index >= _outputs.Length) throw Error($"produces output {index} but the node declares only {_outputs.Length}");
        _outputs[index] = (type, shape);
    }

    public (ElementType Type, Shape Shape)? Output(int index) => _outputs[index];

    /// <summary>Requires the input to have one of the given element types.</summary>
    public void ExpectType(int index, params ElementType[] allowed)
    {
        var t = InputType(index);
        if (Array.IndexOf(allowed, t) < 0)
            throw Error($"input {index} ('{Node.Inputs[index]}') has element type {t.OnnxName()}; " +
                        $"this operator accepts {string.Join(", ", allowed.Select(a => a.OnnxName()))}");
    }

    /// <summary>Requires the input to have the given rank.</summary>
    public void ExpectRank(int index, int rank)
    {
        var s = InputShape(index);
        if (s.Rank != rank) throw Error($"input {index} ('{Node.Inputs[index]}') has shape {s}; expected rank {rank}");
    }

    public OctetException Error(string problem) => OctetException.AtNode(Node, problem);
}
