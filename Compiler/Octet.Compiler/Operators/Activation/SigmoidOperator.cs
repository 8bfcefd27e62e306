using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>ONNX Sigmoid: <c>y = 1 / (1 + e^(−x))</c>, evaluated without overflow for either sign of x.</summary>
public sealed class SigmoidOperator : UnaryFloatOperator
{
    public override string OpType => "Sigmoid";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            if (v >= 0)
            {
                y[i] = 1f / (1f + MathF.Exp(-v));
            }
            else
            {
                // e^v / (1 + e^v): e^v cannot overflow for negative v.
                float e = MathF.Exp(v);
                y[i] = e / (1f + e);
            }
        }
    }
}
