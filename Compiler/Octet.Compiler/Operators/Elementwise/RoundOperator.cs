using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Round: to the nearest integer, halves to even (2.5 → 2, −4.5 → −4); integral values, ±0, NaN and ±∞ are returned unchanged.</summary>
public sealed class RoundOperator : UnaryFloatOperator
{
    public override string OpType => "Round";
    public override IReadOnlyList<int> SinceVersions { get; } = [11, 22];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Round(x[i], MidpointRounding.ToEven);
    }
}
