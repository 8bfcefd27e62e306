using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Reduction;

/// <summary>ONNX ReduceMean. Axes move from attribute to input at version 18.</summary>
public sealed class ReduceMean : Reduction
{
    public override string OpType => "ReduceMean";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 13, 18];
    protected override int AxesInputSince => 18;

    protected override ElementType[] AcceptedTypes(int version) => [ElementType.Float32, ElementType.Int32, ElementType.Int64];

    protected override double Identity => 0;
    protected override long IntegerIdentity(ElementType type) => 0;
    protected override double Combine(double accumulator, double value) => accumulator + value;
    protected override long Combine(long accumulator, long value) => unchecked(accumulator + value);
    protected override double Finish(double accumulator, long count) => accumulator / count;
    protected override long Finish(long accumulator, long count) => count == 0 ? 0 : accumulator / count;
}
