namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// com.microsoft QLinearAdd: quantized element-wise addition with broadcasting,
/// <c>C = quantize(dequantize(A) + dequantize(B))</c>; see <see cref="QLinearBinaryOperator"/>.
/// </summary>
public sealed class QLinearAdd : QLinearBinaryOperator
{
    public override string OpType => "QLinearAdd";

    protected override float Compute(float a, float b) => a + b;
}
