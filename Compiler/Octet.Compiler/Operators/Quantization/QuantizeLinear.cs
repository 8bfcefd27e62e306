using System.Numerics;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX QuantizeLinear: <c>y = saturate(round_half_to_even(x / y_scale) + y_zero_point)</c>, per tensor,
/// per axis or (opset 21+) per block; see <see cref="QuantizationGranularity"/>. x is float32 or int32,
/// y_scale float32; y is int8 or uint8, or int16 from opset 21 (and in the com.microsoft form) — the zero
/// point's type, else <c>output_dtype</c> (21+), else uint8.
/// </summary>
/// <remarks>
/// The division is done in float32, the scale's type (as the spec says and the ONNX reference does for
/// float x; for int32 x the reference divides in float64, which differs only for |x| beyond 2^24).
/// Versions differ in types Octet does not hold (float16, float8, int4, …) and in attributes: axis
/// is honoured at every version (the ONNX reference and ONNX Runtime both do, though opset 10 does not
/// define it), block_size and output_dtype from 21, precision from 23; attributes a version does not
/// define are ignored, as the ONNX reference does. saturate only concerns float8 outputs.
/// </remarks>
public class QuantizeLinear : OperatorDefinition
{
    public override string OpType => "QuantizeLinear";
    public override IReadOnlyList<int> SinceVersions => [10, 13, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 3);
        context.ExpectType(0, ElementType.Float32, ElementType.Int32);
        QuantizedValues.ExpectScaleType(context, 1, "y_scale");
        if (context.HasInput(2)) QuantizedValues.ExpectQuantizedType(context, 2, "y_zero_point", AllowsInt16(context.Node));
        var outputType = OutputType(context.Node, context.HasInput(2) ? context.InputType(2) : null);
        CheckPrecision(context);
        QuantizationGranularity.ExpectZeroPointShape(context, 1, 2);
        Granularity(context.Node, context.InputShape(0), context.InputShape(1));
        context.SetOutput(0, outputType, context.InputShape(0));
    }

    /// <summary>
    /// y's type: the zero point's when present (output_dtype, if also given, must agree), else output_dtype
    /// (opset 21+), else uint8.
    /// </summary>
    private static ElementType OutputType(Node node, ElementType? zeroPointType)
    {
        long outputDtype = node.OpsetVersion >= 21 ? node.GetInt("output_dtype", 0) : 0;
        if (zeroPointType is { } type)
        {
            if (outputDtype != 0 && outputDtype != (long)type)
                throw OctetException.AtNode(node, $"output_dtype={outputDtype} ({DescribeType(outputDtype)}) differs from the zero point's " +
                                                  $"type {type.OnnxName()}; they must agree");
            return type;
        }
        if (outputDtype == 0) return ElementType.UInt8;
        if (outputDtype is (long)ElementType.Int8 or (long)ElementType.UInt8 or (long)ElementType.Int16) return (ElementType)outputDtype;
        throw OctetException.AtNode(node, $"output_dtype={outputDtype} ({DescribeType(outputDtype)}): Octet quantizes to int8, uint8 and int16 only");
    }

    /// <summary>int16 is a QuantizeLinear type from opset 21 on; ONNX Runtime's com.microsoft form takes it at any opset.</summary>
    protected virtual bool AllowsInt16(Node node) => node.OpsetVersion >= 21;

    private static string DescribeType(long code) =>
        code is >= 0 and <= int.MaxValue && Enum.IsDefined(typeof(ElementType), (int)code) ? ((ElementType)code).OnnxName() : "not an element type";

    /// <summary>precision (opset 23+) names the type the division runs in; Octet divides in float32 only.</summary>
    private static void CheckPrecision(InferenceContext context)
    {
        if (context.Node.OpsetVersion < 23) return;
        long precision = context.Node.GetInt("precision", 0);
        if (precision is 0 or (long)ElementType.Float32) return;
        throw context.Error($"precision={precision} ({DescribeType(precision)}): Octet divides in float32 only");
    }

    private static QuantizationGranularity Granularity(Node node, Shape x, Shape scale) =>
        QuantizationGranularity.Resolve(node, x, scale, node.GetInt("axis", 1), node.OpsetVersion >= 21 ? node.GetInt("block_size", 0) : 0);

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var scale = context.Input(1);
        var zeroPoint = context.OptionalInput(2);
        var granularity = Granularity(context.Node, x.Shape, scale.Shape);
        var outputType = OutputType(context.Node, zeroPoint?.ElementType);

        var scales = scale.As<float>();
        var zeroPoints = zeroPoint is null ? new int[scales.Length] : QuantizedValues.Widen(zeroPoint);
        Array y = (x.ElementType, outputType) switch
        {
            (ElementType.Float32, ElementType.Int8) => Quantize<float, sbyte>(x.As<float>(), scales, zeroPoints, granularity),
            (ElementType.Float32, ElementType.UInt8) => Quantize<float, byte>(x.As<float>(), scales, zeroPoints, granularity),
            (ElementType.Int32, ElementType.Int8) => Quantize<int, sbyte>(x.As<int>(), scales, zeroPoints, granularity),
            (ElementType.Int32, ElementType.UInt8) => Quantize<int, byte>(x.As<int>(), scales, zeroPoints, granularity),
            (ElementType.Float32, ElementType.Int16) => Quantize<float, short>(x.As<float>(), scales, zeroPoints, granularity),
            (ElementType.Int32, ElementType.Int16) => Quantize<int, short>(x.As<int>(), scales, zeroPoints, granularity),
            _ => throw context.Error($"cannot quantize {x.ElementType.OnnxName()} to {outputType.OnnxName()}"),
        };
        context.SetOutput(0, Tensor.Create(outputType, x.Shape, y));
    }

    private static TOut[] Quantize<TIn, TOut>(TIn[] x, float[] scales, int[] zeroPoints, QuantizationGranularity g)
        where TIn : unmanaged, INumberBase<TIn>
        where TOut : unmanaged, IBinaryInteger<TOut>, IMinMaxValue<TOut>
    {
        var y = new TOut[x.Length];
        int index = 0;
        for (int o = 0; o < g.Outer; o++)
        {
            for (int a = 0; a < g.AxisLength; a++)
            {
                int first = g.ParameterIndex(o, a, 0);
                for (int i = 0; i < g.Inner; i++, index++)
                {
                    int p = first + i * g.InnerStride;
                    y[index] = QuantizedValues.Quantize<TOut>(float.CreateTruncating(x[index]) / scales[p], zeroPoints[p]);
                }
            }
        }
        return y;
    }
}
