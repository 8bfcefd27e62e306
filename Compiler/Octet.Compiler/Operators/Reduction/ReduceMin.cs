using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Reduction;

/// <summary>ONNX ReduceMin. int8/uint8 since version 12, bool since 20; axes move to an input at 18.</summary>
public sealed class ReduceMin : Reduction
{
    public override string OpType => "ReduceMin";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 12, 13, 18, 20];
    protected override int AxesInputSince => 18;

    protected override ElementType[] AcceptedTypes(int version) => ReduceMax.ExtremumTypes(version);

    protected override double Identity => double.PositiveInfinity;
    protected override long IntegerIdentity(ElementType type) => type switch
    {
        ElementType.Int32 => int.MaxValue,
        ElementType.Int8 => sbyte.MaxValue,
        ElementType.UInt8 => byte.MaxValue,
        ElementType.Bool => 1,
        _ => long.MaxValue,
    };
    // NaN propagates, as numpy's min does.
    protected override double Combine(double accumulator, double value) => Math.Min(accumulator, value);
    protected override long Combine(long accumulator, long value) => Math.Min(accumulator, value);
}
