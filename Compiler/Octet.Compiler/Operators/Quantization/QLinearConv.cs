using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX QLinearConv: Conv on quantized tensors. The inputs are x, x_scale, x_zero_point, w, w_scale,
/// w_zero_point, y_scale, y_zero_point and an optional int32 bias B (quantized with scale x_scale * w_scale
/// and zero point 0). x, w and y are each int8 or uint8 with their zero points of the same type; x's and
/// y's parameters are per-tensor, w's per-tensor or one per output channel. Attributes as Conv's.
/// </summary>
/// <remarks>
/// The sum <c>B + Σ (x - x_zero_point)(w - w_zero_point)</c> is exact in int32 (see
/// <see cref="IntegerConvolution"/>), then requantized per output channel:
/// <c>y = saturate(round_half_to_even(acc * M) + y_zero_point)</c> with <c>M = x_scale * w_scale / y_scale</c>
/// computed in float32 and the product <c>acc * M</c> in float64 — as the ONNX reference computes it.
/// ONNX Runtime forms the product in float32 (MlasRequantizeOutput), so it can differ by one step where
/// <c>acc * M</c> lies within float32 rounding of a half-way point.
/// </remarks>
public sealed class QLinearConv : OperatorDefinition
{
    public override string OpType => "QLinearConv";
    public override IReadOnlyList<int> SinceVersions { get; } = [10];

    private const int X = 0, XScale = 1, XZeroPoint = 2, W = 3, WScale = 4, WZeroPoint = 5, YScale = 6, YZeroPoint = 7, Bias = 8;

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 8, 9);
        QuantizedValues.ExpectEightBit(context, X, "x");
        QuantizedValues.ExpectEightBit(context, W, "w");
        QuantizedValues.ExpectEightBit(context, YZeroPoint, "y_zero_point");
        QuantizedValues.ExpectSameType(context, XZeroPoint, X, "x_zero_point", "x");
        QuantizedValues.ExpectSameType(context, WZeroPoint, W, "w_zero_point", "w");
        QuantizedValues.ExpectScaleType(context, XScale, "x_scale");
        QuantizedValues.ExpectScaleType(context, WScale, "w_scale");
        QuantizedValues.ExpectScaleType(context, YScale, "y_scale");

        var output = IntegerConvolution.InferShape(context, X, W);
        int outChannels = context.InputShape(W)[0];
        QuantizedValues.ExpectPerTensor(context, XScale, "x_scale");
        QuantizedValues.ExpectPerTensor(context, XZeroPoint, "x_zero_point");
        QuantizedValues.ExpectPerTensor(context, YScale, "y_scale");
        QuantizedValues.ExpectPerTensor(context, YZeroPoint, "y_zero_point");
        IntegerConvolution.ExpectPerOutputChannel(context, WScale, "w_scale", outChannels);
        IntegerConvolution.ExpectPerOutputChannel(context, WZeroPoint, "w_zero_point", outChannels);
        QuantizationGranularity.ExpectZeroPointShape(context, WScale, WZeroPoint);
        if (context.HasInput(Bias))
        {
            context.ExpectType(Bias, ElementType.Int32);
            var b = context.InputShape(Bias);
            if (b.Rank != 1 || b[0] != outChannels)
                throw context.Error($"bias B has shape {b}; expected [{outChannels}] (one value per output channel)");
        }
        context.SetOutput(0, context.InputType(YZeroPoint), output);
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(X);
        var w = context.Input(W);
        int outChannels = w.Shape[0];
        var wZeroPoints = IntegerConvolution.PerOutputChannel(QuantizedValues.Widen(context.Input(WZeroPoint)), outChannels);
        var accumulators = IntegerConvolution.Accumulate(context.Node,
            IntegerConvolution.ShiftInput(x, QuantizedValues.ZeroPoint(context.Input(XZeroPoint))), x.Shape,
            IntegerConvolution.ShiftWeights(w, wZeroPoints), w.Shape,
            context.OptionalInput(Bias)?.As<int>(), out var outputShape);

        float xScale = QuantizedValues.Scale(context.Input(XScale)), yScale = QuantizedValues.Scale(context.Input(YScale));
        var wScales = IntegerConvolution.PerOutputChannel(context.Input(WScale).As<float>(), outChannels);
        var multipliers = new float[outChannels];
        for (int oc = 0; oc < outChannels; oc++) multipliers[oc] = xScale * wScales[oc] / yScale;

        var yZeroPoint = context.Input(YZeroPoint);
        int zeroPoint = QuantizedValues.ZeroPoint(yZeroPoint);
        Array y = yZeroPoint.ElementType == ElementType.Int8
            ? Requantize<sbyte>(accumulators, outputShape, multipliers, zeroPoint)
            : Requantize<byte>(accumulators, outputShape, multipliers, zeroPoint);
        context.SetOutput(0, Tensor.Create(yZeroPoint.ElementType, outputShape, y));
    }

    private static T[] Requantize<T>(int[] accumulators, Shape shape, float[] multipliers, int zeroPoint)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var y = new T[accumulators.Length];
        int outChannels = shape[1];
        int plane = outChannels == 0 || shape[0] == 0 ? 0 : accumulators.Length / (shape[0] * outChannels);
        for (int index = 0, channel = 0; index < accumulators.Length; index += plane, channel++)
        {
            double multiplier = multipliers[channel % outChannels];
            for (int i = index; i < index + plane; i++)
                y[i] = QuantizedValues.Quantize<T>(accumulators[i] * multiplier, zeroPoint);
        }
        return y;
    }
}
