using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>
/// The questions a fusion asks of a shape-inferred graph while matching: who reads a tensor, which node
/// writes it, whether an input is a constant scalar of a given value. Consumer lists are computed once per
/// match pass (the graph is not changed while matching).
/// </summary>
internal sealed class PatternGraph
{
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _producers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs;

    public PatternGraph(ModelGraph graph)
    {
        Graph = graph;
        foreach (var node in graph.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                if (input.Length == 0) continue;
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<Node>();
                if (!list.Contains(node)) list.Add(node);
            }
            foreach (var output in node.Outputs)
                if (output.Length > 0) _producers[output] = node;
        }
        _outputs = new HashSet<string>(graph.Outputs, StringComparer.Ordinal);
    }

    public ModelGraph Graph { get; }

    public IReadOnlyList<Node> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>The default-domain node of type <paramref name="opType"/> that writes <paramref name="tensor"/>, or null.</summary>
    public Node? Producer(string tensor, string opType) =>
        _producers.TryGetValue(tensor, out var node) && node.Domain.Length == 0 && node.OpType == opType ? node : null;

    /// <summary>
    /// True when <paramref name="tensor"/> is an intermediate value only the given nodes read: not a graph
    /// output, so fusing its producer and readers away cannot change what anyone else sees.
    /// </summary>
    public bool OnlyReadBy(string tensor, params Node[] readers) =>
        !_outputs.Contains(tensor) && Consumers(tensor).All(readers.Contains);

    /// <summary>The value of a float constant with exactly one element, or null.</summary>
    public double? ScalarConstant(string tensor)
    {
        if (tensor.Length == 0) return null;
        var info = Graph.Tensor(tensor);
        if (info.ConstantValue is not { ElementType: ElementType.Float32 or ElementType.Float64 } value || value.ElementCount != 1) return null;
        return value.GetAsDouble(0);
    }

    /// <summary>True when input <paramref name="tensor"/> is a one-element float constant equal to <paramref name="expected"/> to float32 precision.</summary>
    public bool IsScalar(string tensor, double expected) =>
        ScalarConstant(tensor) is { } value && Matches(value, expected);

    /// <summary>
    /// Whether a constant stored in float32 is the float32 rounding of <paramref name="expected"/>: a relative
    /// tolerance of 1e-6 covers the one rounding (2^-24 ≈ 6e-8) and exports that print 8 significant digits.
    /// </summary>
    public static bool Matches(double value, double expected) =>
        expected == 0 ? value == 0 : Math.Abs(value - expected) <= 1e-6 * Math.Abs(expected);

    /// <summary>
    /// For a binary node reading <paramref name="tensor"/> once, the other input; null when the node reads it
    /// twice or not at all.
    /// </summary>
    public static string? OtherInput(Node binary, string tensor)
    {
        if (binary.Inputs.Count != 2) return null;
        if (binary.Inputs[0] == tensor && binary.Inputs[1] != tensor) return binary.Inputs[1];
        if (binary.Inputs[1] == tensor && binary.Inputs[0] != tensor) return binary.Inputs[0];
        return null;
    }

    /// <summary>The single default-domain reader of <paramref name="tensor"/> of the given type, when it has exactly one reader and is not a graph output.</summary>
    public Node? SoleConsumer(string tensor, string opType)
    {
        if (_outputs.Contains(tensor)) return null;
        var consumers = Consumers(tensor);
        return consumers.Count == 1 && consumers[0].Domain.Length == 0 && consumers[0].OpType == opType ? consumers[0] : null;
    }
}
