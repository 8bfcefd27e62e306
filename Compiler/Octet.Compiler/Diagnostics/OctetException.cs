namespace Octet.Compiler.Diagnostics;

/// <summary>
/// The one exception type Octet throws for problems in what the user gave it: a model file, a shape
/// binding, an input. The message always says where the problem is (file, node, tensor) so a build log or
/// a terminal shows something actionable; callers at the edges (CLI, MSBuild task) print it without a
/// stack trace.
/// </summary>
public sealed class OctetException : Exception
{
    public OctetException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Builds the message for a problem at a node: <c>node 'conv1' (Conv, opset 11): ...</c>.</summary>
    public static OctetException AtNode(Graph.Node node, string problem) =>
        new($"{node.Describe()}: {problem}");

    /// <summary>Builds the message for a problem with a tensor: <c>tensor 'x': ...</c>.</summary>
    public static OctetException AtTensor(string tensorName, string problem) =>
        new($"tensor '{tensorName}': {problem}");
}
