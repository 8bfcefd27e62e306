using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>ONNX Mul: <c>C = A · B</c> with broadcasting; integers wrap on overflow.</summary>
public sealed class MulOperator : BinaryArithmeticOperator
{
    public override string OpType => "Mul";

    protected override Tensor Compute(KernelContext context, Tensor a, Tensor b, Shape output) =>
        NumericDispatch.Binary<Function>(a, b, output);

    private readonly struct Function : INumericFunction
    {
        public static T Apply<T>(T a, T b) where T : INumber<T> => a * b;
    }
}
