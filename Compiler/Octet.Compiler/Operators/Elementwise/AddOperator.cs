using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Add: <c>C = A + B</c> with broadcasting; integers wrap on overflow.</summary>
public sealed class AddOperator : BinaryArithmeticOperator
{
    public override string OpType => "Add";

    protected override Tensor Compute(KernelContext context, Tensor a, Tensor b, Shape output) =>
        NumericDispatch.Binary<Function>(a, b, output);

    private readonly struct Function : INumericFunction
    {
        public static T Apply<T>(T a, T b) where T : INumber<T> => a + b;
    }
}
