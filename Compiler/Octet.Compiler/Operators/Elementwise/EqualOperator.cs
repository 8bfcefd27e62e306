using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Equal: <c>A == B</c> element-wise with broadcasting; NaN equals nothing. Bool inputs too.</summary>
public sealed class EqualOperator : ComparisonOperator
{
    public override string OpType => "Equal";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 7, 11, 13, 19];

    /// <summary>Opsets 7–10 compare bool, int32 and int64 only; 11 added every numeric type (19: strings, which Octet does not hold).</summary>
    protected override ElementType[] AllowedTypes(int version) => version >= 11
        ? ElementTypeSets.All
        : [ElementType.Bool, ElementType.Int32, ElementType.Int64];

    protected override Tensor Compare(Tensor a, Tensor b, Shape output) => a.ElementType == ElementType.Bool
        ? Tensor.Create(output, BroadcastLoops.Binary<bool, bool, bool, BoolKernel>(a.As<bool>(), a.Shape, b.As<bool>(), b.Shape, output))
        : NumericDispatch.Compare<Function>(a, b, output);

    private readonly struct Function : IComparisonFunction
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a == b;
    }

    private readonly struct BoolKernel : IBinaryKernel<bool, bool, bool>
    {
        public static bool Apply(bool a, bool b) => a == b;
    }
}
