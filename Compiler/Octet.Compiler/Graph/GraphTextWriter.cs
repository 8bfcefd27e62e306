using System.Globalization;
using System.Text;

namespace Octet.Compiler.Graph;

/// <summary>
/// A readable, deterministic text form of a <see cref="ModelGraph"/>: what tests compare and what
/// <c>octet inspect --graph</c> prints. One line per node:
/// <code>
///   Conv 'conv1' v11 (x: float[1,3,224,224], w: float[64,3,7,7] const) -> (y: float[1,64,112,112]) kernel_shape=[7,7] strides=[2,2]
/// </code>
/// </summary>
public static class GraphTextWriter
{
    public static string Write(ModelGraph graph)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"graph '{graph.Name}'");
        text.Append(" opsets: ").AppendJoin(", ", graph.OpsetImports.OrderBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}")).AppendLine();
        text.AppendLine("inputs:");
        foreach (var name in graph.Inputs) text.Append("  ").AppendLine(Describe(graph, name));
        text.AppendLine("outputs:");
        foreach (var name in graph.Outputs) text.Append("  ").AppendLine(Describe(graph, name));
        var constants = graph.Tensors.Values.Where(t => t.IsConstant).ToList();
        text.AppendLine(CultureInfo.InvariantCulture, $"constants: {constants.Count} tensors, {graph.ParameterCount()} parameters used by nodes");
        text.AppendLine(CultureInfo.InvariantCulture, $"nodes: {graph.Nodes.Count}");
        foreach (var node in graph.Nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType} '{node.Name}' v{node.OpsetVersion} (");
            text.AppendJoin(", ", node.Inputs.Select(i => i.Length == 0 ? "-" : Describe(graph, i)));
            text.Append(") -> (");
            text.AppendJoin(", ", node.Outputs.Select(o => o.Length == 0 ? "-" : Describe(graph, o)));
            text.Append(')');
            foreach (var attribute in node.Attributes.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
                text.Append(' ').Append(attribute);
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Describe(ModelGraph graph, string name) =>
        graph.Tensors.TryGetValue(name, out var t)
            ? $"{name}: {t.ElementType.OnnxName()}{t.Shape}{(t.IsConstant ? " const" : "")}"
            : $"{name}: ?";
}
