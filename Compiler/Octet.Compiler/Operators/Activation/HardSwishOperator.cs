using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>ONNX HardSwish: <c>y = x · max(0, min(1, x/6 + 1/2))</c>.</summary>
public sealed class HardSwishOperator : UnaryFloatOperator
{
    public override string OpType => "HardSwish";
    public override IReadOnlyList<int> SinceVersions { get; } = [14, 22];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        const float alpha = 1f / 6f, beta = 0.5f;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * MathF.Max(0f, MathF.Min(1f, alpha * x[i] + beta));
    }
}
