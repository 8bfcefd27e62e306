using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// com.microsoft QLinearSigmoid: <c>Y = quantize(sigmoid(dequantize(X)))</c>. Inputs X, X_scale,
/// X_zero_point?, Y_scale, Y_zero_point? (omitted zero points are 0); X, Y and the zero points all int8 or
/// all uint8; scales and zero points per tensor.
/// </summary>
/// <remarks>
/// Computed per element in float32: <c>x = (X - X_zero_point) * X_scale</c>, <c>s = 1 / (1 + e^-x)</c> (as
/// <c>e^x / (1 + e^x)</c> for negative x, which cannot overflow), <c>Y = saturate(round_half_to_even(s / Y_scale)
/// + Y_zero_point)</c>. ONNX Runtime builds a 256-entry table from its own vectorized sigmoid and quantizer,
/// so an entry near a half-way point can differ by one step.
/// </remarks>
public sealed class QLinearSigmoid : OperatorDefinition
{
    public override string OpType => "QLinearSigmoid";
    public override string Domain => "com.microsoft";
    public override IReadOnlyList<int> SinceVersions { get; } = [1];

    private const int X = 0, XScale = 1, XZeroPoint = 2, YScale = 3, YZeroPoint = 4;

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 4, 5, optional: [XZeroPoint]);
        QuantizedValues.ExpectEightBit(context, X, "X");
        QuantizedValues.ExpectSameType(context, XZeroPoint, X, "X_zero_point", "X");
        QuantizedValues.ExpectSameType(context, YZeroPoint, X, "Y_zero_point", "X");
        foreach (var (index, name) in new[] { (XScale, "X_scale"), (YScale, "Y_scale") })
        {
            QuantizedValues.ExpectScaleType(context, index, name);
            QuantizedValues.ExpectPerTensor(context, index, name);
        }
        QuantizedValues.ExpectPerTensor(context, XZeroPoint, "X_zero_point");
        QuantizedValues.ExpectPerTensor(context, YZeroPoint, "Y_zero_point");
        context.SetOutput(0, context.InputType(X), context.InputShape(X));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(X);
        float xScale = QuantizedValues.Scale(context.Input(XScale)), yScale = QuantizedValues.Scale(context.Input(YScale));
        int xZeroPoint = QuantizedValues.ZeroPoint(context.OptionalInput(XZeroPoint));
        int yZeroPoint = QuantizedValues.ZeroPoint(context.OptionalInput(YZeroPoint));
        Array y = x.ElementType switch
        {
            ElementType.Int8 => Run((sbyte[])x.Data, xScale, xZeroPoint, yScale, yZeroPoint),
            ElementType.UInt8 => Run((byte[])x.Data, xScale, xZeroPoint, yScale, yZeroPoint),
            _ => throw context.Error($"X is {x.ElementType.OnnxName()}; expected int8 or uint8"),
        };
        context.SetOutput(0, Tensor.Create(x.ElementType, x.Shape, y));
    }

    private static T[] Run<T>(T[] x, float xScale, int xZeroPoint, float yScale, int yZeroPoint)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var y = new T[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            float real = (int.CreateTruncating(x[i]) - xZeroPoint) * xScale;
            y[i] = QuantizedValues.Quantize<T>(Sigmoid(real) / yScale, yZeroPoint);
        }
        return y;
    }

    private static float Sigmoid(float v)
    {
        if (v >= 0) return 1f / (1f + MathF.Exp(-v));
        float e = MathF.Exp(v);
        return e / (1f + e);
    }
}
