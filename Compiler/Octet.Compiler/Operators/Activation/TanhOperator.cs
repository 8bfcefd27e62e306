using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>ONNX Tanh: the hyperbolic tangent.</summary>
public sealed class TanhOperator : UnaryFloatOperator
{
    public override string OpType => "Tanh";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Tanh(x[i]);
    }
}
