using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Exp: <c>y = eˣ</c>.</summary>
public sealed class ExpOperator : UnaryFloatOperator
{
    public override string OpType => "Exp";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Exp(x[i]);
    }
}
