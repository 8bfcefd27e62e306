using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>ONNX LeakyRelu: <c>y = x</c> for x ≥ 0, <c>alpha·x</c> below (alpha defaults to 0.01).</summary>
public sealed class LeakyReluOperator : UnaryFloatOperator
{
    public override string OpType => "LeakyRelu";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 16];

    protected override void ValidateAttributes(InferenceContext context) => context.Node.GetFloat("alpha", 0.01f);

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        float alpha = node.GetFloat("alpha", 0.01f);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] < 0 ? alpha * x[i] : x[i];
    }
}
