using Google.Protobuf;
using Octet.Compiler.Onnx.Proto;

namespace Octet.Tests.OnnxRuntime;

/// <summary>Small ONNX models built in memory, for element types and shapes the stored test data lacks.</summary>
internal static class TinyModels
{
    /// <summary>One node <paramref name="opType"/> from input "x" to output "y", both of <paramref name="elementType"/>.</summary>
    /// <param name="dims">Per dimension a number or, for a symbolic dimension, its name; null for unknown.</param>
    public static byte[] UnaryOp(string opType, int elementType, params object?[] dims)
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Node.Add(new NodeProto { OpType = opType, Name = "op", Input = { "x" }, Output = { "y" } });
        graph.Input.Add(ValueInfo("x", elementType, dims));
        graph.Output.Add(ValueInfo("y", elementType, dims));
        return Model(graph);
    }

    /// <summary>
    /// y = x + (a + b) with a and b constant initializers: two Add nodes, of which constant folding (part of
    /// ORT_ENABLE_BASIC) leaves one.
    /// </summary>
    public static byte[] AddOfConstantSum()
    {
        var graph = new GraphProto { Name = "fold" };
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "constant_sum", Input = { "a", "b" }, Output = { "c" } });
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "x", "c" }, Output = { "y" } });
        graph.Initializer.Add(new TensorProto { Name = "a", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2 }, FloatData = { 1f, 2f } });
        graph.Initializer.Add(new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2 }, FloatData = { 10f, 20f } });
        graph.Input.Add(ValueInfo("x", (int)TensorProto.Types.DataType.Float, 2));
        graph.Output.Add(ValueInfo("y", (int)TensorProto.Types.DataType.Float, 2));
        return Model(graph);
    }

    private static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "octet-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, int elementType, params object?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object? dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => new TensorShapeProto.Types.Dimension(),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } },
        };
    }
}
