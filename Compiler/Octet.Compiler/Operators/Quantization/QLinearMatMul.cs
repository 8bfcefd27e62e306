using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX QLinearMatMul: numpy.matmul of quantized tensors. The inputs are a, a_scale, a_zero_point, b,
/// b_scale, b_zero_point, y_scale, y_zero_point; a, b and y are each int8 or uint8 with zero points of the
/// same type. a's scale and zero point are per tensor or per row, b's per tensor or per column (see
/// <see cref="IntegerMatMul"/>), y's per tensor. Version 21 adds float16/bfloat16 scales and float8 types,
/// which Octet does not hold; the semantics are otherwise those of version 10.
/// </summary>
/// <remarks>
/// <c>acc = (a - a_zero_point) @ (b - b_zero_point)</c> is exact in int32, then
/// <c>y = saturate(round_half_to_even(acc * M) + y_zero_point)</c> with <c>M = a_scale * b_scale / y_scale</c>
/// computed in float32 (per output element when a or b has per-row/column scales) and the product
/// <c>acc * M</c> in float64 — as the ONNX reference computes it. ONNX Runtime forms the product in float32,
/// so it can differ by one step where <c>acc * M</c> lies within float32 rounding of a half-way point.
/// </remarks>
public sealed class QLinearMatMul : OperatorDefinition
{
    public override string OpType => "QLinearMatMul";
    public override IReadOnlyList<int> SinceVersions { get; } = [10, 21];

    private const int A = 0, AScale = 1, AZeroPoint = 2, B = 3, BScale = 4, BZeroPoint = 5, YScale = 6, YZeroPoint = 7;

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 8, 8);
        QuantizedValues.ExpectEightBit(context, A, "a");
        QuantizedValues.ExpectEightBit(context, B, "b");
        QuantizedValues.ExpectEightBit(context, YZeroPoint, "y_zero_point");
        QuantizedValues.ExpectSameType(context, AZeroPoint, A, "a_zero_point", "a");
        QuantizedValues.ExpectSameType(context, BZeroPoint, B, "b_zero_point", "b");
        QuantizedValues.ExpectScaleType(context, AScale, "a_scale");
        QuantizedValues.ExpectScaleType(context, BScale, "b_scale");
        QuantizedValues.ExpectScaleType(context, YScale, "y_scale");

        var a = context.InputShape(A);
        var b = context.InputShape(B);
        var plan = IntegerMatMul.Plan(context.Node, a, b);
        plan.RowParameter(context, AScale, "a_scale", a);
        plan.RowParameter(context, AZeroPoint, "a_zero_point", a);
        plan.ColumnParameter(context, BScale, "b_scale", b);
        plan.ColumnParameter(context, BZeroPoint, "b_zero_point", b);
        QuantizationGranularity.ExpectZeroPointShape(context, AScale, AZeroPoint);
        QuantizationGranularity.ExpectZeroPointShape(context, BScale, BZeroPoint);
        QuantizedValues.ExpectPerTensor(context, YScale, "y_scale");
        QuantizedValues.ExpectPerTensor(context, YZeroPoint, "y_zero_point");
        context.SetOutput(0, context.InputType(YZeroPoint), plan.Output);
    }

    public override void Execute(KernelContext context)
    {
        var a = context.Input(A);
        var b = context.Input(B);
        var plan = IntegerMatMul.Plan(context.Node, a.Shape, b.Shape);
        var aScale = context.Input(AScale);
        var bScale = context.Input(BScale);
        var aParameterShape = IntegerMatMul.RowParameter(aScale.Shape);
        var bParameterShape = IntegerMatMul.ColumnParameter(bScale.Shape);
        var accumulators = plan.Multiply(
            IntegerMatMul.Shift(a, plan.MatrixA, context.Input(AZeroPoint), aParameterShape),
            IntegerMatMul.Shift(b, plan.MatrixB, context.Input(BZeroPoint), bParameterShape));

        // One multiplier per output element, from the row's a_scale and the column's b_scale.
        float yScale = QuantizedValues.Scale(context.Input(YScale));
        var aScales = aScale.As<float>();
        var bScales = bScale.As<float>();
        var multipliers = new float[accumulators.Length];
        if (aScales.Length == 1 && bScales.Length == 1)
        {
            Array.Fill(multipliers, aScales[0] * bScales[0] / yScale);
        }
        else
        {
            var rowOf = Broadcasting.SourceIndices(aParameterShape, plan.FullOutput);
            var columnOf = Broadcasting.SourceIndices(bParameterShape, plan.FullOutput);
            for (int i = 0; i < multipliers.Length; i++) multipliers[i] = aScales[rowOf[i]] * bScales[columnOf[i]] / yScale;
        }

        var yZeroPoint = context.Input(YZeroPoint);
        int zeroPoint = QuantizedValues.ZeroPoint(yZeroPoint);
        Array y = yZeroPoint.ElementType == ElementType.Int8
            ? Requantize<sbyte>(accumulators, multipliers, zeroPoint)
            : Requantize<byte>(accumulators, multipliers, zeroPoint);
        context.SetOutput(0, Tensor.Create(yZeroPoint.ElementType, plan.Output, y));
    }

    private static T[] Requantize<T>(int[] accumulators, float[] multipliers, int zeroPoint)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var y = new T[accumulators.Length];
        for (int i = 0; i < y.Length; i++) y[i] = QuantizedValues.Quantize<T>(accumulators[i] * (double)multipliers[i], zeroPoint);
        return y;
    }
}
