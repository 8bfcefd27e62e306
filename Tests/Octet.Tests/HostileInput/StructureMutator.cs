using Google.Protobuf;
using Octet.Compiler.Onnx.Proto;
using Octet.Compiler.Operators;
using AttributeType = Octet.Compiler.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace Octet.Tests.HostileInput;

/// <summary>
/// Mutates a parsed model the way a buggy exporter or a malicious author might: dims and element types
/// changed, attributes given other values or other types, nodes removed, duplicated or reordered, tensor
/// references renamed or swapped, cycles made, op types and opsets changed, initializers truncated. The
/// result is still well-formed protobuf, so each mutant reaches the loader's checks and the operators'
/// shape inference instead of stopping at the parser.
/// </summary>
internal static class StructureMutator
{
    private static readonly long[] InterestingInts =
        [0, 1, -1, 2, 3, -2, 7, 64, 1000, -1000, int.MaxValue, int.MinValue, 1L << 31, 1L << 40, long.MaxValue, long.MinValue];

    private static readonly float[] InterestingFloats =
        [0f, -0f, 1f, -1f, 0.5f, 1e-30f, 1e30f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue];

    private static readonly string[] InterestingStrings =
        ["", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "nearest", "linear", "cubic", "half_pixel", "asymmetric", "DCR", "CRD", "none", "tanh", "\u00ff\u0000garbage"];

    private static readonly string[] AttributeNames =
        ["axis", "axes", "perm", "strides", "pads", "dilations", "kernel_shape", "group", "auto_pad", "alpha", "beta", "epsilon",
         "transA", "transB", "keepdims", "to", "mode", "ceil_mode", "count_include_pad", "storage_order", "allowzero", "value", "approximate"];

    private static readonly Lazy<string[]> OperatorTypes = new(() =>
        OperatorRegistry.Default.Definitions.Where(d => d.Domain.Length == 0).Select(d => d.OpType).ToArray());

    private delegate string? Mutation(ModelProto model, Random random);

    private static readonly (string Name, Mutation Apply)[] Mutations =
    [
        ("dim", ChangeDim),
        ("initializer dims", ChangeInitializerDims),
        ("data type", ChangeDataType),
        ("attribute value", ChangeAttributeValue),
        ("attribute type", ChangeAttributeType),
        ("add/remove attribute", AddOrRemoveAttribute),
        ("remove node", RemoveNode),
        ("duplicate node", DuplicateNode),
        ("reorder nodes", ReorderNodes),
        ("rename reference", RenameReference),
        ("swap inputs", SwapInputs),
        ("cycle", MakeCycle),
        ("op type", ChangeOpType),
        ("opset", ChangeOpset),
        ("graph inputs/outputs", ChangeGraphInputsOrOutputs),
        ("initializer data", ChangeInitializerData),
        ("node arity", ChangeNodeArity),
    ];

    public static (byte[] Bytes, string Description) Mutate(ModelProto original, Random random)
    {
        var model = original.Clone();
        var steps = new List<string>();
        int count = random.Next(10) switch { < 7 => 1, < 9 => 2, _ => 3 };
        for (int attempt = 0; steps.Count < count && attempt < 20; attempt++)
        {
            var (name, apply) = Mutations[random.Next(Mutations.Length)];
            // A mutation that finds nothing to act on (no attributes, no initializers, …) returns null.
            if (apply(model, random) is { } what) steps.Add($"{name}: {what}");
        }
        return (model.ToByteArray(), steps.Count == 0 ? "no applicable mutation" : string.Join("; ", steps));
    }

    // ---- Shapes and types ----

    private static string? ChangeDim(ModelProto model, Random random)
    {
        var infos = model.Graph.Input.Concat(model.Graph.Output).Concat(model.Graph.ValueInfo)
            .Where(v => v.Type?.TensorType?.Shape is not null).ToList();
        if (infos.Count == 0) return null;
        var info = infos[random.Next(infos.Count)];
        var dims = info.Type.TensorType.Shape.Dim;
        switch (random.Next(5))
        {
            case 0 when dims.Count > 0:
            {
                int i = random.Next(dims.Count);
                var value = AnyInt(random);
                dims[i] = new TensorShapeProto.Types.Dimension { DimValue = value };
                return $"'{info.Name}' dim {i} = {value}";
            }
            case 1 when dims.Count > 0:
            {
                int i = random.Next(dims.Count);
                dims[i] = random.Next(2) == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "unknown" } : new TensorShapeProto.Types.Dimension();
                return $"'{info.Name}' dim {i} made dynamic";
            }
            case 2:
            {
                dims.Insert(random.Next(dims.Count + 1), new TensorShapeProto.Types.Dimension { DimValue = random.Next(1, 4) });
                return $"'{info.Name}' gains a dim";
            }
            case 3 when dims.Count > 0:
            {
                dims.RemoveAt(random.Next(dims.Count));
                return $"'{info.Name}' loses a dim";
            }
            default:
            {
                info.Type.TensorType.Shape = null;
                return $"'{info.Name}' loses its shape";
            }
        }
    }

    private static string? ChangeInitializerDims(ModelProto model, Random random)
    {
        var tensor = PickTensor(model, random);
        if (tensor is null) return null;
        var dims = tensor.Dims;
        long count = 1;
        foreach (var d in dims) count *= d;
        switch (random.Next(4))
        {
            case 0 when dims.Count >= 2:
            {
                // Same element count, other layout: the data still fits, the operator sees another shape.
                int a = random.Next(dims.Count), b = random.Next(dims.Count);
                (dims[a], dims[b]) = (dims[b], dims[a]);
                return $"'{tensor.Name}' dims {a} and {b} swapped";
            }
            case 1:
            {
                dims.Clear();
                if (random.Next(2) == 0) dims.Add(count);
                else { dims.Add(1); dims.Add(count); dims.Add(1); }
                return $"'{tensor.Name}' reshaped to [{string.Join(",", dims)}]";
            }
            case 2 when dims.Count > 0:
            {
                int i = random.Next(dims.Count);
                dims[i] = InterestingInts[random.Next(InterestingInts.Length)];
                return $"'{tensor.Name}' dim {i} = {dims[i]}";
            }
            default:
                dims.Clear();
                return $"'{tensor.Name}' made a scalar";
        }
    }

    private static string? ChangeDataType(ModelProto model, Random random)
    {
        int code = random.Next(4) == 0 ? (int)InterestingInts[random.Next(InterestingInts.Length)] : random.Next(0, 25);
        switch (random.Next(3))
        {
            case 0 when PickTensor(model, random) is { } tensor:
                tensor.DataType = code;
                return $"'{tensor.Name}' data_type = {code}";
            case 1 when model.Graph.Input.Count > 0:
            {
                var input = model.Graph.Input[random.Next(model.Graph.Input.Count)];
                if (input.Type?.TensorType is null) return null;
                input.Type.TensorType.ElemType = code;
                return $"input '{input.Name}' elem_type = {code}";
            }
            default:
            {
                // Cast's 'to', and any other attribute that names an element type.
                var node = PickNode(model, random, n => n.Attribute.Any(a => a.Name is "to" or "output_dtype" or "dtype"));
                if (node is null) return null;
                var attribute = node.Attribute.First(a => a.Name is "to" or "output_dtype" or "dtype");
                attribute.I = code;
                return $"node '{node.Name}' {attribute.Name} = {code}";
            }
        }
    }

    // ---- Attributes ----

    private static string? ChangeAttributeValue(ModelProto model, Random random)
    {
        var node = PickNode(model, random, n => n.Attribute.Count > 0);
        if (node is null) return null;
        var a = node.Attribute[random.Next(node.Attribute.Count)];
        string where = $"node '{node.Name}' ({node.OpType}) '{a.Name}'";
        switch (a.Type)
        {
            case AttributeType.Int:
                a.I = AnyInt(random);
                return $"{where} = {a.I}";
            case AttributeType.Float:
                a.F = InterestingFloats[random.Next(InterestingFloats.Length)];
                return $"{where} = {a.F}";
            case AttributeType.String:
                a.S = ByteString.CopyFromUtf8(InterestingStrings[random.Next(InterestingStrings.Length)]);
                return $"{where} = \"{a.S.ToStringUtf8()}\"";
            case AttributeType.Ints:
                return $"{where}: {MutateList(a.Ints, random, () => AnyInt(random))}";
            case AttributeType.Floats:
                return $"{where}: {MutateList(a.Floats, random, () => InterestingFloats[random.Next(InterestingFloats.Length)])}";
            case AttributeType.Tensor when a.T is not null:
                return $"{where}: {MutateTensor(a.T, random)}";
            default:
                return null;
        }
    }

    private static string MutateList<T>(Google.Protobuf.Collections.RepeatedField<T> list, Random random, Func<T> interesting)
    {
        switch (random.Next(4))
        {
            case 0 when list.Count > 0:
            {
                int i = random.Next(list.Count);
                list[i] = interesting();
                return $"element {i} = {list[i]}";
            }
            case 1 when list.Count > 0:
                list.RemoveAt(random.Next(list.Count));
                return "element removed";
            case 2:
                list.Add(interesting());
                return $"element {list[^1]} appended";
            default:
                list.Clear();
                return "emptied";
        }
    }

    private static string MutateTensor(TensorProto tensor, Random random)
    {
        switch (random.Next(3))
        {
            case 0:
                tensor.Dims.Add(random.Next(0, 3));
                return $"tensor gains dim {tensor.Dims[^1]}";
            case 1:
                tensor.DataType = random.Next(0, 25);
                return $"tensor data_type = {tensor.DataType}";
            default:
                if (tensor.HasRawData && tensor.RawData.Length > 0)
                {
                    tensor.RawData = ByteString.CopyFrom(tensor.RawData.Span[..^1]);
                    return "tensor raw_data loses a byte";
                }
                tensor.Dims.Clear();
                return "tensor made a scalar";
        }
    }

    private static string? ChangeAttributeType(ModelProto model, Random random)
    {
        var node = PickNode(model, random, n => n.Attribute.Count > 0);
        if (node is null) return null;
        var a = node.Attribute[random.Next(node.Attribute.Count)];
        var before = a.Type;
        if (random.Next(2) == 0)
        {
            // Only the declared type changes; the value stays in its old field.
            a.Type = (AttributeType)random.Next(0, 15);
            return $"node '{node.Name}' '{a.Name}' declared {a.Type} instead of {before}";
        }
        // The value moves into another field, consistently typed: e.g. strides as one float.
        var replacement = random.Next(5) switch
        {
            0 => new AttributeProto { Name = a.Name, Type = AttributeType.Float, F = 1 },
            1 => new AttributeProto { Name = a.Name, Type = AttributeType.Int, I = 1 },
            2 => new AttributeProto { Name = a.Name, Type = AttributeType.String, S = ByteString.CopyFromUtf8("1") },
            3 => new AttributeProto { Name = a.Name, Type = AttributeType.Floats, Floats = { 1f, 1f } },
            _ => new AttributeProto { Name = a.Name, Type = AttributeType.Ints, Ints = { 1, 1 } },
        };
        node.Attribute[node.Attribute.IndexOf(a)] = replacement;
        return $"node '{node.Name}' '{a.Name}' is now {replacement.Type} (was {before})";
    }

    private static string? AddOrRemoveAttribute(ModelProto model, Random random)
    {
        var node = PickNode(model, random, _ => true);
        if (node is null) return null;
        if (node.Attribute.Count > 0 && random.Next(2) == 0)
        {
            var removed = node.Attribute[random.Next(node.Attribute.Count)];
            node.Attribute.Remove(removed);
            return $"node '{node.Name}' ({node.OpType}) loses '{removed.Name}'";
        }
        var name = AttributeNames[random.Next(AttributeNames.Length)];
        var added = random.Next(3) switch
        {
            0 => new AttributeProto { Name = name, Type = AttributeType.Int, I = InterestingInts[random.Next(InterestingInts.Length)] },
            1 => new AttributeProto { Name = name, Type = AttributeType.Ints, Ints = { random.Next(-2, 4), random.Next(-2, 4) } },
            _ => new AttributeProto { Name = name, Type = AttributeType.Float, F = InterestingFloats[random.Next(InterestingFloats.Length)] },
        };
        node.Attribute.Add(added);
        return $"node '{node.Name}' ({node.OpType}) gains {name} ({added.Type})";
    }

    // ---- Nodes ----

    private static string? RemoveNode(ModelProto model, Random random)
    {
        if (model.Graph.Node.Count == 0) return null;
        int i = random.Next(model.Graph.Node.Count);
        var node = model.Graph.Node[i];
        model.Graph.Node.RemoveAt(i);
        return $"node '{node.Name}' ({node.OpType}) removed";
    }

    private static string? DuplicateNode(ModelProto model, Random random)
    {
        if (model.Graph.Node.Count == 0) return null;
        int i = random.Next(model.Graph.Node.Count);
        var copy = model.Graph.Node[i].Clone();
        bool renameOutputs = random.Next(2) == 0;
        if (renameOutputs)
            for (int k = 0; k < copy.Output.Count; k++)
                if (copy.Output[k].Length > 0) copy.Output[k] += "_copy";
        model.Graph.Node.Insert(random.Next(model.Graph.Node.Count + 1), copy);
        return $"node '{copy.Name}' ({copy.OpType}) duplicated{(renameOutputs ? " with renamed outputs" : "")}";
    }

    private static string? ReorderNodes(ModelProto model, Random random)
    {
        var nodes = model.Graph.Node;
        if (nodes.Count < 2) return null;
        if (random.Next(2) == 0)
        {
            var shuffled = nodes.OrderBy(_ => random.Next()).ToList();
            nodes.Clear();
            nodes.AddRange(shuffled);
            return "nodes shuffled";
        }
        var node = nodes[^1];
        nodes.RemoveAt(nodes.Count - 1);
        nodes.Insert(0, node);
        return $"last node '{node.Name}' moved first";
    }

    private static string? RenameReference(ModelProto model, Random random)
    {
        var node = PickNode(model, random, n => n.Input.Count + n.Output.Count > 0);
        if (node is null) return null;
        var names = TensorNames(model);
        string replacement = random.Next(4) switch
        {
            0 => "",
            1 => "ghost",
            _ => names.Count > 0 ? names[random.Next(names.Count)] : "ghost",
        };
        bool input = node.Input.Count > 0 && (node.Output.Count == 0 || random.Next(3) > 0);
        var list = input ? node.Input : node.Output;
        int i = random.Next(list.Count);
        var before = list[i];
        list[i] = replacement;
        return $"node '{node.Name}' ({node.OpType}) {(input ? "input" : "output")} {i} '{before}' -> '{replacement}'";
    }

    private static string? SwapInputs(ModelProto model, Random random)
    {
        var node = PickNode(model, random, n => n.Input.Count >= 2);
        if (node is null) return null;
        int a = random.Next(node.Input.Count), b = random.Next(node.Input.Count);
        (node.Input[a], node.Input[b]) = (node.Input[b], node.Input[a]);
        return $"node '{node.Name}' ({node.OpType}) inputs {a} and {b} swapped";
    }

    private static string? MakeCycle(ModelProto model, Random random)
    {
        // In a sorted file a later node's output feeding an earlier node closes a loop whenever the later depends on the earlier.
        var nodes = model.Graph.Node;
        if (nodes.Count < 1) return null;
        int late = random.Next(nodes.Count), early = random.Next(late + 1);
        if (nodes[late].Output.Count == 0 || nodes[early].Input.Count == 0) return null;
        int i = random.Next(nodes[early].Input.Count);
        nodes[early].Input[i] = nodes[late].Output[0];
        return $"node '{nodes[early].Name}' input {i} now reads '{nodes[late].Output[0]}' of node '{nodes[late].Name}'";
    }

    private static string? ChangeOpType(ModelProto model, Random random)
    {
        var node = PickNode(model, random, _ => true);
        if (node is null) return null;
        var before = node.OpType;
        switch (random.Next(6))
        {
            case 0:
                node.Domain = random.Next(2) == 0 ? "com.microsoft" : "ai.onnx.ml";
                return $"node '{node.Name}' ({before}) moved to domain {node.Domain}";
            case 1:
                node.OpType = before.ToLowerInvariant() + "X";
                return $"node '{node.Name}' op {before} -> {node.OpType}";
            default:
                node.OpType = OperatorTypes.Value[random.Next(OperatorTypes.Value.Length)];
                return $"node '{node.Name}' op {before} -> {node.OpType}";
        }
    }

    private static string? ChangeOpset(ModelProto model, Random random)
    {
        var import = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx");
        if (import is null) return null;
        var before = import.Version;
        import.Version = random.Next(8) == 0 ? InterestingInts[random.Next(InterestingInts.Length)] : random.Next(5, 27);
        return $"opset {before} -> {import.Version}";
    }

    private static string? ChangeGraphInputsOrOutputs(ModelProto model, Random random)
    {
        var graph = model.Graph;
        switch (random.Next(5))
        {
            case 0 when graph.Input.Count > 0:
            {
                int i = random.Next(graph.Input.Count);
                var name = graph.Input[i].Name;
                graph.Input.RemoveAt(i);
                return $"graph input '{name}' removed";
            }
            case 1 when graph.Output.Count > 1:
            {
                int i = random.Next(graph.Output.Count);
                var name = graph.Output[i].Name;
                graph.Output.RemoveAt(i);
                return $"graph output '{name}' removed";
            }
            case 2:
            {
                // An intermediate (or any other) tensor becomes an extra graph output.
                var names = TensorNames(model);
                if (names.Count == 0) return null;
                var name = names[random.Next(names.Count)];
                graph.Output.Add(new ValueInfoProto { Name = name });
                return $"'{name}' added as graph output";
            }
            case 3 when graph.Initializer.Count > 0:
            {
                int i = random.Next(graph.Initializer.Count);
                var name = graph.Initializer[i].Name;
                graph.Initializer.RemoveAt(i);
                return $"initializer '{name}' removed";
            }
            case 4 when graph.Initializer.Count > 0:
            {
                // The initializer becomes a graph input too, as older exporters write them.
                var init = graph.Initializer[random.Next(graph.Initializer.Count)];
                var info = new ValueInfoProto { Name = init.Name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = init.DataType, Shape = new TensorShapeProto() } } };
                foreach (var d in init.Dims) info.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
                graph.Input.Add(info);
                return $"initializer '{init.Name}' also listed as graph input";
            }
            default:
                return null;
        }
    }

    private static string? ChangeInitializerData(ModelProto model, Random random)
    {
        var tensor = PickTensor(model, random);
        if (tensor is null) return null;
        switch (random.Next(4))
        {
            case 0 when tensor.HasRawData && tensor.RawData.Length > 0:
            {
                int keep = random.Next(tensor.RawData.Length);
                tensor.RawData = ByteString.CopyFrom(tensor.RawData.Span[..keep]);
                return $"'{tensor.Name}' raw_data cut to {keep} bytes";
            }
            case 1:
            {
                var extra = new byte[random.Next(1, 9)];
                random.NextBytes(extra);
                tensor.RawData = ByteString.CopyFrom([.. tensor.RawData.Span, .. extra]);
                return $"'{tensor.Name}' raw_data grows {extra.Length} bytes";
            }
            case 2:
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = random.Next(2) == 0 ? "../../etc/passwd" : "weights.bin" });
                return $"'{tensor.Name}' moved to external data";
            default:
            {
                // Values move between storages inconsistently: a float tensor with int64 values, say.
                tensor.ClearRawData();
                tensor.FloatData.Clear();
                tensor.Int64Data.Add(Enumerable.Range(0, random.Next(0, 5)).Select(k => InterestingInts[k % InterestingInts.Length]));
                return $"'{tensor.Name}' values replaced by {tensor.Int64Data.Count} int64_data values";
            }
        }
    }

    private static string? ChangeNodeArity(ModelProto model, Random random)
    {
        var node = PickNode(model, random, _ => true);
        if (node is null) return null;
        switch (random.Next(4))
        {
            case 0 when node.Input.Count > 0:
                node.Input.RemoveAt(node.Input.Count - 1);
                return $"node '{node.Name}' ({node.OpType}) loses its last input";
            case 1:
            {
                var names = TensorNames(model);
                var name = names.Count > 0 ? names[random.Next(names.Count)] : "";
                node.Input.Add(name);
                return $"node '{node.Name}' ({node.OpType}) gains input '{name}'";
            }
            case 2:
                node.Output.Add(node.Name + "_extra_output");
                return $"node '{node.Name}' ({node.OpType}) gains an output";
            default:
                if (node.Input.Count == 0) return null;
                node.Input[random.Next(node.Input.Count)] = "";
                return $"node '{node.Name}' ({node.OpType}) has an input omitted";
        }
    }

    // ---- Picking ----

    /// <summary>Half the time an extreme value, half the time a small one (which gets further: past the loader's checks into the operators').</summary>
    private static long AnyInt(Random random) =>
        random.Next(2) == 0 ? InterestingInts[random.Next(InterestingInts.Length)] : random.Next(-3, 6);

    private static NodeProto? PickNode(ModelProto model, Random random, Func<NodeProto, bool> suitable)
    {
        var candidates = model.Graph.Node.Where(suitable).ToList();
        return candidates.Count == 0 ? null : candidates[random.Next(candidates.Count)];
    }

    /// <summary>An initializer, or the tensor of a Constant node (where small models keep their parameters).</summary>
    private static TensorProto? PickTensor(ModelProto model, Random random)
    {
        var tensors = model.Graph.Initializer
            .Concat(model.Graph.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T))
            .ToList();
        return tensors.Count == 0 ? null : tensors[random.Next(tensors.Count)];
    }

    private static List<string> TensorNames(ModelProto model) =>
        model.Graph.Input.Select(i => i.Name)
            .Concat(model.Graph.Initializer.Select(i => i.Name))
            .Concat(model.Graph.Node.SelectMany(n => n.Output))
            .Where(n => !string.IsNullOrEmpty(n))
            .Distinct()
            .ToList();
}
