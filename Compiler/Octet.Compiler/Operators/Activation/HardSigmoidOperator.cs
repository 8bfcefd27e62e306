using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>ONNX HardSigmoid: <c>y = max(0, min(1, alpha·x + beta))</c>, alpha 0.2 and beta 0.5 by default.</summary>
public sealed class HardSigmoidOperator : UnaryFloatOperator
{
    public override string OpType => "HardSigmoid";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 22];

    protected override void ValidateAttributes(InferenceContext context)
    {
        context.Node.GetFloat("alpha", 0.2f);
        context.Node.GetFloat("beta", 0.5f);
    }

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        float alpha = node.GetFloat("alpha", 0.2f), beta = node.GetFloat("beta", 0.5f);
        for (int i = 0; i < x.Length; i++) y[i] = MathF.Max(0f, MathF.Min(1f, alpha * x[i] + beta));
    }
}
