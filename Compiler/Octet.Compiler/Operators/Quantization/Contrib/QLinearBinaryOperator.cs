using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// What com.microsoft QLinearAdd and QLinearMul share. Inputs A, A_scale, A_zero_point?, B, B_scale,
/// B_zero_point?, C_scale, C_zero_point? (omitted zero points are 0); A, B, C and the zero points all int8 or
/// all uint8; every scale and zero point per tensor; A and B broadcast numpy-style.
/// </summary>
/// <remarks>
/// Defined as dequantize, compute in float32, requantize: <c>a = (A - A_zero_point) * A_scale</c> (likewise b),
/// <c>C = saturate(round_half_to_even(f(a, b) / C_scale) + C_zero_point)</c>. ONNX Runtime's kernels fold the
/// scales into one or two ratios first (e.g. <c>A_scale / C_scale</c>), so their float rounding differs
/// slightly and a result near a half-way point can differ by one step.
/// </remarks>
public abstract class QLinearBinaryOperator : OperatorDefinition
{
    public override string Domain => "com.microsoft";
    public override IReadOnlyList<int> SinceVersions { get; } = [1];

    private const int A = 0, AScale = 1, AZeroPoint = 2, B = 3, BScale = 4, BZeroPoint = 5, CScale = 6, CZeroPoint = 7;

    /// <summary>The float operation on dequantized operands.</summary>
    protected abstract float Compute(float a, float b);

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 7, 8, optional: [AZeroPoint, BZeroPoint]);
        QuantizedValues.ExpectEightBit(context, A, "A");
        foreach (var (index, name) in new[] { (B, "B"), (AZeroPoint, "A_zero_point"), (BZeroPoint, "B_zero_point"), (CZeroPoint, "C_zero_point") })
            QuantizedValues.ExpectSameType(context, index, A, name, "A");
        foreach (var (index, name) in new[] { (AScale, "A_scale"), (BScale, "B_scale"), (CScale, "C_scale") })
        {
            QuantizedValues.ExpectScaleType(context, index, name);
            QuantizedValues.ExpectPerTensor(context, index, name);
        }
        foreach (var (index, name) in new[] { (AZeroPoint, "A_zero_point"), (BZeroPoint, "B_zero_point"), (CZeroPoint, "C_zero_point") })
            QuantizedValues.ExpectPerTensor(context, index, name);
        context.SetOutput(0, context.InputType(A), Broadcasting.Broadcast(context, A, B));
    }

    public override void Execute(KernelContext context)
    {
        var a = context.Input(A);
        var b = context.Input(B);
        var shape = Broadcasting.TryBroadcast(a.Shape, b.Shape)!;
        var aValues = new Dequantized(a, QuantizedValues.Scale(context.Input(AScale)), QuantizedValues.ZeroPoint(context.OptionalInput(AZeroPoint)), shape);
        var bValues = new Dequantized(b, QuantizedValues.Scale(context.Input(BScale)), QuantizedValues.ZeroPoint(context.OptionalInput(BZeroPoint)), shape);
        float cScale = QuantizedValues.Scale(context.Input(CScale));
        int cZeroPoint = QuantizedValues.ZeroPoint(context.OptionalInput(CZeroPoint));
        Array c = a.ElementType == ElementType.Int8
            ? Run<sbyte>(aValues, bValues, cScale, cZeroPoint)
            : Run<byte>(aValues, bValues, cScale, cZeroPoint);
        context.SetOutput(0, Tensor.Create(a.ElementType, shape, c));
    }

    private T[] Run<T>(Dequantized a, Dequantized b, float cScale, int cZeroPoint)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var c = new T[a.SourceOf.Length];
        for (int i = 0; i < c.Length; i++)
            c[i] = QuantizedValues.Quantize<T>(Compute(a.Values[a.SourceOf[i]], b.Values[b.SourceOf[i]]) / cScale, cZeroPoint);
        return c;
    }

    /// <summary>An operand's dequantized values and, for each output element, which of them it reads.</summary>
    private sealed class Dequantized
    {
        public Dequantized(Tensor tensor, float scale, int zeroPoint, Shape output)
        {
            var raw = QuantizedValues.Widen(tensor);
            Values = new float[raw.Length];
            for (int i = 0; i < raw.Length; i++) Values[i] = (raw[i] - zeroPoint) * scale;
            SourceOf = Broadcasting.SourceIndices(tensor.Shape, output);
        }

        public float[] Values { get; }
        public int[] SourceOf { get; }
    }
}
