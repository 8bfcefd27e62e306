using Google.Protobuf;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx.Proto;
using Octet.Compiler.Operators;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Onnx;

/// <summary>
/// Reads an ONNX file into a <see cref="ModelGraph"/> before any shape inference: opsets resolved per node,
/// initializers as constants, graph inputs with bound static shapes, nodes in topological order. Rejects,
/// with a message naming the file and the offending node or tensor, anything malformed: truncated or
/// non-protobuf bytes, missing graph, duplicate or dangling tensor names, cycles, unsupported element types.
/// Unknown operators are not rejected here, so that <c>octet inspect</c> can list them; shape inference is
/// what refuses them.
/// </summary>
public static class OnnxGraphReader
{
    /// <summary>Default-domain opsets Octet reads. Operators are still checked version by version.</summary>
    public const int MinDefaultOpset = 7, MaxDefaultOpset = 25;

    /// <summary>Files above this are refused before reading: protobuf cannot hold a message over 2 GB.</summary>
    private const long MaxModelBytes = int.MaxValue;

    public static ModelGraph Read(string path, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        var info = new FileInfo(path);
        if (!info.Exists) throw new OctetException($"{path}: model file does not exist");
        if (info.Length > MaxModelBytes)
            throw new OctetException($"{path}: {info.Length:N0} bytes is larger than a protobuf message can be (2 GB); store weights as external data");
        if (info.Length == 0) throw new OctetException($"{path}: file is empty");

        ModelProto model;
        try
        {
            model = ParseModel(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OctetException($"{path}: not a valid ONNX model: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new OctetException($"{path}: cannot read ({e.Message})", e);
        }
        return Build(model, path, options);
    }

    /// <summary>Parses with protobuf's nesting limit, which bounds the recursion deeply nested subgraphs cause.</summary>
    internal static ModelProto ParseModel(byte[] bytes)
    {
        // CodedInputStream keeps protobuf's default nesting limit (100), so a file of deeply nested
        // subgraphs fails with an exception instead of exhausting the stack.
        var model = new ModelProto();
        model.MergeFrom(new CodedInputStream(bytes));
        return model;
    }

    private static ModelGraph Build(ModelProto model, string path, LoadOptions options)
    {
        if (model.Graph is null)
            throw new OctetException($"{path}: the file has no graph (is it an ONNX model?)");
        var graphProto = model.Graph;
        var modelDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;

        var opsets = ReadOpsets(model, path);
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);

        // Initializers are constants. A name given twice is ambiguous, so it is an error.
        foreach (var init in graphProto.Initializer)
        {
            if (string.IsNullOrEmpty(init.Name)) throw new OctetException($"{path}: an initializer has no name");
            var value = OnnxTensorReader.ToTensor(init, modelDirectory, $"{path}: initializer '{init.Name}'");
            if (!tensors.TryAdd(init.Name, TensorInfo.ForConstant(init.Name, value)))
                throw new OctetException($"{path}: initializer '{init.Name}' is defined twice");
        }
        if (graphProto.SparseInitializer.Count > 0)
            throw new OctetException($"{path}: sparse initializers ('{graphProto.SparseInitializer[0].Values?.Name}') are not supported");

        var warnings = new List<Warning>();
        var inputs = ReadInputs(graphProto, path, options, tensors, warnings);
        var nodes = ReadNodes(graphProto, path, opsets, modelDirectory);
        var sorted = SortTopologically(nodes, tensors, path);

        var outputs = new List<string>();
        var produced = new HashSet<string>(tensors.Keys.Concat(nodes.SelectMany(n => n.Outputs)).Where(n => n.Length > 0));
        foreach (var output in graphProto.Output)
        {
            if (string.IsNullOrEmpty(output.Name)) throw new OctetException($"{path}: a graph output has no name");
            if (!produced.Contains(output.Name))
                throw new OctetException($"{path}: graph output '{output.Name}' is not produced by any node, input or initializer");
            outputs.Add(output.Name);
        }
        if (outputs.Count == 0) throw new OctetException($"{path}: the graph has no outputs");

        var name = string.IsNullOrEmpty(graphProto.Name) ? Path.GetFileNameWithoutExtension(path) : graphProto.Name;
        var result = new ModelGraph(name, path, opsets, sorted, tensors, inputs, outputs);
        result.Warnings.AddRange(warnings);
        return result;
    }

    private static Dictionary<string, int> ReadOpsets(ModelProto model, string path)
    {
        var opsets = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var import in model.OpsetImport)
        {
            var domain = OperatorRegistry.NormalizeDomain(import.Domain ?? "");
            if (import.Version is < 1 or > int.MaxValue)
                throw new OctetException($"{path}: opset import for domain '{DomainName(domain)}' has invalid version {import.Version}");
            if (!opsets.TryAdd(domain, (int)import.Version))
                throw new OctetException($"{path}: domain '{DomainName(domain)}' is imported twice");
        }
        // IR version 1/2 models without opset_import mean opset 1, which predates what Octet reads.
        if (!opsets.TryGetValue("", out var opset))
            throw new OctetException($"{path}: the model imports no default-domain (ai.onnx) opset");
        if (opset is < MinDefaultOpset or > MaxDefaultOpset)
            throw new OctetException($"{path}: ai.onnx opset {opset} is not supported; Octet reads opsets {MinDefaultOpset} through {MaxDefaultOpset}");
        return opsets;
    }

    internal static string DomainName(string domain) => domain.Length == 0 ? "ai.onnx" : domain;

    private static List<string> ReadInputs(GraphProto graph, string path, LoadOptions options, Dictionary<string, TensorInfo> tensors, List<Warning> warnings)
    {
        var inputs = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            if (string.IsNullOrEmpty(input.Name)) throw new OctetException($"{path}: a graph input has no name");
            if (!seen.Add(input.Name)) throw new OctetException($"{path}: graph input '{input.Name}' is listed twice");
            // An input that is also an initializer is a constant with a default value, unless the user wants to feed it.
            if (tensors.ContainsKey(input.Name) && !options.InitializersAsInputs.Contains(input.Name)) continue;

            var type = input.Type?.TensorType
                ?? throw new OctetException($"{path}: graph input '{input.Name}' is not a tensor (sequences and maps are not supported)");
            var elementType = (ElementType)type.ElemType;
            if (!elementType.IsSupported())
                throw new OctetException($"{path}: graph input '{input.Name}' has element type " +
                                         $"{(Enum.IsDefined(elementType) ? elementType.OnnxName() : "code " + type.ElemType)}, which Octet does not support");
            if (options.ConstantInputs.TryGetValue(input.Name, out var known))
            {
                if (known.ElementType != elementType || (type.Shape is not null && type.Shape.Dim.Count != known.Shape.Rank))
                    throw new OctetException($"{path}: the value given for input '{input.Name}' is {known}, the model declares {elementType.OnnxName()} of rank {type.Shape?.Dim.Count}");
                tensors[input.Name] = TensorInfo.ForConstant(input.Name, known);
                continue;
            }
            var shape = BindInputShape(input.Name, type.Shape, options, path, warnings);
            tensors[input.Name] = new TensorInfo(input.Name, elementType, shape);
            inputs.Add(input.Name);
        }
        foreach (var bound in options.Shapes.Shapes.Keys)
            if (!inputs.Contains(bound))
                throw new OctetException($"{path}: --shape binds '{bound}', which is not an input of the model (inputs: {string.Join(", ", inputs)})");
        foreach (var name in options.ConstantInputs.Keys)
            if (!graph.Input.Any(i => i.Name == name))
                throw new OctetException($"{path}: a value is given for '{name}', which is not an input of the model");
        foreach (var name in options.InitializersAsInputs)
            if (!inputs.Contains(name))
                throw new OctetException($"{path}: '{name}' was asked to be an input but is not a graph input that has an initializer");
        return inputs;
    }

    private static Shape BindInputShape(string name, TensorShapeProto? declared, LoadOptions options, string path, List<Warning> warnings)
    {
        options.Shapes.Shapes.TryGetValue(name, out var bound);
        if (declared is null)
        {
            if (bound is null)
                throw new OctetException($"{path}: graph input '{name}' has no declared shape; give one with --shape {name}=D0xD1x...");
            return new Shape(bound);
        }
        if (bound is not null && bound.Length != declared.Dim.Count)
            throw new OctetException($"{path}: --shape {name} has rank {bound.Length} but the model declares rank {declared.Dim.Count}");

        var dims = new long[declared.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = declared.Dim[i];
            // dim_value 0 is a legitimate empty dimension; only dim_param or an unset dim is dynamic.
            bool isStatic = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0;
            string label = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? $" ('{d.DimParam}')" : "";
            if (bound is not null)
            {
                if (isStatic && d.DimValue != bound[i])
                {
                    if (!options.OverrideDeclaredDims)
                        throw new OctetException($"{path}: --shape {name} gives dim {i} = {bound[i]} but the model fixes it to {d.DimValue}");
                    warnings.Add(new Warning($"input '{name}' dim {i}: the model declares {d.DimValue}; replaced by the binding {bound[i]}"));
                }
                dims[i] = bound[i];
            }
            else if (isStatic) dims[i] = d.DimValue;
            else if (i == 0)
            {
                // The leading dim of an input is the batch by ONNX convention; batch 1 is what inference wants.
                dims[i] = 1;
                warnings.Add(new Warning($"input '{name}' dim 0{label} is dynamic; using batch size 1 (bind it with --shape {name}={Example(declared)})"));
            }
            else if (options.BindUnknownDimsToOne)
            {
                dims[i] = 1;
                warnings.Add(new Warning($"input '{name}' dim {i}{label} is dynamic; shown as 1 here, bind it with --shape {name}={Example(declared)} to run the model"));
            }
            else
                throw new OctetException($"{path}: input '{name}' dim {i}{label} is dynamic; bind it with --shape {name}={Example(declared)}");
        }
        return Shape.FromDims(dims, $"{path}: input '{name}'");
    }

    /// <summary>A --shape value to start from: fixed dims as they are, dynamic ones by name, e.g. <c>1x&lt;seq_len&gt;</c>.</summary>
    private static string Example(TensorShapeProto declared) => string.Join("x", declared.Dim.Select((d, i) =>
        d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? d.DimValue.ToString()
        : i == 0 ? "1"
        : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? $"<{d.DimParam}>" : "<D>"));

    private static List<Node> ReadNodes(GraphProto graph, string path, Dictionary<string, int> opsets, string modelDirectory)
    {
        var nodes = new List<Node>(graph.Node.Count);
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < graph.Node.Count; index++)
        {
            var proto = graph.Node[index];
            var opType = proto.OpType ?? "";
            if (opType.Length == 0) throw new OctetException($"{path}: node #{index} ('{proto.Name}') has no op_type");
            // Nodes without names get one that says where they are, so messages can point at them.
            var name = string.IsNullOrEmpty(proto.Name) || !usedNames.Add(proto.Name) ? $"{opType}#{index}" : proto.Name;
            usedNames.Add(name);

            var domain = OperatorRegistry.NormalizeDomain(proto.Domain ?? "");
            if (!opsets.TryGetValue(domain, out var opset))
                throw new OctetException($"{path}: node '{name}' ({opType}) uses domain '{DomainName(domain)}', which the model does not import");
            // Unknown ops keep the domain's opset as their version; shape inference rejects them by name.
            int version = OperatorRegistry.Default.ResolveVersion(domain, opType, opset) ?? opset;

            var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
            foreach (var a in proto.Attribute)
            {
                var attribute = ReadAttribute(a, $"{path}: node '{name}' ({opType}) attribute '{a.Name}'", modelDirectory);
                if (!attributes.TryAdd(a.Name, attribute))
                    throw new OctetException($"{path}: node '{name}' ({opType}) has attribute '{a.Name}' twice");
            }
            nodes.Add(new Node(name, opType, domain, version, proto.Input.ToArray(), proto.Output.ToArray(), attributes));
        }
        return nodes;
    }

    private static Attribute ReadAttribute(AttributeProto a, string what, string modelDirectory)
    {
        if (string.IsNullOrEmpty(a.Name)) throw new OctetException($"{what}: attribute without a name");
        if (a.HasRefAttrName) throw new OctetException($"{what}: refers to a function attribute, which is only valid inside functions");
        var type = a.Type;
        // Very old exporters omit the type; infer it from the field that is set.
        if (type == AttributeProto.Types.AttributeType.Undefined)
        {
            type = a.Floats.Count > 0 ? AttributeProto.Types.AttributeType.Floats
                : a.Ints.Count > 0 ? AttributeProto.Types.AttributeType.Ints
                : a.Strings.Count > 0 ? AttributeProto.Types.AttributeType.Strings
                : a.T is not null ? AttributeProto.Types.AttributeType.Tensor
                : a.G is not null ? AttributeProto.Types.AttributeType.Graph
                : a.HasS ? AttributeProto.Types.AttributeType.String
                : a.HasI ? AttributeProto.Types.AttributeType.Int
                : a.HasF ? AttributeProto.Types.AttributeType.Float
                : throw new OctetException($"{what}: has no type and no value");
        }
        return type switch
        {
            AttributeProto.Types.AttributeType.Float => new Attribute(a.Name, AttributeKind.Float, a.F),
            AttributeProto.Types.AttributeType.Int => new Attribute(a.Name, AttributeKind.Int, a.I),
            AttributeProto.Types.AttributeType.String => new Attribute(a.Name, AttributeKind.String, a.S.ToStringUtf8()),
            AttributeProto.Types.AttributeType.Floats => new Attribute(a.Name, AttributeKind.Floats, a.Floats.ToArray()),
            AttributeProto.Types.AttributeType.Ints => new Attribute(a.Name, AttributeKind.Ints, a.Ints.ToArray()),
            AttributeProto.Types.AttributeType.Strings => new Attribute(a.Name, AttributeKind.Strings, a.Strings.Select(s => s.ToStringUtf8()).ToArray()),
            AttributeProto.Types.AttributeType.Tensor => new Attribute(a.Name, AttributeKind.Tensor,
                OnnxTensorReader.ToTensor(a.T ?? throw new OctetException($"{what}: tensor attribute without a tensor"), modelDirectory, what)),
            AttributeProto.Types.AttributeType.Graph or AttributeProto.Types.AttributeType.Graphs => new Attribute(a.Name, AttributeKind.Graph, null),
            _ => throw new OctetException($"{what}: attribute type {type} is not supported"),
        };
    }

    /// <summary>
    /// Orders nodes so every tensor is produced before it is read (ONNX requires files to be sorted, but
    /// exporters do not always comply). Names read but never produced, tensors produced twice, and cycles
    /// are errors naming the nodes involved.
    /// </summary>
    private static List<Node> SortTopologically(List<Node> nodes, Dictionary<string, TensorInfo> tensors, string path)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            foreach (var output in nodes[i].Outputs)
            {
                if (output.Length == 0) continue;
                if (tensors.ContainsKey(output))
                    throw new OctetException($"{path}: {nodes[i].Describe()} writes '{output}', which is already a graph input or initializer");
                if (!producer.TryAdd(output, i))
                    throw new OctetException($"{path}: tensor '{output}' is produced by both {nodes[producer[output]].Describe()} and {nodes[i].Describe()}");
            }
        }

        var pending = new int[nodes.Count];
        var consumers = new List<int>[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            consumers[i] = new List<int>();
        }
        for (int i = 0; i < nodes.Count; i++)
        {
            foreach (var input in nodes[i].Inputs)
            {
                if (input.Length == 0 || tensors.ContainsKey(input)) continue;
                if (!producer.TryGetValue(input, out var p))
                    throw new OctetException($"{path}: {nodes[i].Describe()} reads tensor '{input}', which no node, graph input or initializer produces");
                pending[i]++;
                consumers[p].Add(i);
            }
        }

        // Kahn's algorithm, taking ready nodes in file order so an already sorted file keeps its order.
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<Node>(nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(nodes[i]);
            foreach (var c in consumers[i])
                if (--pending[c] == 0) ready.Enqueue(c, c);
        }
        if (order.Count != nodes.Count)
        {
            var stuck = Enumerable.Range(0, nodes.Count).Where(i => pending[i] > 0).Take(5).Select(i => nodes[i].Describe());
            throw new OctetException($"{path}: the graph has a cycle; nodes that depend on themselves include {string.Join(", ", stuck)}");
        }
        return order;
    }
}
