using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QAdd(A, B): element-wise sum of two quantized tensors with different scales, with broadcasting. A and B
/// are each int8, uint8 or int16 (the 16-bit residual stream of integer-only transformers); Y is int8, uint8
/// or int16 (<c>y_type</c> 2, 3 or 5).
/// </summary>
/// <remarks>
/// <para>fixed-point (the TFLite / gemmlowp scheme): each operand is brought to a common fine scale in
/// integers, <c>a' = MultiplyByFixedPoint((a − a_zero_point) · 2^left_shift, a_multiplier, a_shift)</c> and
/// likewise b', then <c>a' + b'</c> is requantized with the shared attributes (<c>multiplier</c>, <c>shift</c>).
/// Attributes <c>left_shift</c> (int, default 20), <c>a_multiplier</c>, <c>a_shift</c>, <c>b_multiplier</c>,
/// <c>b_shift</c>. All of it is int32 arithmetic, exact: the node is rejected unless <c>(a − a_zero_point) ·
/// 2^left_shift</c>, <c>(b − b_zero_point) · 2^left_shift</c> and <c>a' + b'</c> fit int32 for every possible
/// value of the operand types (checked from the attributes alone, <see cref="IsExact"/>). An int16 operand has
/// |x − zero_point| ≤ 65,535 &lt; 2^16, so it needs <c>left_shift</c> ≤ 15; lowering picks the largest
/// <c>left_shift</c> ≤ 20 that passes (<see cref="LargestExactLeftShift"/>): 20 for two 8-bit operands as before,
/// 15 when either operand is int16 (with rescale multipliers ≤ 1/2, a' + b' ≤ 65,535 · 2^15 &lt; 2^31 for any zero points).</para>
/// <para>float: <c>a_scale</c>, <c>b_scale</c>, <c>y_scale</c> (positive floats):
/// <c>y = clamp(round_half_even(((a − a_zp) · a_scale + (b − b_zp) · b_scale) / y_scale) + y_zp)</c>, every
/// operation in float32 in that order. A plain formula: bit-exactness with ONNX Runtime's QLinearAdd, whose
/// algebra differs by platform, is not attempted here.</para>
/// </remarks>
public sealed class QAdd : IntegerBinaryOperator
{
    public override string OpType => "QAdd";

    /// <summary>The default <c>left_shift</c>, and what lowering uses for two 8-bit operands.</summary>
    public const int DefaultLeftShift = 20;

    protected override bool AllowsInt16Operands => true;

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
        // Both rescaled operands and their sum must stay in int32 for every operand value: check the extremes
        // (MultiplyByFixedPoint is monotone in its accumulator for a non-negative multiplier).
        long aExtreme = RescaledExtreme(node, aType, aZeroPoint, leftShift, aRescale, "A");
        long bExtreme = RescaledExtreme(node, bType, bZeroPoint, leftShift, bRescale, "B");
        IntegerAttributes.ExpectFitsInt32(node, aExtreme + bExtreme, "the rescaled sum a' + b'");
        return requantizer.OutputType;
    }

    private static long RescaledExtreme(Node node, ElementType type, int zeroPoint, int leftShift, (int Multiplier, int Shift) rescale, string operand)
    {
        IntegerAttributes.ExpectFitsInt32(node, ShiftedExtreme(type, zeroPoint, leftShift), $"operand {operand} shifted left by {leftShift}");
        return RescaledExtreme(type, zeroPoint, leftShift, rescale);
    }

    /// <summary>The largest |(x − zeroPoint) · 2^leftShift| over every value x of <paramref name="type"/>.</summary>
    private static long ShiftedExtreme(ElementType type, int zeroPoint, int leftShift) =>
        IntegerAttributes.MaxDistance(type, zeroPoint) << leftShift;

    /// <summary>The largest |a'| over every operand value, for a shifted extreme that fits int32.</summary>
    private static long RescaledExtreme(ElementType type, int zeroPoint, int leftShift, (int Multiplier, int Shift) rescale)
    {
        var (min, max) = IntegerAttributes.Range(type);
        long low = (long)(min - zeroPoint) << leftShift, high = (long)(max - zeroPoint) << leftShift;
        return Math.Max(
            Math.Abs((long)QuantizationMath.MultiplyByFixedPoint((int)low, rescale.Multiplier, rescale.Shift)),
            Math.Abs((long)QuantizationMath.MultiplyByFixedPoint((int)high, rescale.Multiplier, rescale.Shift)));
    }

    /// <summary>
    /// True when the fixed-point attributes keep every step in int32 for all operand values — the check
    /// inference applies (without raising an error).
    /// </summary>
    public static bool IsExact(ElementType aType, int aZeroPoint, ElementType bType, int bZeroPoint, int leftShift,
        (int Multiplier, int Shift) aRescale, (int Multiplier, int Shift) bRescale)
    {
        if (ShiftedExtreme(aType, aZeroPoint, leftShift) > int.MaxValue || ShiftedExtreme(bType, bZeroPoint, leftShift) > int.MaxValue) return false;
        return RescaledExtreme(aType, aZeroPoint, leftShift, aRescale) + RescaledExtreme(bType, bZeroPoint, leftShift, bRescale) <= int.MaxValue;
    }

    /// <summary>
    /// The largest <c>left_shift</c> ≤ <paramref name="preferred"/> for which <see cref="IsExact"/> holds with the
    /// rescale multipliers <paramref name="aRescale"/> / <paramref name="bRescale"/> (≤ 1/2 each, as lowering
    /// chooses them, so a' + b' never exceeds the larger shifted operand range); −1 when none does.
    /// </summary>
    public static int LargestExactLeftShift(ElementType aType, int aZeroPoint, ElementType bType, int bZeroPoint,
        (int Multiplier, int Shift) aRescale, (int Multiplier, int Shift) bRescale, int preferred = DefaultLeftShift)
    {
        for (int leftShift = preferred; leftShift >= 0; leftShift--)
            if (IsExact(aType, aZeroPoint, bType, bZeroPoint, leftShift, aRescale, bRescale)) return leftShift;
        return -1;
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
