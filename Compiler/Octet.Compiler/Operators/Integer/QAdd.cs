using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QAdd(A, B): element-wise sum of two 8-bit tensors with different scales, with broadcasting.
/// </summary>
/// <remarks>
/// <para>fixed-point (the TFLite / gemmlowp scheme): each operand is brought to a common fine scale in
/// integers, <c>a' = MultiplyByFixedPoint((a − a_zero_point) · 2^left_shift, a_multiplier, a_shift)</c> and
/// likewise b', then <c>a' + b'</c> is requantized with the shared attributes (<c>multiplier</c>, <c>shift</c>).
/// Attributes <c>left_shift</c> (int, default 20), <c>a_multiplier</c>, <c>a_shift</c>, <c>b_multiplier</c>,
/// <c>b_shift</c>. The node is rejected unless <c>(a − a_zero_point) · 2^left_shift</c> and <c>a' + b'</c> fit
/// int32 for every possible operand value (checked from the attributes alone).</para>
/// <para>float: <c>a_scale</c>, <c>b_scale</c>, <c>y_scale</c> (positive floats):
/// <c>y = clamp(round_half_even(((a − a_zp) · a_scale + (b − b_zp) · b_scale) / y_scale) + y_zp)</c>, every
/// operation in float32 in that order. A plain formula: bit-exactness with ONNX Runtime's QLinearAdd, whose
/// algebra differs by platform, is not attempted here.</para>
/// </remarks>
public sealed class QAdd : IntegerBinaryOperator
{
    public override string OpType => "QAdd";

    private const int DefaultLeftShift = 20;

    protected override IEnumerable<string> AllowedAttributes(Node node)
    {
        var mode = Requantizer.ReadMode(node);
        var own = mode == RequantizationMode.FixedPoint
            ? new[] { "left_shift", "a_multiplier", "a_shift", "b_multiplier", "b_shift" }
            : ["a_scale", "b_scale", "y_scale"];
        return Requantizer.AttributeNames(mode, usesScale: false).Concat(ZeroPointAttributes).Concat(own);
    }

    protected override ElementType CheckAttributes(Node node, ElementType aType, ElementType bType)
    {
        var (aZeroPoint, bZeroPoint) = ReadZeroPoints(node, aType, bType);
        var requantizer = Requantizer.Read(node, 1, "tensor", usesScale: false);
        if (requantizer.Mode == RequantizationMode.Float)
        {
            ReadFloatScales(node);
            return requantizer.OutputType;
        }

        var (leftShift, aRescale, bRescale) = ReadFixedPoint(node);
        // Both rescaled operands and their sum must stay in int32 for every 8-bit value: check the extremes
        // (MultiplyByFixedPoint is monotone in its accumulator for a non-negative multiplier).
        long aExtreme = RescaledExtreme(node, aType, aZeroPoint, leftShift, aRescale, "A");
        long bExtreme = RescaledExtreme(node, bType, bZeroPoint, leftShift, bRescale, "B");
        IntegerAttributes.ExpectFitsInt32(node, aExtreme + bExtreme, "the rescaled sum a' + b'");
        return requantizer.OutputType;
    }

    private static long RescaledExtreme(Node node, ElementType type, int zeroPoint, int leftShift, (int Multiplier, int Shift) rescale, string operand)
    {
        var (min, max) = IntegerAttributes.Range(type);
        long low = (long)(min - zeroPoint) << leftShift, high = (long)(max - zeroPoint) << leftShift;
        long largest = Math.Max(-low, high);
        IntegerAttributes.ExpectFitsInt32(node, largest, $"operand {operand} shifted left by {leftShift}");
        return Math.Max(
            Math.Abs((long)QuantizationMath.MultiplyByFixedPoint((int)low, rescale.Multiplier, rescale.Shift)),
            Math.Abs((long)QuantizationMath.MultiplyByFixedPoint((int)high, rescale.Multiplier, rescale.Shift)));
    }

    private static (int LeftShift, (int, int) A, (int, int) B) ReadFixedPoint(Node node)
    {
        long leftShift = node.GetInt("left_shift", DefaultLeftShift);
        if (leftShift is < 0 or > 30)
            throw OctetException.AtNode(node, $"attribute 'left_shift' = {leftShift} is outside [0, 30]");
        return ((int)leftShift, ReadRescale(node, "a_multiplier", "a_shift"), ReadRescale(node, "b_multiplier", "b_shift"));
    }

    private static (int, int) ReadRescale(Node node, string multiplierName, string shiftName)
    {
        foreach (var name in new[] { multiplierName, shiftName })
            if (!node.HasAttribute(name)) throw OctetException.AtNode(node, $"required attribute '{name}' is missing");
        long multiplier = node.GetInt(multiplierName), shift = node.GetInt(shiftName);
        Requantizer.CheckFixedPoint(node, multiplierName, multiplier, shiftName, shift);
        return ((int)multiplier, (int)shift);
    }

    private static (float A, float B, float Y) ReadFloatScales(Node node)
    {
        float Read(string name)
        {
            if (!node.HasAttribute(name)) throw OctetException.AtNode(node, $"required attribute '{name}' is missing");
            float value = node.GetFloat(name, 0);
            if (!(value > 0) || !float.IsFinite(value))
                throw OctetException.AtNode(node, $"attribute '{name}' = {value}; expected a positive finite scale");
            return value;
        }
        return (Read("a_scale"), Read("b_scale"), Read("y_scale"));
    }

    public override void Execute(KernelContext context)
    {
        var node = context.Node;
        var requantizer = Requantizer.Read(node, 1, "tensor", usesScale: false);
        var (a, b, shape) = ShiftedOperands(context);
        var y = new int[a.Length];
        if (requantizer.Mode == RequantizationMode.FixedPoint)
        {
            var (leftShift, (aMultiplier, aShift), (bMultiplier, bShift)) = ReadFixedPoint(node);
            for (int i = 0; i < y.Length; i++)
            {
                int aRescaled = QuantizationMath.MultiplyByFixedPoint(a[i] << leftShift, aMultiplier, aShift);
                int bRescaled = QuantizationMath.MultiplyByFixedPoint(b[i] << leftShift, bMultiplier, bShift);
                y[i] = requantizer.Requantize(aRescaled + bRescaled, 0);
            }
        }
        else
        {
            var (aScale, bScale, yScale) = ReadFloatScales(node);
            for (int i = 0; i < y.Length; i++)
                y[i] = requantizer.RoundAndClamp(((float)a[i] * aScale + (float)b[i] * bScale) / yScale);
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(requantizer.OutputType, shape, y));
    }
}
