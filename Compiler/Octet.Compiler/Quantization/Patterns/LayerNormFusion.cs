using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>
/// Recognizes LayerNormalization as exporters write it before opset 17 (PyTorch, Hugging Face BERT):
/// <code>
/// m = ReduceMean(x, axes)            d = Sub(x, m)       (one Sub, or two identical ones)
/// v = ReduceMean(Pow(d, 2), axes)    n = Div(d, Sqrt(Add(v, ε)))
/// y = Add(Mul(n, γ), β)              (Mul and Add optional, operands in either order)
/// </code>
/// and replaces it with one LayerNormalization(x, γ, β; axis, epsilon). Matched only when the two
/// reductions are over the same trailing axes with keepdims, the exponent is 2, ε is a non-negative scalar,
/// γ and β are constants that broadcast to the normalized shape without widening x, and every intermediate
/// is read by the pattern alone.
/// </summary>
internal static class LayerNormFusion
{
    /// <summary>The opset version of LayerNormalization the fused node is (the first one in the default domain).</summary>
    public const int FusedVersion = 17;

    public static IEnumerable<Fusion> Find(PatternGraph g)
    {
        foreach (var div in g.Graph.Nodes.Where(n => n.Domain.Length == 0 && n.OpType == "Div").ToList())
            if (Match(g, div) is { } fusion) yield return fusion;
    }

    private static Fusion? Match(PatternGraph g, Node div)
    {
        if (div.Inputs.Count != 2) return null;
        var sqrt = g.Producer(div.Inputs[1], "Sqrt");
        var centered = g.Producer(div.Inputs[0], "Sub");
        if (sqrt is null || centered is null || !g.OnlyReadBy(sqrt.Outputs[0], div)) return null;
        var addEps = g.Producer(sqrt.Inputs[0], "Add");
        if (addEps is null || !g.OnlyReadBy(addEps.Outputs[0], sqrt)) return null;
        var (variance, epsilon) = SplitScalar(g, addEps);
        if (variance is null || epsilon is not (>= 0 and < 1)) return null;
        var meanOfSquares = g.Producer(variance, "ReduceMean");
        if (meanOfSquares is null || !g.OnlyReadBy(variance, addEps)) return null;
        var pow = g.Producer(meanOfSquares.Inputs[0], "Pow");
        if (pow is null || !g.IsScalar(pow.Inputs[1], 2) || !g.OnlyReadBy(pow.Outputs[0], meanOfSquares)) return null;
        var squared = g.Producer(pow.Inputs[0], "Sub");
        if (squared is null) return null;

        // x − mean, computed once for both uses or twice by the exporter (BERT's export does the latter).
        var x = centered.Inputs[0];
        var meanNode = g.Producer(centered.Inputs[1], "ReduceMean");
        if (meanNode is null || meanNode.Inputs[0] != x || squared.Inputs[0] != x || squared.Inputs[1] != meanNode.Outputs[0]) return null;
        if (squared == centered)
        {
            if (!g.OnlyReadBy(centered.Outputs[0], pow, div)) return null;
        }
        else if (!g.OnlyReadBy(centered.Outputs[0], div) || !g.OnlyReadBy(squared.Outputs[0], pow)) return null;
        if (!g.OnlyReadBy(meanNode.Outputs[0], centered, squared)) return null;

        var xShape = g.Graph.Tensor(x).Shape;
        if (xShape.Rank == 0 || g.Graph.Tensor(x).ElementType != ElementType.Float32) return null;
        var axis = TrailingAxes(g, meanNode, xShape.Rank);
        if (axis is null || TrailingAxes(g, meanOfSquares, xShape.Rank) != axis) return null;
        if (g.Graph.Tensor(div.Outputs[0]).Shape != xShape) return null;

        var replaced = new List<Node> { meanNode, centered };
        if (squared != centered) replaced.Add(squared);
        replaced.AddRange([pow, meanOfSquares, addEps, sqrt, div]);
        var normalized = new Shape(xShape.Skip(axis.Value).ToArray());

        // Optional affine part: the normalized value's only reader multiplies by γ, whose only reader adds β.
        string output = div.Outputs[0];
        string? gamma = null, beta = null;
        if (g.SoleConsumer(output, "Mul") is { } mul && AffineOperand(g, mul, output, normalized, xShape) is { } scale)
        {
            gamma = scale;
            replaced.Add(mul);
            output = mul.Outputs[0];
            if (g.SoleConsumer(output, "Add") is { } add && AffineOperand(g, add, output, normalized, xShape) is { } shift)
            {
                beta = shift;
                replaced.Add(add);
                output = add.Outputs[0];
            }
        }

        var constants = new List<(string, Tensor)>();
        if (gamma is null)
        {
            gamma = g.Graph.UniqueName(meanNode.Name + "_unit_scale");
            constants.Add((gamma, Tensor.Create(normalized, Enumerable.Repeat(1f, (int)normalized.ElementCount).ToArray())));
        }
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["axis"] = new("axis", AttributeKind.Int, (long)axis.Value),
            ["epsilon"] = new("epsilon", AttributeKind.Float, (float)epsilon.Value),
        };
        string[] inputs = beta is null ? [x, gamma] : [x, gamma, beta];
        var fused = new Node(g.Graph.UniqueName($"{meanNode.Name}_LayerNormalization"), "LayerNormalization", "", FusedVersion,
            inputs, [output], attributes);
        return new Fusion("LayerNormalization", replaced, fused, constants);
    }

    /// <summary>For Add(v, ε) in either order: the non-constant operand and ε.</summary>
    private static (string? Value, double? Scalar) SplitScalar(PatternGraph g, Node add)
    {
        if (add.Inputs.Count != 2) return (null, null);
        if (g.ScalarConstant(add.Inputs[1]) is { } b) return (add.Inputs[0], b);
        if (g.ScalarConstant(add.Inputs[0]) is { } a) return (add.Inputs[1], a);
        return (null, null);
    }

    /// <summary>
    /// The first reduced axis of a keepdims ReduceMean over the trailing axes k..rank−1 of its input, or null
    /// when it reduces anything else (axes from the attribute before opset 18, from input 1 after).
    /// </summary>
    private static int? TrailingAxes(PatternGraph g, Node reduce, int rank)
    {
        if (reduce.GetInt("keepdims", 1) == 0) return null;
        long[]? axes = reduce.OpsetVersion < 18
            ? reduce.GetInts("axes")
            : reduce.HasInput(1) ? g.Graph.Tensor(reduce.Inputs[1]).ConstantValue?.ToInt64Array() : null;
        if (reduce.OpsetVersion >= 18 && reduce.HasInput(1) && axes is null) return null; // axes computed at run time
        if (axes is null || axes.Length == 0)
        {
            if (reduce.OpsetVersion >= 18 && reduce.GetInt("noop_with_empty_axes", 0) != 0) return null;
            return 0; // every axis
        }
        var sorted = axes.Select(a => a < 0 ? a + rank : a).Distinct().OrderBy(a => a).ToArray();
        if (sorted.Length != axes.Length || sorted[^1] != rank - 1) return null;
        for (int i = 1; i < sorted.Length; i++) if (sorted[i] != sorted[i - 1] + 1) return null;
        return (int)sorted[0];
    }

    /// <summary>
    /// γ or β of the affine part: the constant operand of <paramref name="node"/> that broadcasts to the
    /// normalized shape, leaving the result the shape of x.
    /// </summary>
    private static string? AffineOperand(PatternGraph g, Node node, string value, Shape normalized, Shape xShape)
    {
        if (PatternGraph.OtherInput(node, value) is not { } other) return null;
        var info = g.Graph.Tensor(other);
        if (info.ConstantValue is not { ElementType: ElementType.Float32 } || info.Shape.Rank > xShape.Rank) return null;
        if (!LayerNormalization.BroadcastsTo(info.Shape, normalized) || g.Graph.Tensor(node.Outputs[0]).Shape != xShape) return null;
        return other;
    }
}
