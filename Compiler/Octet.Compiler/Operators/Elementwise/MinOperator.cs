using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Min: the element-wise minimum of all inputs; NaN wins, as in numpy.minimum. Integers from opset 12.</summary>
public sealed class MinOperator : VariadicElementwiseOperator
{
    public override string OpType => "Min";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 8, 12, 13];

    protected override ElementType[] AllowedTypes(int version) => version >= 12 ? ElementTypeSets.Numeric : ElementTypeSets.Float;

    protected override Tensor Combine(Tensor a, Tensor b, Shape output) => NumericDispatch.Binary<Function>(a, b, output);

    private readonly struct Function : INumericFunction
    {
        public static T Apply<T>(T a, T b) where T : INumber<T> => T.Min(a, b);
    }
}
