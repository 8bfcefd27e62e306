using Octet.Compiler.Diagnostics;

namespace Octet.Compiler.Graph;

/// <summary>
/// One operator application. <see cref="Inputs"/> and <see cref="Outputs"/> name tensors of the graph; an
/// empty name is an omitted optional input or output, as in ONNX. <see cref="OpsetVersion"/> is the
/// operator version the node resolves to (the newest version of the op not newer than the model's opset
/// for its domain), recorded when the graph is built.
/// </summary>
public sealed class Node
{
    public Node(string name, string opType, string domain, int opsetVersion,
        IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyDictionary<string, Attribute> attributes)
    {
        Name = name;
        OpType = opType;
        Domain = domain;
        OpsetVersion = opsetVersion;
        Inputs = inputs;
        Outputs = outputs;
        Attributes = attributes;
    }

    public string Name { get; }
    public string OpType { get; }
    /// <summary>"" for the default ONNX domain (ai.onnx), else e.g. "com.microsoft".</summary>
    public string Domain { get; }
    public int OpsetVersion { get; }
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public IReadOnlyDictionary<string, Attribute> Attributes { get; }

    /// <summary><c>node 'conv1' (Conv, opset 11)</c>, the prefix of every message about this node.</summary>
    public string Describe() =>
        $"node '{Name}' ({(Domain.Length > 0 ? Domain + "." : "")}{OpType}, opset {OpsetVersion})";

    public bool HasInput(int index) => index < Inputs.Count && Inputs[index].Length > 0;
    public bool HasAttribute(string name) => Attributes.ContainsKey(name);

    public long GetInt(string name, long defaultValue) => TryGet(name, AttributeKind.Int, out var v) ? (long)v! : defaultValue;
    public long GetInt(string name) => (long)Require(name, AttributeKind.Int);
    public float GetFloat(string name, float defaultValue) => TryGet(name, AttributeKind.Float, out var v) ? (float)v! : defaultValue;
    public string GetString(string name, string defaultValue) => TryGet(name, AttributeKind.String, out var v) ? (string)v! : defaultValue;
    public long[]? GetInts(string name) => TryGet(name, AttributeKind.Ints, out var v) ? (long[])v! : null;
    public float[]? GetFloats(string name) => TryGet(name, AttributeKind.Floats, out var v) ? (float[])v! : null;
    public Tensor? GetTensor(string name) => TryGet(name, AttributeKind.Tensor, out var v) ? (Tensor)v! : null;

    private bool TryGet(string name, AttributeKind kind, out object? value)
    {
        if (!Attributes.TryGetValue(name, out var attribute)) { value = null; return false; }
        if (attribute.Kind != kind)
            throw OctetException.AtNode(this, $"attribute '{name}' is {attribute.Kind}, expected {kind}");
        value = attribute.Value;
        return true;
    }

    private object Require(string name, AttributeKind kind) =>
        TryGet(name, kind, out var v) ? v! : throw OctetException.AtNode(this, $"required attribute '{name}' is missing");

    public override string ToString() => Describe();
}
