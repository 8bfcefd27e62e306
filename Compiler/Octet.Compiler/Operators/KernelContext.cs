using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators;

/// <summary>What a reference kernel sees: its node (for attributes), its input values, and where to put
/// its outputs. Outputs not requested by the graph (empty names) may be set or left unset.</summary>
public sealed class KernelContext
{
    private readonly IReadOnlyList<Tensor?> _inputs;
    private readonly Tensor?[] _outputs;

    public KernelContext(Node node, IReadOnlyList<Tensor?> inputs)
    {
        Node = node;
        _inputs = inputs;
        _outputs = new Tensor?[node.Outputs.Count];
    }

    public Node Node { get; }
    public int InputCount => _inputs.Count;
    public bool HasInput(int index) => index < _inputs.Count && _inputs[index] is not null;
    public Tensor Input(int index) => HasInput(index) ? _inputs[index]! : throw Error($"input {index} is required but missing");
    public Tensor? OptionalInput(int index) => HasInput(index) ? _inputs[index] : null;
    public bool HasOutput(int index) => index < Node.Outputs.Count && Node.Outputs[index].Length > 0;

    public void SetOutput(int index, Tensor value)
    {
        if (index >= _outputs.Length) throw Error($"produces output {index} but the node declares only {_outputs.Length}");
        _outputs[index] = value;
    }

    public Tensor? Output(int index) => _outputs[index];

    public OctetException Error(string problem) => OctetException.AtNode(Node, problem);
}
