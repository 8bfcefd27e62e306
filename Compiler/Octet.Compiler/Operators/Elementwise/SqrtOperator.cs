using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Sqrt: <c>y = √x</c>; negative inputs give NaN.</summary>
public sealed class SqrtOperator : UnaryFloatOperator
{
    public override string OpType => "Sqrt";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Sqrt(x[i]);
    }
}
