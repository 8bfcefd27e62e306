using Octet.Compiler.Diagnostics;

namespace Octet.Compiler.Graph;

/// <summary>
/// The one graph representation every stage of Octet reads and transforms: nodes in a topological order,
/// every named tensor with its element type and static shape (constants carry their values), the graph's
/// inputs and outputs, and the opset each domain was imported at.
/// </summary>
public sealed class ModelGraph
{
    public ModelGraph(string name, string sourcePath, Dictionary<string, int> opsetImports,
        List<Node> nodes, Dictionary<string, TensorInfo> tensors, List<string> inputs, List<string> outputs)
    {
        Name = name;
        SourcePath = sourcePath;
        OpsetImports = opsetImports;
        Nodes = nodes;
        Tensors = tensors;
        Inputs = inputs;
        Outputs = outputs;
    }

    public string Name { get; }
    /// <summary>The model file this graph came from, for messages.</summary>
    public string SourcePath { get; }
    /// <summary>Domain ("" = ai.onnx) → imported opset version.</summary>
    public Dictionary<string, int> OpsetImports { get; }
    public List<Node> Nodes { get; }
    public Dictionary<string, TensorInfo> Tensors { get; }
    /// <summary>Graph inputs the caller supplies (initializers are not listed here).</summary>
    public List<string> Inputs { get; }
    public List<string> Outputs { get; }
    public List<Warning> Warnings { get; } = new();

    /// <summary>True once every tensor has a static type and shape and constants are folded.</summary>
    public bool IsShapeInferred { get; set; }

    public int DefaultOpset => OpsetImports.TryGetValue("", out var v) ? v : 0;

    /// <summary>
    /// A copy whose node list, tensor table, inputs and outputs can be changed without touching this graph.
    /// Nodes, tensor infos and constant values are immutable and shared.
    /// </summary>
    public ModelGraph Clone()
    {
        var copy = new ModelGraph(Name, SourcePath, new Dictionary<string, int>(OpsetImports), new List<Node>(Nodes),
            new Dictionary<string, TensorInfo>(Tensors), new List<string>(Inputs), new List<string>(Outputs))
        {
            IsShapeInferred = IsShapeInferred,
        };
        copy.Warnings.AddRange(Warnings);
        return copy;
    }

    /// <summary>The nodes that read <paramref name="tensor"/>, in graph order.</summary>
    public List<Node> Consumers(string tensor) => Nodes.Where(n => n.Inputs.Contains(tensor)).ToList();

    /// <summary>The node that writes <paramref name="tensor"/>, or null for inputs and constants.</summary>
    public Node? Producer(string tensor) => Nodes.FirstOrDefault(n => n.Outputs.Contains(tensor));

    /// <summary>A tensor name not used yet, derived from <paramref name="stem"/>.</summary>
    public string UniqueName(string stem)
    {
        if (!Tensors.ContainsKey(stem)) return stem;
        for (int i = 1; ; i++)
            if (!Tensors.ContainsKey($"{stem}_{i}")) return $"{stem}_{i}";
    }

    public TensorInfo Tensor(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw OctetException.AtTensor(name, "is not defined in the graph");

    /// <summary>
    /// Number of parameters: elements of the constant tensors nodes read, leaving out int64 constants,
    /// which are shapes, axes and indices rather than weights.
    /// </summary>
    public long ParameterCount()
    {
        var used = new HashSet<string>(Nodes.SelectMany(n => n.Inputs).Where(i => i.Length > 0));
        return Tensors.Values
            .Where(t => t.IsConstant && t.ElementType != ElementType.Int64 && used.Contains(t.Name))
            .Sum(t => t.Shape.ElementCount);
    }
}
