using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Sum: the element-wise sum of all inputs (float only in ONNX).</summary>
public sealed class SumOperator : VariadicElementwiseOperator
{
    public override string OpType => "Sum";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 8, 13];

    protected override ElementType[] AllowedTypes(int version) => ElementTypeSets.Float;

    protected override Tensor Combine(Tensor a, Tensor b, Shape output) => NumericDispatch.Binary<Function>(a, b, output);

    private readonly struct Function : INumericFunction
    {
        public static T Apply<T>(T a, T b) where T : INumber<T> => a + b;
    }
}
