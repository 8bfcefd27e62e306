using Octet.Compiler.Graph;
using Octet.Compiler.Operators;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>
/// Transformer exporters write every linear layer as MatMul(x [.., T, K], W [K, N]) followed by Add(bias [N]).
/// Quantized as written, the MatMul result is rounded to int8 once and the biased sum a second time; the
/// error analysis (docs/integer-transformers.md) shows the first rounding costs as much at the output as
/// all post-LayerNorm activations together. This pass rewrites the pair into
/// <c>Reshape(x → [M, K]) → Gemm(·, W, bias) → Reshape(→ [.., T, N])</c>, the Gemm writing the Add's
/// output name (as [M, N], so configs calibrated on the unfused graph still apply) and the readers switched
/// to the Reshape's new tensor: the bias then lives in the int32 accumulator (as <c>BiasAddFusion</c> does for 2-D layers) and
/// the Reshapes are views. The float values are the same up to float summation order.
/// </summary>
/// <remarks>
/// Applies when W is a constant float matrix, x has rank ≥ 3 and static shape, the MatMul result is read
/// only by the Add, neither result is a graph output, and the other Add operand is a float constant with N elements
/// broadcasting along the last axis only ([N], [1, N], [1, 1, N], …). Rank-2 layers are left to
/// <c>BiasAddFusion</c>.
/// </remarks>
public static class LinearBiasFusion
{
    /// <summary>Rewrites in place; returns one line per fused layer. The graph must be shape-inferred.</summary>
    public static IReadOnlyList<string> Run(ModelGraph graph)
    {
        var details = new List<string>();
        int? reshapeVersion = OperatorRegistry.Default.ResolveVersion("", "Reshape", graph.DefaultOpset);
        int? gemmVersion = OperatorRegistry.Default.ResolveVersion("", "Gemm", graph.DefaultOpset);
        if (reshapeVersion is null || gemmVersion is null) return details;
        foreach (var matMul in graph.Nodes.Where(n => n.OpType == "MatMul" && n.Domain.Length == 0).ToList())
        {
            var x = graph.Tensor(matMul.Inputs[0]);
            var w = graph.Tensor(matMul.Inputs[1]);
            if (x.Shape.Rank < 3 || x.ElementType != ElementType.Float32 || w.ConstantValue is not { ElementType: ElementType.Float32 } || w.Shape.Rank != 2) continue;
            var y = matMul.Outputs[0];
            if (graph.Outputs.Contains(y)) continue;
            var consumers = graph.Consumers(y);
            if (consumers.Count != 1 || consumers[0] is not { OpType: "Add", Domain: "" } add || add.Inputs.Count != 2) continue;
            var biasName = add.Inputs[add.Inputs[0] == y ? 1 : 0];
            if (add.Inputs[0] == add.Inputs[1]) continue;
            int k = w.Shape[0], n = w.Shape[1];
            var bias = graph.Tensor(biasName).ConstantValue;
            if (bias is not { ElementType: ElementType.Float32 } || bias.ElementCount != n || bias.Shape.Rank > x.Shape.Rank
                || (bias.Shape.Rank > 0 && bias.Shape[^1] != n)) continue;
            var outputShape = graph.Tensor(add.Outputs[0]).Shape;
            if (outputShape != graph.Tensor(y).Shape || graph.Outputs.Contains(add.Outputs[0])) continue;
            int rows = (int)(x.Shape.ElementCount / k);

            var flatShape = Constant(graph, matMul.Name + "_rows_shape", Tensor.Create(new Shape(2), new long[] { rows, k }));
            var outShape = Constant(graph, matMul.Name + "_out_shape", Tensor.Create(new Shape(outputShape.Rank), outputShape.ToLongArray()));
            var gemmBias = Constant(graph, matMul.Name + "_bias", bias.Reshape(new Shape(n)));
            var flatX = graph.UniqueName(matMul.Inputs[0] + "_rows");
            graph.Tensors[flatX] = new TensorInfo(flatX, ElementType.Float32, new Shape(rows, k));
            // The Gemm writes the Add's tensor (now [M, N]), so a config calibrated on the unfused graph still
            // names the layer's quantized result; the Reshape back writes a new name its readers switch to.
            var sum = add.Outputs[0];
            graph.Tensors[sum] = new TensorInfo(sum, ElementType.Float32, new Shape(rows, n));
            var tokens = graph.UniqueName(sum + "_tokens");
            graph.Tensors[tokens] = new TensorInfo(tokens, ElementType.Float32, outputShape);
            foreach (var reader in graph.Consumers(sum).ToList())
                graph.Nodes[graph.Nodes.IndexOf(reader)] = new Node(reader.Name, reader.OpType, reader.Domain, reader.OpsetVersion,
                    reader.Inputs.Select(i => i == sum ? tokens : i).ToArray(), reader.Outputs, reader.Attributes);

            var replacement = new[]
            {
                new Node(matMul.Name + "_flatten", "Reshape", "", reshapeVersion.Value, [matMul.Inputs[0], flatShape], [flatX], new Dictionary<string, Graph.Attribute>()),
                new Node(matMul.Name, "Gemm", "", gemmVersion.Value, [flatX, matMul.Inputs[1], gemmBias], [sum], new Dictionary<string, Graph.Attribute>()),
                new Node(add.Name + "_unflatten", "Reshape", "", reshapeVersion.Value, [sum, outShape], [tokens], new Dictionary<string, Graph.Attribute>()),
            };
            int at = graph.Nodes.IndexOf(add);
            graph.Nodes.RemoveAt(at);
            graph.Nodes.InsertRange(at, replacement);
            graph.Nodes.Remove(matMul);
            graph.Tensors.Remove(y);
            details.Add($"linear bias: '{matMul.Name}' + '{add.Name}' → Gemm '{matMul.Name}' ({add.Outputs[0]})");
        }
        return details;
    }

    private static string Constant(ModelGraph graph, string stem, Tensor value)
    {
        var name = graph.UniqueName(stem);
        graph.Tensors[name] = TensorInfo.ForConstant(name, value);
        return name;
    }
}
