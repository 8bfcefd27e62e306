using Octet.Compiler.Analysis;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;

namespace Octet.Compiler.Reference;

/// <summary>
/// Runs a shape-inferred graph with the operators' float32 reference kernels, one node after another on
/// one thread. It is the specification optimized code is tested against, and what calibration runs on.
/// Each result is checked against the type and shape inference gave it, so an inconsistency between an
/// operator's inference and its kernel surfaces as an error naming the node.
/// </summary>
public sealed class ReferenceExecutor
{
    private readonly ModelGraph _graph;
    private readonly OperatorDefinition[] _definitions;
    /// <summary>For each node, the non-constant tensors whose last reader it is: freed after it runs.</summary>
    private readonly List<string>[] _releaseAfter;

    public ReferenceExecutor(ModelGraph graph, OperatorRegistry? registry = null)
    {
        if (!graph.IsShapeInferred) throw new ArgumentException("the graph must be shape-inferred first (use OnnxModelLoader.Load)");
        registry ??= OperatorRegistry.Default;
        _graph = graph;
        _definitions = graph.Nodes.Select(n => ShapeInference.Resolve(n, graph, registry)).ToArray();

        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var input in graph.Nodes[i].Inputs)
                if (input.Length > 0) lastUse[input] = i;
        _releaseAfter = Enumerable.Range(0, graph.Nodes.Count).Select(_ => new List<string>()).ToArray();
        var keep = new HashSet<string>(graph.Outputs, StringComparer.Ordinal);
        foreach (var (name, node) in lastUse)
            if (!keep.Contains(name) && !graph.Tensor(name).IsConstant) _releaseAfter[node].Add(name);
    }

    public ModelGraph Graph => _graph;

    /// <summary>
    /// Runs the graph. <paramref name="inputs"/> must hold exactly the graph's inputs with their inferred
    /// types and shapes. <paramref name="observe"/>, if given, sees every node output as it is computed
    /// (calibration collects ranges this way).
    /// </summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, Action<string, Tensor>? observe = null)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in _graph.Inputs)
        {
            var info = _graph.Tensor(name);
            if (!inputs.TryGetValue(name, out var value))
                throw OctetException.AtTensor(name, $"graph input is missing (expected {info.ElementType.OnnxName()}{info.Shape})");
            if (value.ElementType != info.ElementType || value.Shape != info.Shape)
                throw OctetException.AtTensor(name, $"input is {value} but the model expects {info.ElementType.OnnxName()}{info.Shape}");
            values[name] = value;
        }
        foreach (var name in inputs.Keys)
            if (!_graph.Inputs.Contains(name))
                throw OctetException.AtTensor(name, $"is not an input of the model (inputs: {string.Join(", ", _graph.Inputs)})");

        for (int i = 0; i < _graph.Nodes.Count; i++)
        {
            var node = _graph.Nodes[i];
            var nodeInputs = node.Inputs.Select(name => name.Length == 0 ? null : Lookup(values, name)).ToList();
            var context = new KernelContext(node, nodeInputs);
            ShapeInference.Guard(node, "execution", () => _definitions[i].Execute(context));
            for (int k = 0; k < node.Outputs.Count; k++)
            {
                var name = node.Outputs[k];
                if (name.Length == 0) continue;
                var value = context.Output(k) ?? throw OctetException.AtNode(node, $"kernel produced no value for output '{name}'");
                var info = _graph.Tensor(name);
                if (value.ElementType != info.ElementType || value.Shape != info.Shape)
                    throw OctetException.AtNode(node, $"internal error: output '{name}' was inferred as {info.ElementType.OnnxName()}{info.Shape} but computed as {value}");
                values[name] = value;
                observe?.Invoke(name, value);
            }
            foreach (var dead in _releaseAfter[i]) values.Remove(dead);
        }

        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in _graph.Outputs) outputs[name] = Lookup(values, name);
        return outputs;
    }

    private Tensor Lookup(Dictionary<string, Tensor> values, string name) =>
        values.TryGetValue(name, out var v) ? v
        : _graph.Tensor(name).ConstantValue ?? throw OctetException.AtTensor(name, "has no value (internal error: not computed yet)");
}
