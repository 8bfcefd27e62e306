using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// ONNX Erf, the Gauss error function, computed in double precision by <see cref="ErrorFunction"/> (shared
/// with Gelu) and rounded to float.
/// </summary>
public sealed class ErfOperator : UnaryFloatOperator
{
    public override string OpType => "Erf";
    public override IReadOnlyList<int> SinceVersions { get; } = [9, 13];

    protected override void Compute(Node node, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)ErrorFunction.Erf(x[i]);
    }
}
