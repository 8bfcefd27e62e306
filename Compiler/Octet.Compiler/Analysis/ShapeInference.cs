using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;

namespace Octet.Compiler.Analysis;

/// <summary>
/// Gives every tensor of the graph a static type and shape, node by node in topological order, and folds
/// constants as it goes: a node whose inputs are all known is computed now with its reference kernel and
/// replaced by its results. That is what resolves PyTorch's <c>Shape → Gather → Concat → Reshape</c> chains:
/// once input shapes are static, <c>Shape</c> is a constant, and so is everything computed from it.
/// Every node must resolve to an implemented operator version; anything else is rejected by name here.
/// </summary>
public static class ShapeInference
{
    public static void Run(ModelGraph graph, OperatorRegistry? registry = null)
    {
        registry ??= OperatorRegistry.Default;
        var remaining = new List<Node>(graph.Nodes.Count);
        long foldBudget = FoldBudget(graph);
        foreach (var node in graph.Nodes)
        {
            var definition = Resolve(node, graph, registry);
            var inputs = node.Inputs.Select(name => name.Length == 0 ? null : graph.Tensor(name)).ToList();
            var inference = new InferenceContext(node, inputs);
            try
            {
                Guard(node, "shape inference", () => definition.InferOutputs(inference));
            }
            catch (OctetException e) when (graph.Inputs.Count > 0 && inputs.Any(i => i is { IsConstant: true }))
            {
                // A constant input (often folded from a Shape chain) that does not fit is usually a model exported
                // for other input sizes than it declares: say where the shapes came from.
                throw new OctetException(e.Message + InputShapesHint(graph), e);
            }

            bool foldable = definition.CanFold && inputs.All(i => i is null || i.IsConstant) && FitsFoldBudget(node, inputs, inference, ref foldBudget);
            KernelContext? folded = null;
            if (foldable)
            {
                folded = new KernelContext(node, inputs.Select(i => i?.ConstantValue).ToList());
                Guard(node, "constant folding", () => definition.Execute(folded));
            }
            else if (definition.CanFold && definition.FoldFromShapes(inference) is { } fromShapes)
            {
                // The values follow from static shapes alone: record them as a folded result.
                folded = new KernelContext(node, inputs.Select(i => i?.ConstantValue).ToList());
                for (int k = 0; k < fromShapes.Count; k++) folded.SetOutput(k, fromShapes[k]);
            }

            for (int k = 0; k < node.Outputs.Count; k++)
            {
                var name = node.Outputs[k];
                if (name.Length == 0) continue;
                var (type, shape) = inference.Output(k)
                    ?? throw OctetException.AtNode(node, $"shape inference produced no type for output {k} ('{name}')");
                if (folded is null)
                {
                    graph.Tensors[name] = new TensorInfo(name, type, shape);
                    continue;
                }
                var value = folded.Output(k)
                    ?? throw OctetException.AtNode(node, $"constant folding produced no value for output {k} ('{name}')");
                if (value.ElementType != type || value.Shape != shape)
                    throw OctetException.AtNode(node, $"internal error: output '{name}' was inferred as {type.OnnxName()}{shape} but computed as {value}");
                graph.Tensors[name] = TensorInfo.ForConstant(name, value);
            }
            if (folded is null) remaining.Add(node);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(remaining);
        graph.IsShapeInferred = true;
    }

    /// <summary>Folded results may be at most this large when they are larger than what they are computed from.</summary>
    private const long MaxGrowingFoldElements = 1L << 20;

    /// <summary>
    /// How many elements folding may create in all: a fixed allowance for shape arithmetic plus twice the
    /// model's own constants (weights folded through a Transpose and a Cast, say). Without a bound a small
    /// file could ask for gigabytes at compile time (ConstantOfShape, Expand, or long chains of them).
    /// </summary>
    private static long FoldBudget(ModelGraph graph)
    {
        long stored = graph.Tensors.Values.Where(t => t.IsConstant).Sum(t => t.Shape.ElementCount)
                      + graph.Nodes.SelectMany(n => n.Attributes.Values).Where(a => a.Value is Tensor).Sum(a => ((Tensor)a.Value!).ElementCount);
        return (1L << 24) + 2 * stored;
    }

    /// <summary>
    /// Whether folding this node stays within bounds: its results may not outgrow its inputs (and tensor
    /// attributes, for Constant) beyond a small size, nor exhaust the budget. A node that does not fit is
    /// simply left in the graph to run; nothing that must be a compile-time constant is that large.
    /// </summary>
    private static bool FitsFoldBudget(Node node, IReadOnlyList<TensorInfo?> inputs, InferenceContext inference, ref long budget)
    {
        long produced = 0;
        for (int k = 0; k < node.Outputs.Count; k++)
            if (node.Outputs[k].Length > 0 && inference.Output(k) is { } output) produced += output.Shape.ElementCount;
        long source = Math.Max(
            inputs.Select(i => i?.Shape.ElementCount ?? 0).DefaultIfEmpty(0).Max(),
            node.Attributes.Values.Select(a => a.Value is Tensor t ? t.ElementCount : 0).DefaultIfEmpty(0).Max());
        if (produced > Math.Max(MaxGrowingFoldElements, source) || produced > budget) return false;
        budget -= produced;
        return true;
    }

    /// <summary>The definition a node runs with, or an error saying why it has none.</summary>
    public static OperatorDefinition Resolve(Node node, ModelGraph graph, OperatorRegistry registry)
    {
        var domainName = node.Domain.Length == 0 ? "ai.onnx" : node.Domain;
        int opset = graph.OpsetImports.TryGetValue(node.Domain, out var v) ? v : 0;
        var definition = registry.Find(node.Domain, node.OpType)
            ?? throw new OctetException($"{graph.SourcePath}: node '{node.Name}': operator {domainName}.{node.OpType} (opset {opset}) is not supported by Octet");
        if (registry.ResolveVersion(node.Domain, node.OpType, opset) is null)
            throw new OctetException($"{graph.SourcePath}: node '{node.Name}': operator {node.OpType} does not exist in {domainName} opset {opset}");
        if (!definition.ImplementedVersions.Contains(node.OpsetVersion))
            throw new OctetException($"{graph.SourcePath}: {node.Describe()}: version {node.OpsetVersion} of {node.OpType} is not implemented " +
                                     $"(Octet implements versions {string.Join(", ", definition.ImplementedVersions)})");
        return definition;
    }

    /// <summary>The input shapes shape inference started from, and what to do if they are not the model's real ones.</summary>
    internal static string InputShapesHint(ModelGraph graph) =>
        $" (shapes here follow from the model's input shapes: {string.Join(", ", graph.Inputs.Select(i => $"{i} {graph.Tensor(i).ElementType.OnnxName()}{graph.Tensor(i).Shape}"))}; " +
        "a constant that disagrees with them suggests the model was exported for other sizes than it declares: bind the real ones with --shape, " +
        "replacing declared dimensions if needed)";

    /// <summary>
    /// Runs operator code so that a bug or an unanticipated input in it still ends as an error naming the
    /// node, not as an unexplained crash.
    /// </summary>
    internal static void Guard(Node node, string stage, Action action)
    {
        try
        {
            action();
        }
        catch (OctetException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidCastException
                                      or InvalidOperationException or NullReferenceException or OverflowException
                                      or DivideByZeroException or ArithmeticException or NotSupportedException
                                      or KeyNotFoundException or FormatException or ArrayTypeMismatchException
                                      or RankException or NotImplementedException)
        {
            // The original exception stays attached: its stack trace is what points at the operator's bug.
            throw new OctetException($"{node.Describe()}: {stage} failed: {e.Message}", e);
        }
    }
}
