using Octet.Compiler.Graph;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>
/// Recognizes GELU as exporters write it before opset 20, and replaces it with one Gelu node:
/// <list type="bullet">
/// <item>erf form (PyTorch, BERT): <c>g = Add(Erf(Div(x, √2)), 1)</c> (or <c>Mul(x, 1/√2)</c>) →
/// Gelu(x);</item>
/// <item>tanh form (GPT-2, "gelu_new"): <c>g = Add(Tanh(Mul(Add(x, Mul(Pow(x, 3), 0.044715)), √(2/π))), 1)</c>
/// → Gelu(x, approximate="tanh");</item>
/// </list>
/// each followed by the half product <c>Mul(Mul(x, 0.5), g)</c>, <c>Mul(Mul(x, g), 0.5)</c> or
/// <c>Mul(x, Mul(g, 0.5))</c>, operands of every commutative op in either order. Matched only when each
/// constant is that number to float32 precision, every intermediate is read by the pattern alone, and x
/// already has the result's shape.
/// </summary>
internal static class GeluFusion
{
    /// <summary>The opset version of Gelu the fused node is (the first one in the default domain).</summary>
    public const int FusedVersion = 20;

    public static IEnumerable<Fusion> Find(PatternGraph g)
    {
        foreach (var node in g.Graph.Nodes.Where(n => n.Domain.Length == 0 && n.OpType is "Erf" or "Tanh").ToList())
            if ((node.OpType == "Erf" ? MatchErf(g, node) : MatchTanh(g, node)) is { } fusion) yield return fusion;
    }

    private static Fusion? MatchErf(PatternGraph g, Node erf)
    {
        if (!g.OnlyReadBy(erf.Inputs[0], erf)) return null;
        string? x = null;
        var scaling = g.Producer(erf.Inputs[0], "Div") ?? g.Producer(erf.Inputs[0], "Mul");
        if (scaling is null) return null;
        if (scaling.OpType == "Div" && g.IsScalar(scaling.Inputs[1], Math.Sqrt(2))) x = scaling.Inputs[0];
        else if (scaling.OpType == "Mul") x = ScalarOperandPartner(g, scaling, Math.Sqrt(0.5));
        if (x is null) return null;
        return Complete(g, "Gelu (erf)", x, [scaling, erf], erf.Outputs[0], approximate: null);
    }

    private static Fusion? MatchTanh(PatternGraph g, Node tanh)
    {
        if (!g.OnlyReadBy(tanh.Inputs[0], tanh)) return null;
        var scaling = g.Producer(tanh.Inputs[0], "Mul");
        if (scaling is null || ScalarOperandPartner(g, scaling, Math.Sqrt(2 / Math.PI)) is not { } inner) return null;
        var sum = g.Producer(inner, "Add");
        if (sum is null || !g.OnlyReadBy(inner, scaling) || sum.Inputs.Count != 2) return null;
        // Add(x, c·x³): whichever operand is c·x³ of the other.
        foreach (var (x, cubicTerm) in new[] { (sum.Inputs[0], sum.Inputs[1]), (sum.Inputs[1], sum.Inputs[0]) })
        {
            var mul = g.Producer(cubicTerm, "Mul");
            if (mul is null || ScalarOperandPartner(g, mul, 0.044715) is not { } cube || !g.OnlyReadBy(cubicTerm, sum)) continue;
            var pow = g.Producer(cube, "Pow");
            if (pow is null || pow.Inputs[0] != x || !g.IsScalar(pow.Inputs[1], 3) || !g.OnlyReadBy(cube, mul)) continue;
            return Complete(g, "Gelu (tanh)", x, [pow, mul, sum, scaling, tanh], tanh.Outputs[0], approximate: "tanh");
        }
        return null;
    }

    /// <summary>The gate g = Add(core, 1), then the half product of x and g; builds the fusion.</summary>
    private static Fusion? Complete(PatternGraph g, string kind, string x, List<Node> nodes, string core, string? approximate)
    {
        var info = g.Graph.Tensor(x);
        if (info.ElementType != ElementType.Float32 || info.IsConstant) return null;
        var addOne = g.SoleConsumer(core, "Add");
        if (addOne is null || ScalarOperandPartner(g, addOne, 1) != core) return null;
        nodes.Add(addOne);
        var half = HalfProduct(g, x, addOne.Outputs[0]);
        if (half is null) return null;
        nodes.AddRange(half.Value.Nodes);
        var output = half.Value.Output;
        if (g.Graph.Tensor(output).Shape != info.Shape) return null;

        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        if (approximate is not null) attributes["approximate"] = new("approximate", AttributeKind.String, approximate);
        var fused = new Node(g.Graph.UniqueName($"{nodes[0].Name}_Gelu"), "Gelu", "", FusedVersion, [x], [output], attributes);
        return new Fusion(kind, nodes, fused, []);
    }

    /// <summary>0.5 · x · gate in any of the three ways exporters group it: the nodes and the result tensor.</summary>
    private static (List<Node> Nodes, string Output)? HalfProduct(PatternGraph g, string x, string gate)
    {
        var mul = g.SoleConsumer(gate, "Mul");
        if (mul is null || PatternGraph.OtherInput(mul, gate) is not { } other) return null;

        // Mul(Mul(x, 0.5), gate)
        if (g.Producer(other, "Mul") is { } halfX && ScalarOperandPartner(g, halfX, 0.5) == x && g.OnlyReadBy(other, mul))
            return ([halfX, mul], mul.Outputs[0]);
        // Mul(Mul(x, gate), 0.5)
        if (other == x && g.SoleConsumer(mul.Outputs[0], "Mul") is { } byHalf && ScalarOperandPartner(g, byHalf, 0.5) == mul.Outputs[0])
            return ([mul, byHalf], byHalf.Outputs[0]);
        // Mul(x, Mul(gate, 0.5))
        if (g.IsScalar(other, 0.5) && g.SoleConsumer(mul.Outputs[0], "Mul") is { } timesX && PatternGraph.OtherInput(timesX, mul.Outputs[0]) == x)
            return ([mul, timesX], timesX.Outputs[0]);
        return null;
    }

    /// <summary>For a binary node with one operand a scalar constant equal to <paramref name="value"/>: the other operand.</summary>
    private static string? ScalarOperandPartner(PatternGraph g, Node node, double value)
    {
        if (node.Inputs.Count != 2) return null;
        if (g.IsScalar(node.Inputs[1], value)) return node.Inputs[0];
        if (g.IsScalar(node.Inputs[0], value)) return node.Inputs[1];
        return null;
    }
}
