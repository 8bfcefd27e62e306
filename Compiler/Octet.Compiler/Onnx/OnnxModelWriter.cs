using Google.Protobuf;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx.Proto;
using Octet.Compiler.Operators;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Onnx;

/// <summary>
/// Writes a <see cref="ModelGraph"/> back out as a standard ONNX model that ONNX Runtime and Netron open:
/// constants that nodes read (or that are graph outputs) as raw_data initializers, graph inputs and outputs
/// with their element types and static shapes, value_info for every intermediate tensor, and the nodes in
/// graph (topological) order. The same graph always gives the same bytes: initializers appear in the order
/// nodes first read them, attributes sorted by name, opset imports sorted by domain.
/// <para>
/// What ONNX cannot express is refused with an <see cref="OctetException"/> naming the node or tensor:
/// Octet's own lowered integer operators (domain "octet"), graph-valued attributes, tensors without a
/// type (a graph that has not been through shape inference), names nothing provides.
/// </para>
/// </summary>
public static class OnnxModelWriter
{
    public const string ProducerName = "octet";

    /// <summary>Domain of Octet's lowered integer operators, which only Octet executes.</summary>
    private const string OctetDomain = "octet";

    /// <summary>
    /// Writes the model to <paramref name="path"/>. The bytes go to a temporary file beside it first and are
    /// moved into place at the end, so a failure never leaves a half-written model under the real name.
    /// </summary>
    public static void Write(ModelGraph graph, string path)
    {
        var bytes = ToBytes(graph);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new OctetException($"{path}: folder '{folder}' does not exist");
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new OctetException($"{path}: cannot write ({e.Message})", e);
        }
    }

    /// <summary>The serialized ModelProto.</summary>
    public static byte[] ToBytes(ModelGraph graph)
    {
        var model = ToProto(graph);
        // Protobuf messages cannot exceed 2 GB; larger weights would need external data, which is not written.
        long size = model.Graph.Initializer.Sum(i => (long)i.RawData.Length);
        if (size > int.MaxValue)
            throw new OctetException($"model '{graph.Name}': {size:N0} bytes of constants do not fit in one protobuf message (2 GB); external data is not written");
        return model.ToByteArray();
    }

    internal static ModelProto ToProto(ModelGraph graph)
    {
        // "" and "ai.onnx" both name the default domain; files spell it "".
        var imports = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (domain, version) in graph.OpsetImports)
            if (!imports.TryAdd(OperatorRegistry.NormalizeDomain(domain), version))
                throw new OctetException($"model '{graph.Name}': the default domain is imported twice (as '' and as 'ai.onnx')");
        var model = new ModelProto
        {
            IrVersion = IrVersionFor(imports.GetValueOrDefault("")),
            ProducerName = ProducerName,
            Graph = new GraphProto { Name = graph.Name },
        };
        foreach (var (domain, version) in imports)
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });

        var proto = model.Graph;
        var produced = CheckNodes(graph);

        // Initializers in the order the graph first reads them, then constant graph outputs: a stable order
        // that follows the graph, so the file reads top to bottom like the node list.
        var written = new HashSet<string>(StringComparer.Ordinal);
        void AddInitializer(string name)
        {
            if (produced.Contains(name) || !written.Add(name)) return;
            var info = graph.Tensor(name);
            proto.Initializer.Add(OnnxTensorReader.ToProto(name, info.ConstantValue!));
        }

        var inputs = new HashSet<string>(graph.Inputs, StringComparer.Ordinal);
        foreach (var name in graph.Inputs)
        {
            var info = TypedTensor(graph, name, "graph input");
            if (info.IsConstant)
                throw OctetException.AtTensor(name, "is listed as a graph input but is a constant");
            proto.Input.Add(ValueInfo(info));
        }

        // ONNX files list nodes in topological order; a graph that is not is refused rather than written invalid.
        var producedSoFar = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            foreach (var input in node.Inputs)
            {
                if (input.Length == 0 || producedSoFar.Contains(input) || inputs.Contains(input)) continue;
                if (produced.Contains(input))
                    throw OctetException.AtNode(node, $"reads tensor '{input}' before the node that writes it: the nodes are not in topological order");
                if (!graph.Tensors.TryGetValue(input, out var info) || !info.IsConstant)
                    throw OctetException.AtNode(node, $"reads tensor '{input}', which no node, graph input or constant provides");
                AddInitializer(input);
            }
            producedSoFar.UnionWith(node.Outputs.Where(o => o.Length > 0));
            proto.Node.Add(NodeProto(node));
        }

        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in graph.Outputs)
        {
            var info = TypedTensor(graph, name, "graph output");
            if (!outputs.Add(name))
                throw OctetException.AtTensor(name, "is listed twice as a graph output");
            if (!produced.Contains(name) && !inputs.Contains(name))
            {
                if (!info.IsConstant)
                    throw OctetException.AtTensor(name, "is a graph output that no node, graph input or constant provides");
                AddInitializer(name);
            }
            proto.Output.Add(ValueInfo(info));
        }

        // Every other tensor a node writes gets its type and shape recorded, in the order nodes write them.
        foreach (var node in graph.Nodes)
        foreach (var output in node.Outputs)
        {
            if (output.Length == 0 || outputs.Contains(output)) continue;
            proto.ValueInfo.Add(ValueInfo(TypedTensor(graph, output, $"output of {node.Describe()}")));
        }
        return model;
    }

    /// <summary>
    /// Checks every node for what ONNX cannot hold and returns the names the nodes produce. A name produced
    /// twice would make an invalid file, so it is refused here rather than by whoever opens the file.
    /// </summary>
    private static HashSet<string> CheckNodes(ModelGraph graph)
    {
        var produced = new HashSet<string>(StringComparer.Ordinal);
        var inputs = new HashSet<string>(graph.Inputs, StringComparer.Ordinal);
        var octetNodes = graph.Nodes.Where(n => n.Domain == OctetDomain).ToList();
        if (octetNodes.Count > 0)
            throw new OctetException(
                $"model '{graph.Name}': {octetNodes.Count} node(s) are Octet's lowered integer operators (domain 'octet'), " +
                $"which are not ONNX, e.g. {octetNodes[0].Describe()}; write the graph before integer lowering (e.g. in QDQ form)");
        foreach (var node in graph.Nodes)
        {
            var domain = OperatorRegistry.NormalizeDomain(node.Domain);
            if (!graph.OpsetImports.TryGetValue(domain, out var imported) && !graph.OpsetImports.TryGetValue(OnnxGraphReader.DomainName(domain), out imported))
                throw OctetException.AtNode(node, $"uses domain '{OnnxGraphReader.DomainName(domain)}', which the graph does not import");
            // A file records only the opset import, and a reader resolves each node's version from it. A node whose
            // recorded version is another one (say Softmax-1 under an opset-13 import, after an opset was raised) would
            // be read back as a different operator, so the mismatch is refused here. Ops the registry does not know
            // can only be checked against the import itself.
            int? resolved = OperatorRegistry.Default.ResolveVersion(domain, node.OpType, imported);
            if (node.OpsetVersion > imported || (resolved is { } version && version != node.OpsetVersion))
                throw OctetException.AtNode(node, $"is version {node.OpsetVersion} of {node.OpType}, but the graph imports " +
                                                  $"{OnnxGraphReader.DomainName(domain)} opset {imported}, where {node.OpType} is " +
                                                  $"{(resolved is { } v ? "version " + v : "not defined")}: the file would mean another operator");
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0) continue;
                if (!produced.Add(output))
                    throw OctetException.AtNode(node, $"writes tensor '{output}', which another node also writes");
                if (inputs.Contains(output))
                    throw OctetException.AtNode(node, $"writes tensor '{output}', which is a graph input");
            }
        }
        return produced;
    }

    private static TensorInfo TypedTensor(ModelGraph graph, string name, string role)
    {
        if (!graph.Tensors.TryGetValue(name, out var info))
            throw OctetException.AtTensor(name, $"({role}) has no type or shape; shape inference must run before the graph is written");
        if (info.ElementType == ElementType.Undefined)
            throw OctetException.AtTensor(name, $"({role}) has an undefined element type");
        return info;
    }

    private static ValueInfoProto ValueInfo(TensorInfo info)
    {
        // A shape with no dims is a scalar (rank 0), which is not the same as a shape left out (rank unknown):
        // the TensorShapeProto is always present.
        var shape = new TensorShapeProto();
        foreach (var dim in info.Shape.ToLongArray())
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        return new ValueInfoProto
        {
            Name = info.Name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)info.ElementType, Shape = shape } },
        };
    }

    private static NodeProto NodeProto(Node node)
    {
        var proto = new NodeProto { Name = node.Name, OpType = node.OpType };
        var domain = OperatorRegistry.NormalizeDomain(node.Domain);
        if (domain.Length > 0) proto.Domain = domain;
        proto.Input.AddRange(node.Inputs);
        proto.Output.AddRange(node.Outputs);
        foreach (var attribute in node.Attributes.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
            proto.Attribute.Add(AttributeProto(node, attribute));
        return proto;
    }

    private static AttributeProto AttributeProto(Node node, Attribute attribute)
    {
        var proto = new AttributeProto { Name = attribute.Name };
        switch (attribute.Kind)
        {
            case AttributeKind.Float:
                proto.Type = Proto.AttributeProto.Types.AttributeType.Float;
                proto.F = (float)attribute.Value!;
                break;
            case AttributeKind.Int:
                proto.Type = Proto.AttributeProto.Types.AttributeType.Int;
                proto.I = (long)attribute.Value!;
                break;
            case AttributeKind.String:
                proto.Type = Proto.AttributeProto.Types.AttributeType.String;
                proto.S = ByteString.CopyFromUtf8((string)attribute.Value!);
                break;
            case AttributeKind.Tensor:
                proto.Type = Proto.AttributeProto.Types.AttributeType.Tensor;
                proto.T = OnnxTensorReader.ToProto("", (Tensor)attribute.Value!);
                proto.T.ClearName();
                break;
            case AttributeKind.Floats:
                proto.Type = Proto.AttributeProto.Types.AttributeType.Floats;
                proto.Floats.AddRange((float[])attribute.Value!);
                break;
            case AttributeKind.Ints:
                proto.Type = Proto.AttributeProto.Types.AttributeType.Ints;
                proto.Ints.AddRange((long[])attribute.Value!);
                break;
            case AttributeKind.Strings:
                proto.Type = Proto.AttributeProto.Types.AttributeType.Strings;
                proto.Strings.AddRange(((string[])attribute.Value!).Select(ByteString.CopyFromUtf8));
                break;
            default:
                // The reader keeps graph attributes by kind only (no supported operator takes one): the body is gone.
                throw OctetException.AtNode(node, $"attribute '{attribute.Name}' is a graph (subgraph body), which Octet does not keep and cannot write");
        }
        return proto;
    }

    /// <summary>
    /// The IR version that came with a default-domain opset (ONNX's release table), but at least 4: from IR 4 on,
    /// initializers need not be listed as graph inputs, and when they are not, ONNX Runtime treats them as
    /// constants it may fold, as Octet does.
    /// </summary>
    internal static long IrVersionFor(int opset) => opset switch
    {
        <= 9 => 4,
        10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        23 => 11,
        24 => 12,
        _ => 13,   // opset 25 (ONNX 1.20); ONNX Runtime 1.30 reads it
    };
}
