using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// Small rewrites that bring a prepared graph to the op forms code generation supports, each keeping the
/// graph's meaning exactly (the reference executor computes the same values before and after):
/// <list type="bullet">
/// <item>an Identity (or mask-less Dropout) left writing a graph output becomes a Reshape to the same shape,
/// which the memory planner turns into a view (normalization keeps those nodes so output names never change);</item>
/// <item>Gemm's transA and transB are resolved so every Gemm computes A[M,K]·B[K,N]: a constant B is transposed
/// at compile time (then packed NK, which for transB = 1 is exactly its original bytes), a computed operand gets
/// a Transpose node. alpha and beta stay attributes (the Gemm kernel applies them; folding alpha into B would
/// change float rounding).</item>
/// <item>a Softmax from before opset 13 (which flattens the input to 2-D at <c>axis</c>) becomes the opset-13
/// form, which normalizes along one axis: directly when every axis after <c>axis</c> has size 1 (the two
/// definitions then agree), else between two Reshapes (views) that do the flattening explicitly. The plan then
/// has one Softmax meaning, so the emitters need no operator version.</item>
/// </list>
/// </summary>
public static class GraphRewrites
{
    public static void Run(ModelGraph graph)
    {
        var nodes = new List<Node>(graph.Nodes.Count);
        foreach (var node in graph.Nodes)
        {
            if (IsOnnx(node) && node.OpType is "Identity" or "Dropout") nodes.Add(PassThroughAsReshape(graph, node));
            else if (IsOnnx(node) && node.OpType == "Gemm") ResolveGemm(graph, node, nodes);
            else if (IsOnnx(node) && node.OpType == "Softmax" && node.OpsetVersion < SoftmaxPerAxisSince) FlattenOldSoftmax(graph, node, nodes);
            else nodes.Add(node);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
    }

    private static bool IsOnnx(Node node) => node.Domain is "" or "ai.onnx";

    private static int OpsetOf(ModelGraph graph, string opType) =>
        OperatorRegistry.Default.ResolveVersion("", opType, graph.DefaultOpset)
        ?? throw new OctetException($"model '{graph.Name}': opset {graph.DefaultOpset} has no {opType}");

    private static Node PassThroughAsReshape(ModelGraph graph, Node node)
    {
        if (node.OpType == "Dropout" && node.Outputs.Skip(1).Any(o => o.Length > 0 && (graph.Outputs.Contains(o) || graph.Consumers(o).Count > 0)))
            throw OctetException.AtNode(node, "Dropout's mask output is used; code generation supports Dropout only as a pass-through");
        var output = graph.Tensor(node.Outputs[0]);
        var shapeName = graph.UniqueName(node.Outputs[0] + "__shape");
        graph.Tensors[shapeName] = TensorInfo.ForConstant(shapeName,
            Tensor.Create(new Shape(output.Shape.Rank), output.Shape.ToLongArray()));
        return new Node(node.Name, "Reshape", "", OpsetOf(graph, "Reshape"), [node.Inputs[0], shapeName], [node.Outputs[0]],
            new Dictionary<string, Attribute>(StringComparer.Ordinal));
    }

    /// <summary>The opset from which Softmax normalizes along one axis instead of flattening at it.</summary>
    private const int SoftmaxPerAxisSince = 13;

    private static void FlattenOldSoftmax(ModelGraph graph, Node node, List<Node> nodes)
    {
        var shape = graph.Tensor(node.Inputs[0]).Shape;
        int rank = shape.Rank;
        long axisAttribute = node.GetInt("axis", 1);
        if (axisAttribute < -rank || axisAttribute >= Math.Max(rank, 1))
            throw OctetException.AtNode(node, $"axis={axisAttribute} is out of range for input shape {shape}");
        int axis = (int)(axisAttribute < 0 ? axisAttribute + rank : axisAttribute);
        var perAxis = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["axis"] = new Attribute("axis", AttributeKind.Int, (long)(rank == 0 ? 0 : axis)),
        };
        long trailing = 1;
        for (int d = axis + 1; d < rank; d++) trailing *= shape[d];
        if (rank == 0 || trailing == 1)
        {
            // Every axis after `axis` has size 1: flattening there normalizes over exactly axis `axis`.
            nodes.Add(new Node(node.Name, "Softmax", "", SoftmaxPerAxisSince, node.Inputs, node.Outputs, perAxis));
            return;
        }
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        var flatShape = new Shape((int)outer, (int)(shape.ElementCount / Math.Max(outer, 1)));
        string flat = Reshaped(graph, node, node.Inputs[0], flatShape, "flat", nodes);
        string normalized = graph.UniqueName(node.Outputs[0] + "__normalized");
        graph.Tensors[normalized] = new TensorInfo(normalized, graph.Tensor(node.Outputs[0]).ElementType, flatShape, null, null);
        perAxis["axis"] = new Attribute("axis", AttributeKind.Int, 1L);
        nodes.Add(new Node(node.Name, "Softmax", "", SoftmaxPerAxisSince, [flat], [normalized], perAxis));
        var shapeName = graph.UniqueName(node.Outputs[0] + "__shape");
        graph.Tensors[shapeName] = TensorInfo.ForConstant(shapeName, Tensor.Create(new Shape(rank), shape.ToLongArray()));
        nodes.Add(new Node($"{node.Name}__unflatten", "Reshape", "", OpsetOf(graph, "Reshape"), [normalized, shapeName], node.Outputs,
            new Dictionary<string, Attribute>(StringComparer.Ordinal)));
    }

    /// <summary>A Reshape of <paramref name="tensor"/> to <paramref name="shape"/>, appended to <paramref name="nodes"/>; returns its output.</summary>
    private static string Reshaped(ModelGraph graph, Node node, string tensor, Shape shape, string suffix, List<Node> nodes)
    {
        var info = graph.Tensor(tensor);
        string output = graph.UniqueName($"{tensor}__{suffix}");
        graph.Tensors[output] = new TensorInfo(output, info.ElementType, shape, null, info.Quantization);
        string shapeName = graph.UniqueName($"{output}__shape");
        graph.Tensors[shapeName] = TensorInfo.ForConstant(shapeName, Tensor.Create(new Shape(shape.Rank), shape.ToLongArray()));
        nodes.Add(new Node($"{node.Name}__{suffix}", "Reshape", "", OpsetOf(graph, "Reshape"), [tensor, shapeName], [output],
            new Dictionary<string, Attribute>(StringComparer.Ordinal)));
        return output;
    }

    private static void ResolveGemm(ModelGraph graph, Node node, List<Node> nodes)
    {
        bool transA = node.GetInt("transA", 0) != 0;
        bool transB = node.GetInt("transB", 0) != 0;
        if (!transA && !transB && !node.HasAttribute("transA") && !node.HasAttribute("transB"))
        {
            nodes.Add(node);
            return;
        }
        var inputs = node.Inputs.ToArray();
        if (transA) inputs[0] = Transposed(graph, node, inputs[0], "A", nodes);
        if (transB) inputs[1] = Transposed(graph, node, inputs[1], "B", nodes);
        var attributes = node.Attributes.Where(a => a.Key is not ("transA" or "transB"))
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        nodes.Add(new Node(node.Name, node.OpType, node.Domain, node.OpsetVersion, inputs, node.Outputs, attributes));
    }

    /// <summary>The 2-D transpose of <paramref name="tensor"/>: a new constant, or the output of a new Transpose node.</summary>
    private static string Transposed(ModelGraph graph, Node gemm, string tensor, string operand, List<Node> nodes)
    {
        var info = graph.Tensor(tensor);
        if (info.Shape.Rank != 2) throw OctetException.AtNode(gemm, $"operand {operand} '{tensor}' has shape {info.Shape}; Gemm takes 2-D operands");
        var shape = new Shape(info.Shape[1], info.Shape[0]);
        var name = graph.UniqueName($"{tensor}__transposed");
        if (info.ConstantValue is { } value)
        {
            graph.Tensors[name] = new TensorInfo(name, info.ElementType, shape, Transpose2D(value), info.Quantization);
            return name;
        }
        graph.Tensors[name] = new TensorInfo(name, info.ElementType, shape, null, info.Quantization);
        nodes.Add(new Node($"{gemm.Name}__transpose{operand}", "Transpose", "", OpsetOf(graph, "Transpose"), [tensor], [name],
            new Dictionary<string, Attribute>(StringComparer.Ordinal) { ["perm"] = new Attribute("perm", AttributeKind.Ints, new long[] { 1, 0 }) }));
        return name;
    }

    internal static Tensor Transpose2D(Tensor value)
    {
        int rows = value.Shape[0], columns = value.Shape[1];
        int size = value.ElementType.SizeInBytes();
        var source = value.Data;
        var result = Array.CreateInstance(source.GetType().GetElementType()!, source.Length);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Buffer.BlockCopy(source, (r * columns + c) * size, result, (c * rows + r) * size, size);
        return Tensor.Create(value.ElementType, new Shape(columns, rows), result);
    }
}
