using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Reduction;

/// <summary>ONNX ReduceMax. int8/uint8 since version 12, bool since 20; axes move to an input at 18.</summary>
public sealed class ReduceMax : Reduction
{
    public override string OpType => "ReduceMax";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 12, 13, 18, 20];
    protected override int AxesInputSince => 18;

    protected override ElementType[] AcceptedTypes(int version) => ExtremumTypes(version);

    internal static ElementType[] ExtremumTypes(int version) => version switch
    {
        < 12 => [ElementType.Float32, ElementType.Int32, ElementType.Int64],
        < 20 => [ElementType.Float32, ElementType.Int32, ElementType.Int64, ElementType.Int8, ElementType.UInt8],
        _ => [ElementType.Float32, ElementType.Int32, ElementType.Int64, ElementType.Int8, ElementType.UInt8, ElementType.Bool],
    };

    protected override double Identity => double.NegativeInfinity;
    protected override long IntegerIdentity(ElementType type) => type switch
    {
        ElementType.Int32 => int.MinValue,
        ElementType.Int8 => sbyte.MinValue,
        ElementType.UInt8 or ElementType.Bool => 0,
        _ => long.MinValue,
    };
    // NaN propagates, as numpy's max does.
    protected override double Combine(double accumulator, double value) => Math.Max(accumulator, value);
    protected override long Combine(long accumulator, long value) => Math.Max(accumulator, value);
}
