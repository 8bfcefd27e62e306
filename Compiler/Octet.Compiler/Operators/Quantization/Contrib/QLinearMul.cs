namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// com.microsoft QLinearMul: quantized element-wise multiplication with broadcasting,
/// <c>C = quantize(dequantize(A) * dequantize(B))</c>; see <see cref="QLinearBinaryOperator"/>. (The
/// contrib docs write it as <c>(A - A_zp)(B - B_zp) * (A_scale * B_scale / C_scale) + C_zp</c>, equal in
/// exact arithmetic; the float32 roundings differ.)
/// </summary>
public sealed class QLinearMul : QLinearBinaryOperator
{
    public override string OpType => "QLinearMul";

    protected override float Compute(float a, float b) => a * b;
}
