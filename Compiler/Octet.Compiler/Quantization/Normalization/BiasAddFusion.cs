using Octet.Compiler.Graph;
using Octet.Compiler.Operators;

namespace Octet.Compiler.Quantization.Normalization;

/// <summary>
/// Moves a constant added right after a linear layer into that layer's bias, where quantization keeps it
/// in int32 at the accumulator's scale instead of adding a separately quantized tensor:
/// <list type="bullet">
/// <item>Conv → Add(per-channel constant of shape [M,1,…,1] or [1,M,1,…,1]) becomes Conv with bias b + c;</item>
/// <item>MatMul(2-D activation, constant [K,N]) → Add(constant [N] or [1,N]) becomes Gemm(A, W, c).</item>
/// </list>
/// Exporters such as the one that produced mnist-8 write layers this way.
/// </summary>
public static class BiasAddFusion
{
    public static int Run(ModelGraph graph)
    {
        int fused = 0;
        foreach (var add in graph.Nodes.Where(n => n.OpType == "Add" && n.Domain.Length == 0).ToList())
        {
            if (add.Inputs.Count != 2) continue;
            for (int side = 0; side < 2; side++)
            {
                var y = add.Inputs[side];
                var constant = graph.Tensor(add.Inputs[1 - side]).ConstantValue;
                var producer = graph.Producer(y);
                if (constant is null || constant.ElementType != ElementType.Float32 || producer is null) continue;
                if (graph.Outputs.Contains(y) || graph.Consumers(y).Count != 1) continue;
                var outputShape = graph.Tensor(add.Outputs[0]).Shape;
                if (outputShape != graph.Tensor(y).Shape) continue; // the constant must not broadcast y to a new shape

                if (producer.OpType == "Conv" && TryFuseIntoConv(graph, producer, add, constant)) { fused++; break; }
                if (producer.OpType == "MatMul" && TryFuseIntoGemm(graph, producer, add, constant)) { fused++; break; }
            }
        }
        return fused;
    }

    private static bool TryFuseIntoConv(ModelGraph graph, Node conv, Node add, Tensor constant)
    {
        var weights = graph.Tensor(conv.Inputs[1]);
        int channels = weights.Shape[0];
        int rank = graph.Tensor(conv.Outputs[0]).Shape.Rank;
        // Per-channel: after dropping a leading batch 1, [M, 1, ..., 1] aligned with the channel axis.
        var dims = constant.Shape.ToArray();
        if (dims.Length == rank && dims[0] == 1) dims = dims[1..];
        if (dims.Length != rank - 1 || dims[0] != channels || dims.Skip(1).Any(d => d != 1)) return false;
        var existing = conv.HasInput(2) ? graph.Tensor(conv.Inputs[2]).ConstantValue : null;
        if (conv.HasInput(2) && existing is null) return false;

        var bias = new float[channels];
        var c = constant.As<float>();
        for (int m = 0; m < channels; m++) bias[m] = (existing is null ? 0 : existing.As<float>()[m]) + c[m];
        var biasName = graph.UniqueName(conv.Name + "_bias_fused");
        graph.Tensors[biasName] = TensorInfo.ForConstant(biasName, Tensor.Create(new Shape(channels), bias));
        Replace(graph, conv, add, new Node(conv.Name, "Conv", "", conv.OpsetVersion,
            [conv.Inputs[0], conv.Inputs[1], biasName], [add.Outputs[0]], conv.Attributes));
        return true;
    }

    private static bool TryFuseIntoGemm(ModelGraph graph, Node matMul, Node add, Tensor constant)
    {
        var a = graph.Tensor(matMul.Inputs[0]);
        var w = graph.Tensor(matMul.Inputs[1]);
        if (a.Shape.Rank != 2 || w.Shape.Rank != 2 || !w.IsConstant) return false;
        int n = w.Shape[1];
        if (constant.ElementCount != n || !(constant.Shape.Rank == 1 || (constant.Shape.Rank == 2 && constant.Shape[0] == 1))) return false;
        int opset = graph.DefaultOpset;
        var version = OperatorRegistry.Default.ResolveVersion("", "Gemm", opset);
        if (version is null) return false;
        var biasName = graph.UniqueName(matMul.Name + "_bias_fused");
        graph.Tensors[biasName] = TensorInfo.ForConstant(biasName, constant.Reshape(new Shape(n)));
        Replace(graph, matMul, add, new Node(matMul.Name, "Gemm", "", version.Value,
            [matMul.Inputs[0], matMul.Inputs[1], biasName], [add.Outputs[0]], new Dictionary<string, Graph.Attribute>()));
        return true;
    }

    /// <summary>The layer takes the Add's place and writes its output; the intermediate tensor disappears.</summary>
    private static void Replace(ModelGraph graph, Node layer, Node add, Node fused)
    {
        graph.Tensors.Remove(layer.Outputs[0]);
        graph.Nodes[graph.Nodes.IndexOf(layer)] = fused;
        graph.Nodes.Remove(add);
    }
}
