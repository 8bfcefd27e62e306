using Octet.Compiler.Graph;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Planning;

/// <summary>
/// Builds small shape-inferred graphs for planner tests. The planner reads only op types, shapes, element
/// types and the order of nodes, so nodes are declared with their output types and shapes directly.
/// </summary>
internal sealed class PlanningGraphBuilder
{
    private readonly Dictionary<string, TensorInfo> _tensors = new(StringComparer.Ordinal);
    private readonly List<Node> _nodes = new();
    private readonly List<string> _inputs = new();
    private readonly List<string> _outputs = new();

    public PlanningGraphBuilder Input(string name, params int[] dims) => Input(name, ElementType.Float32, dims);

    public PlanningGraphBuilder Input(string name, ElementType type, params int[] dims)
    {
        _tensors[name] = new TensorInfo(name, type, new Shape(dims));
        _inputs.Add(name);
        return this;
    }

    public PlanningGraphBuilder Constant(string name, Tensor value)
    {
        _tensors[name] = TensorInfo.ForConstant(name, value);
        return this;
    }

    /// <summary>A float node with one output of the given shape.</summary>
    public PlanningGraphBuilder Node(string opType, string[] inputs, string output, params int[] dims) =>
        Node(opType, inputs, output, ElementType.Float32, dims);

    public PlanningGraphBuilder Node(string opType, string[] inputs, string output, ElementType type, int[] dims,
        string domain = "", Dictionary<string, Attribute>? attributes = null)
    {
        _tensors[output] = new TensorInfo(output, type, new Shape(dims));
        _nodes.Add(new Node($"n{_nodes.Count}_{opType}", opType, domain, domain.Length == 0 ? 13 : 1, inputs, [output],
            attributes ?? new Dictionary<string, Attribute>()));
        return this;
    }

    public PlanningGraphBuilder Concat(string[] inputs, string output, long axis, params int[] dims) =>
        Node("Concat", inputs, output, ElementType.Float32, dims,
            attributes: new Dictionary<string, Attribute> { ["axis"] = new("axis", AttributeKind.Int, axis) });

    public PlanningGraphBuilder Output(params string[] names)
    {
        _outputs.AddRange(names);
        return this;
    }

    public ModelGraph Build() =>
        new("planning-test", "planning-test.onnx", new Dictionary<string, int> { [""] = 13, ["octet"] = 1 },
            _nodes, _tensors, _inputs, _outputs) { IsShapeInferred = true };
}
