using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Log: natural logarithm; 0 gives −∞, negative inputs NaN.</summary>
public sealed class LogOperator : UnaryFloatOperator
{
    public override string OpType => "Log";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Log(x[i]);
    }
}
