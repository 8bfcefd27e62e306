using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Reciprocal: <c>y = 1 / x</c>; 0 gives ±∞.</summary>
public sealed class ReciprocalOperator : UnaryFloatOperator
{
    public override string OpType => "Reciprocal";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = 1f / x[i];
    }
}
