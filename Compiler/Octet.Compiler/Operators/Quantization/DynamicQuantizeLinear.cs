using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX DynamicQuantizeLinear: quantizes float32 x to uint8 with a scale and zero point computed from x
/// itself, and returns all three. The range is widened to include 0, so that 0 is exactly representable:
/// <code>
/// y_scale      = (max(0, max(x)) - min(0, min(x))) / 255      (1 / 255 when that range is empty)
/// y_zero_point = round_half_to_even(clamp(0 - min(0, min(x)) / y_scale, 0, 255))
/// y            = saturate(round_half_to_even(x / y_scale) + y_zero_point)
/// </code>
/// Every step in float32, in the order above, as the spec and the ONNX reference compute it.
/// </summary>
/// <remarks>
/// An empty x has the range [0, 0]. A NaN in x is ignored by min and max here (the ONNX reference would
/// propagate it into the scale); the NaN element itself quantizes to 0.
/// </remarks>
public sealed class DynamicQuantizeLinear : OperatorDefinition
{
    public override string OpType => "DynamicQuantizeLinear";
    public override IReadOnlyList<int> SinceVersions { get; } = [11];

    private const float QuantizedMin = byte.MinValue, QuantizedMax = byte.MaxValue;

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        if (context.OutputCount != 3)
            throw context.Error($"has 3 outputs (y, y_scale, y_zero_point), but the node declares {context.OutputCount}");
        context.ExpectType(0, ElementType.Float32);
        context.SetOutput(0, ElementType.UInt8, context.InputShape(0));
        context.SetOutput(1, ElementType.Float32, Shape.Scalar);
        context.SetOutput(2, ElementType.UInt8, Shape.Scalar);
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.As<float>();

        float min = 0, max = 0;
        foreach (var v in x)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float scale = (max == min ? 1f : max - min) / (QuantizedMax - QuantizedMin);
        float zeroPointReal = Math.Clamp(QuantizedMin - min / scale, QuantizedMin, QuantizedMax);
        byte zeroPoint = (byte)MathF.Round(zeroPointReal, MidpointRounding.ToEven);

        var y = new byte[x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = QuantizedValues.Quantize<byte>(x[i] / scale, zeroPoint);

        context.SetOutput(0, Tensor.Create(xTensor.Shape, y));
        context.SetOutput(1, Tensor.Scalar(scale));
        context.SetOutput(2, Tensor.Scalar(zeroPoint));
    }
}
