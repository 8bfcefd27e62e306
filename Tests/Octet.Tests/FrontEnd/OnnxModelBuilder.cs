using Google.Protobuf;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx.Proto;

namespace Octet.Tests.FrontEnd;

/// <summary>
/// Writes ONNX models in code, for tests: graph inputs with static or dynamic dims, initializers stored as
/// raw_data, typed fields, float16 or external data, nodes with attributes, Constant nodes. Everything is
/// a plain <see cref="ModelProto"/> underneath (<see cref="Model"/>, <see cref="Graph"/>, and the
/// <see cref="NodeProto"/> each <see cref="Node"/> call returns), so a test can still reach in and make the
/// file malformed on purpose.
/// <code>
/// var model = new OnnxModelBuilder(opset: 13)
///     .Input("x", ElementType.Float32, "batch", 3)
///     .Initializer("w", new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2)
///     .Output("y", ElementType.Float32);
/// model.Node("MatMul", ["x", "w"], ["y"]);
/// string path = model.Save(folder.Path);
/// </code>
/// </summary>
internal sealed class OnnxModelBuilder
{
    /// <summary>Files to write next to the model, keyed by their location relative to it.</summary>
    private readonly Dictionary<string, MemoryStream> _externalFiles = new(StringComparer.Ordinal);

    public OnnxModelBuilder(long opset = 13, string graphName = "test_graph")
    {
        Model = new ModelProto { IrVersion = 8, ProducerName = "Octet.Tests", Graph = new GraphProto { Name = graphName } };
        Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public ModelProto Model { get; }
    public GraphProto Graph => Model.Graph;

    /// <summary>Imports another domain (or, for tests of duplicate imports, the same one again).</summary>
    public OnnxModelBuilder Opset(string domain, long version)
    {
        Model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    /// <summary>A graph input. Dims are numbers (static), names (a dim_param) or <see cref="Dim.Unknown"/>.</summary>
    public OnnxModelBuilder Input(string name, ElementType type, params Dim[] dims)
    {
        Graph.Input.Add(ValueInfo(name, type, dims));
        return this;
    }

    /// <summary>A graph input whose type has no shape at all (rank unknown).</summary>
    public OnnxModelBuilder InputWithoutShape(string name, ElementType type)
    {
        Graph.Input.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } },
        });
        return this;
    }

    /// <summary>A graph output; its shape may be left out, as Octet infers it.</summary>
    public OnnxModelBuilder Output(string name, ElementType type = ElementType.Float32, params Dim[] dims)
    {
        Graph.Output.Add(ValueInfo(name, type, dims));
        return this;
    }

    public OnnxModelBuilder Initializer(string name, Tensor value, TensorStorage storage = TensorStorage.RawData)
    {
        Graph.Initializer.Add(TensorProtos.Create(name, value, storage));
        return this;
    }

    public OnnxModelBuilder Initializer(string name, float[] values, params int[] dims) =>
        Initializer(name, Tensor.Create(new Shape(dims), values));

    public OnnxModelBuilder Initializer(string name, long[] values, params int[] dims) =>
        Initializer(name, Tensor.Create(new Shape(dims), values));

    /// <summary>A float16 initializer given as its 16-bit patterns.</summary>
    public OnnxModelBuilder Float16Initializer(string name, ushort[] bits, int[] dims, TensorStorage storage = TensorStorage.RawData)
    {
        Graph.Initializer.Add(TensorProtos.Float16(name, bits, dims, storage));
        return this;
    }

    /// <summary>An initializer given as a ready-made proto (for malformed ones).</summary>
    public OnnxModelBuilder Initializer(TensorProto proto)
    {
        Graph.Initializer.Add(proto);
        return this;
    }

    /// <summary>
    /// An initializer stored in the external file <paramref name="location"/> (relative to the model): its
    /// bytes are appended to that file, which <see cref="Save"/> writes, and offset and length point at them.
    /// </summary>
    public OnnxModelBuilder ExternalInitializer(string name, Tensor value, string location = "weights.bin")
    {
        var bytes = TensorProtos.RawBytes(value);
        var file = ExternalFile(location);
        // ONNX tools align external tensors; the reader must not rely on it, so this does not align.
        long offset = file.Length;
        file.Write(bytes);
        Graph.Initializer.Add(TensorProtos.External(name, value.ElementType, value.Shape.ToArray(), location, offset, bytes.Length));
        return this;
    }

    /// <summary>An initializer that points at external data with exactly the given location/offset/length (null leaves a key out).</summary>
    public OnnxModelBuilder ExternalReference(string name, ElementType type, int[] dims, string location, long? offset = null, long? length = null)
    {
        Graph.Initializer.Add(TensorProtos.External(name, type, dims, location, offset, length));
        return this;
    }

    /// <summary>Adds bytes to an external data file written by <see cref="Save"/>.</summary>
    public OnnxModelBuilder ExternalData(string location, byte[] bytes)
    {
        ExternalFile(location).Write(bytes);
        return this;
    }

    private MemoryStream ExternalFile(string location)
    {
        if (!_externalFiles.TryGetValue(location, out var file)) _externalFiles[location] = file = new MemoryStream();
        return file;
    }

    /// <summary>Adds a node (named <c>OpType_K</c> unless renamed through the returned proto).</summary>
    public NodeProto Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{Graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>A Constant node whose <c>value</c> attribute holds <paramref name="value"/>.</summary>
    public NodeProto Constant(string output, Tensor value) =>
        Node("Constant", [], [output], Attr.Tensor("value", value));

    public NodeProto Constant(string output, float[] values, params int[] dims) => Constant(output, Tensor.Create(new Shape(dims), values));
    public NodeProto Constant(string output, long[] values, params int[] dims) => Constant(output, Tensor.Create(new Shape(dims), values));

    public byte[] ToBytes() => Model.ToByteArray();

    /// <summary>Writes the model (and any external data files) into <paramref name="folder"/>; returns the model's path.</summary>
    public string Save(string folder, string fileName = "model.onnx")
    {
        foreach (var (location, bytes) in _externalFiles)
        {
            var path = System.IO.Path.Combine(folder, location);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes.ToArray());
        }
        var modelPath = System.IO.Path.Combine(folder, fileName);
        File.WriteAllBytes(modelPath, ToBytes());
        return modelPath;
    }

    public static ValueInfoProto ValueInfo(string name, ElementType type, IReadOnlyList<Dim> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(d.ToProto());
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}

/// <summary>One dimension of a declared shape: a number, a symbolic name (dim_param), or unknown (neither).</summary>
public readonly record struct Dim(long? Value, string? Param)
{
    public static Dim Unknown => default;

    public static implicit operator Dim(int value) => new(value, null);
    public static implicit operator Dim(long value) => new(value, null);
    public static implicit operator Dim(string param) => new(null, param);

    internal TensorShapeProto.Types.Dimension ToProto()
    {
        var d = new TensorShapeProto.Types.Dimension();
        if (Value is { } v) d.DimValue = v;
        else if (Param is { } p) d.DimParam = p;
        return d;
    }
}
