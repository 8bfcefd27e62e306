using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX DequantizeLinear: <c>y = (x - x_zero_point) * x_scale</c>, per tensor, per axis or (opset 21+) per
/// block; see <see cref="QuantizationGranularity"/>. x and its zero point are int8, uint8 or int32 (and
/// int16 from opset 21, or in the com.microsoft form); the scale and y are float32.
/// </summary>
/// <remarks>
/// The difference <c>x - x_zero_point</c> is exact (an integer), then converted to float32 and multiplied
/// by the scale in float32: for 8-bit x this is bit for bit what the ONNX reference computes. Versions
/// differ in types Octet does not hold (float16 scales, float8, int4, …) and in attributes: axis is
/// honoured at every version (as the ONNX reference and ONNX Runtime do), block_size from 21, output_dtype
/// from 23 (float only here); attributes a version does not define are ignored, as the ONNX reference does.
/// </remarks>
public class DequantizeLinear : OperatorDefinition
{
    public override string OpType => "DequantizeLinear";
    public override IReadOnlyList<int> SinceVersions => [10, 13, 19, 21, 23, 24, 25];

    /// <summary>
    /// Never folded, even on constant weights: the int8 values and their parameters are what a quantized
    /// model is, and integer lowering must find them as they are (no re-quantization of imported weights).
    /// </summary>
    public override bool CanFold => false;

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 3);
        if (context.InputType(0) == ElementType.Int16) QuantizedValues.ExpectQuantizedType(context, 0, "x", AllowsInt16(context.Node));
        else context.ExpectType(0, ElementType.Int8, ElementType.UInt8, ElementType.Int32);
        QuantizedValues.ExpectScaleType(context, 1, "x_scale");
        QuantizedValues.ExpectSameType(context, 2, 0, "x_zero_point", "x");
        if (context.Node.OpsetVersion >= 23)
        {
            long outputDtype = context.Node.GetInt("output_dtype", 0);
            if (outputDtype is not (0 or (long)ElementType.Float32))
                throw context.Error($"output_dtype={outputDtype}: Octet dequantizes to float32 only");
        }
        QuantizationGranularity.ExpectZeroPointShape(context, 1, 2);
        Granularity(context.Node, context.InputShape(0), context.InputShape(1));
        context.SetOutput(0, ElementType.Float32, context.InputShape(0));
    }

    /// <summary>int16 is a DequantizeLinear type from opset 21 on; ONNX Runtime's com.microsoft form takes it at any opset.</summary>
    protected virtual bool AllowsInt16(Node node) => node.OpsetVersion >= 21;

    private static QuantizationGranularity Granularity(Node node, Shape x, Shape scale) =>
        QuantizationGranularity.Resolve(node, x, scale, node.GetInt("axis", 1), node.OpsetVersion >= 21 ? node.GetInt("block_size", 0) : 0);

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var scale = context.Input(1);
        var zeroPoint = context.OptionalInput(2);
        var granularity = Granularity(context.Node, x.Shape, scale.Shape);
        var scales = scale.As<float>();
        var zeroPoints = zeroPoint is null ? new int[scales.Length] : QuantizedValues.Widen(zeroPoint);
        // On the element type, not the array: a byte[] also matches "is sbyte[]" (see QuantizedValues.Widen).
        var y = x.ElementType switch
        {
            ElementType.Int8 => Dequantize((sbyte[])x.Data, scales, zeroPoints, granularity),
            ElementType.UInt8 => Dequantize((byte[])x.Data, scales, zeroPoints, granularity),
            ElementType.Int16 => Dequantize((short[])x.Data, scales, zeroPoints, granularity),
            ElementType.Int32 => Dequantize((int[])x.Data, scales, zeroPoints, granularity),
            _ => throw context.Error($"cannot dequantize {x.ElementType.OnnxName()}"),
        };
        context.SetOutput(0, Tensor.Create(x.Shape, y));
    }

    private static float[] Dequantize<T>(T[] x, float[] scales, int[] zeroPoints, QuantizationGranularity g)
        where T : unmanaged, IBinaryInteger<T>
    {
        var y = new float[x.Length];
        int index = 0;
        for (int o = 0; o < g.Outer; o++)
        {
            for (int a = 0; a < g.AxisLength; a++)
            {
                int first = g.ParameterIndex(o, a, 0);
                for (int i = 0; i < g.Inner; i++, index++)
                {
                    int p = first + i * g.InnerStride;
                    // In 64 bits so that an int32 x minus its zero point cannot overflow.
                    long centered = long.CreateTruncating(x[index]) - zeroPoints[p];
                    y[index] = centered * scales[p];
                }
            }
        }
        return y;
    }
}
