using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Tests.HostileInput;

/// <summary>
/// A rough upper estimate of the work the reference executor does on a graph, in multiply-accumulates,
/// so that mutants with inflated dims are loaded but not run. Coarse on purpose: it only has to tell a
/// millisecond graph from one that would take minutes.
/// </summary>
internal static class ExecutionCost
{
    public static double Estimate(ModelGraph graph)
    {
        // In double: hostile shapes multiply to more than a long holds.
        double total = 0;
        foreach (var node in graph.Nodes)
        {
            double inputs = node.Inputs.Where(i => i.Length > 0).Sum(i => Elements(graph, i));
            double outputs = node.Outputs.Where(o => o.Length > 0).Sum(o => Elements(graph, o));
            total += inputs + outputs + PerOutputWork(graph, node) * outputs;
        }
        return total;
    }

    /// <summary>How many input elements one output element reads, for the ops where that is more than a few.</summary>
    private static double PerOutputWork(ModelGraph graph, Node node)
    {
        try
        {
            switch (node.OpType)
            {
                case "Conv" or "ConvInteger" or "QLinearConv":
                {
                    var weight = Shape(graph, node, node.OpType == "QLinearConv" ? 3 : 1);
                    return weight is null || weight.Rank == 0 || weight[0] == 0 ? 1 : weight.ElementCount / weight[0];
                }
                case "ConvTranspose":
                    return Shape(graph, node, 1)?.ElementCount ?? 1;
                case "MatMul" or "MatMulInteger" or "QLinearMatMul" or "Gemm":
                {
                    var a = Shape(graph, node, 0);
                    return a is null || a.Rank == 0 ? 1 : Math.Max(a[a.Rank - 1], a.Rank >= 2 ? a[a.Rank - 2] : 1);
                }
                case "MaxPool" or "AveragePool" or "LpPool":
                    return node.GetInts("kernel_shape")?.Aggregate(1.0, (p, k) => p * Math.Max(k, 1)) ?? 1;
                case "GlobalAveragePool" or "GlobalMaxPool" or "Softmax" or "LogSoftmax" or "LayerNormalization" or "ReduceMean" or "ReduceSum" or "ReduceMax":
                    return Shape(graph, node, 0)?.ElementCount ?? 1;
                default:
                    return 1;
            }
        }
        catch (OctetException)
        {
            // An attribute of the wrong kind: the executor would refuse it anyway.
            return 1;
        }
    }

    private static Shape? Shape(ModelGraph graph, Node node, int input) =>
        node.HasInput(input) && graph.Tensors.TryGetValue(node.Inputs[input], out var t) ? t.Shape : null;

    private static double Elements(ModelGraph graph, string name) =>
        graph.Tensors.TryGetValue(name, out var t) ? t.Shape.ElementCount : 0;
}
