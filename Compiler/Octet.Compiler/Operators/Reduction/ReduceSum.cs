using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Reduction;

/// <summary>ONNX ReduceSum. Axes move from attribute to input at version 13.</summary>
public sealed class ReduceSum : Reduction
{
    public override string OpType => "ReduceSum";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 13];
    protected override int AxesInputSince => 13;

    protected override ElementType[] AcceptedTypes(int version) => [ElementType.Float32, ElementType.Int32, ElementType.Int64];

    protected override double Identity => 0;
    protected override long IntegerIdentity(ElementType type) => 0;
    protected override double Combine(double accumulator, double value) => accumulator + value;
    protected override long Combine(long accumulator, long value) => unchecked(accumulator + value);
}
