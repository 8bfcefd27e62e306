using Octet.Compiler.Graph;
using Octet.OnnxRuntime;

namespace Octet.Tests.Onnx.Writing;

/// <summary>What the round-trip tests share: the graph as the writer is meant to keep it, and bitwise comparison.</summary>
internal static class RoundTrip
{
    /// <summary>
    /// The text form of <paramref name="graph"/> as a faithful writer must reproduce it: the writer keeps only
    /// the constants that nodes read or that are graph outputs (what constant folding left behind — a Shape
    /// result whose only reader was folded too, say — is dropped), so those are left out here as well.
    /// </summary>
    public static string ExpectedText(ModelGraph graph)
    {
        var used = new HashSet<string>(graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Concat(graph.Inputs).Concat(graph.Outputs), StringComparer.Ordinal);
        var tensors = graph.Tensors.Where(t => used.Contains(t.Key)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        return GraphTextWriter.Write(new ModelGraph(graph.Name, graph.SourcePath, graph.OpsetImports, graph.Nodes, tensors, graph.Inputs, graph.Outputs));
    }

    /// <summary>
    /// Runs a model file in ONNX Runtime (one thread) at the given optimization level, feeding those of
    /// <paramref name="values"/> that the file declares as inputs, and returns <paramref name="outputs"/>.
    /// </summary>
    public static Dictionary<string, Tensor> RunOrt(string path, GraphOptimizationLevel level,
        IReadOnlyDictionary<string, Tensor> values, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        var feeds = values.Where(v => session.InputNames.Contains(v.Key))
            .Select(v => NamedOnnxValue.CreateFromArray(v.Key, v.Value.Data, v.Value.Shape.ToLongArray())).ToList();
        return session.Run(feeds, outputs.ToList()).ToDictionary(r => r.Name, r => Tensor.Create((ElementType)(int)r.ElementType,
            Shape.FromDims(r.Shape, $"ONNX Runtime output '{r.Name}'"), r.Data));
    }

    /// <summary>Null when the two tensors hold the same bits (NaNs included), else the first differences.</summary>
    public static string? BitwiseDifference(Tensor expected, Tensor actual)
    {
        if (expected.ElementType != actual.ElementType || expected.Shape != actual.Shape)
            return $"{actual} vs expected {expected}";
        var problems = new List<string>();
        int mismatches = 0;
        double maxAbs = 0;
        for (long i = 0; i < expected.ElementCount; i++)
        {
            bool same = expected.ElementType == ElementType.Float32
                ? BitConverter.SingleToInt32Bits(expected.As<float>()[i]) == BitConverter.SingleToInt32Bits(actual.As<float>()[i])
                : expected.GetAsDouble(i) == actual.GetAsDouble(i);
            if (same) continue;
            maxAbs = Math.Max(maxAbs, Math.Abs(expected.GetAsDouble(i) - actual.GetAsDouble(i)));
            if (++mismatches <= 3) problems.Add($"[{i}] {actual.GetAsDouble(i):R} vs {expected.GetAsDouble(i):R}");
        }
        return mismatches == 0 ? null
            : $"{mismatches} of {expected.ElementCount} elements differ (max abs diff {maxAbs:G3}): {string.Join("; ", problems)}";
    }

    /// <summary>Largest |a − e| over the elements.</summary>
    public static double MaxAbsDiff(Tensor expected, Tensor actual)
    {
        double max = 0;
        for (long i = 0; i < expected.ElementCount; i++)
            max = Math.Max(max, Math.Abs(expected.GetAsDouble(i) - actual.GetAsDouble(i)));
        return max;
    }
}
