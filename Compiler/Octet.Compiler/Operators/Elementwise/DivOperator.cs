using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// ONNX Div: <c>C = A / B</c> with broadcasting. Integer division truncates toward zero (as the ONNX
/// reference and C do); dividing the most negative integer by −1 wraps to itself, as numpy does; an integer
/// division by zero is an error naming the node rather than a crash.
/// </summary>
public sealed class DivOperator : BinaryArithmeticOperator
{
    public override string OpType => "Div";

    protected override Tensor Compute(KernelContext context, Tensor a, Tensor b, Shape output)
    {
        try
        {
            return NumericDispatch.Binary<Function>(a, b, output);
        }
        catch (DivideByZeroException)
        {
            throw context.Error($"integer division by zero: divisor '{context.Node.Inputs[1]}' contains 0");
        }
    }

    private readonly struct Function : INumericFunction
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>
        {
            // x / -1 traps for int.MinValue and long.MinValue; negation wraps instead (and is exact for floats).
            if (T.IsNegative(b) && b == -T.One) return -a;
            return a / b;
        }
    }
}
