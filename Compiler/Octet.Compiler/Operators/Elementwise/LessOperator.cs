using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Less: <c>A &lt; B</c> element-wise with broadcasting; comparisons with NaN are false. Integers from opset 9.</summary>
public sealed class LessOperator : ComparisonOperator
{
    public override string OpType => "Less";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 7, 9, 13];

    protected override ElementType[] AllowedTypes(int version) => version >= 9 ? ElementTypeSets.Numeric : ElementTypeSets.Float;

    protected override Tensor Compare(Tensor a, Tensor b, Shape output) => NumericDispatch.Compare<Function>(a, b, output);

    private readonly struct Function : IComparisonFunction
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a < b;
    }
}
