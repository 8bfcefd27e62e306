using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Max: the element-wise maximum of all inputs; NaN wins, as in numpy.maximum. Integers from opset 12.</summary>
public sealed class MaxOperator : VariadicElementwiseOperator
{
    public override string OpType => "Max";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 8, 12, 13];

    protected override ElementType[] AllowedTypes(int version) => version >= 12 ? ElementTypeSets.Numeric : ElementTypeSets.Float;

    protected override Tensor Combine(Tensor a, Tensor b, Shape output) => NumericDispatch.Binary<Function>(a, b, output);

    private readonly struct Function : INumericFunction
    {
        public static T Apply<T>(T a, T b) where T : INumber<T> => T.Max(a, b);
    }
}
