using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>How an int32 accumulator is rescaled to the output's 8-bit type.</summary>
public enum RequantizationMode
{
    /// <summary>Integer-only: multiply by M0 · 2^(shift − 31) with one rounding (gemmlowp / TFLite style).</summary>
    FixedPoint,
    /// <summary>ONNX Runtime compatible: a float32 scale, as MLAS's <c>MlasRequantizeOutput</c>.</summary>
    Float,
}

/// <summary>
/// The requantization attributes every integer operator with a quantized output shares, read once from a
/// node, checked, and applied:
/// <list type="bullet">
/// <item><c>requant</c> (string, required): "fixed-point" or "float".</item>
/// <item>fixed-point: <c>multiplier</c> (ints, M0 in [2^30, 2^31) or 0) and <c>shift</c> (ints, ≤ 31),
/// one entry or one per output channel: M = M0 · 2^(shift − 31).</item>
/// <item>float: <c>scale</c> (floats, finite and non-negative), one entry or one per output channel.</item>
/// <item><c>y_type</c> (int, required): 2 = uint8, 3 = int8, 5 = int16 (ONNX element type codes).</item>
/// <item><c>y_zero_point</c> (int, default 0), <c>clamp_min</c> and <c>clamp_max</c> (ints, default the
/// type's range — [−32768, 32767] for int16; narrower when lowering fused Relu, Relu6 or Clip), all inside
/// the output type.</item>
/// </list>
/// </summary>
/// <remarks>
/// Fixed-point, int32 accumulator: <c>y = clamp(MultiplyByFixedPoint(acc, M0, shift) + y_zero_point, clamp_min,
/// clamp_max)</c> — one rounding of the exact product acc · M, ties toward +∞ (<see cref="QuantizationMath.MultiplyByFixedPoint"/>).
/// <para>Fixed-point, int64 accumulator (QGemm / QMatMul with an int16 A): the same single rounding of the exact
/// product, computed in 128 bits: <c>p = acc · M0</c> (exact: |p| &lt; 2^94), <c>r = (p + 2^(30 − shift)) &gt;&gt; (31 − shift)</c>
/// (arithmetic shift, i.e. ⌊acc · M + 1/2⌋; for shift = 31, r = p; for 31 − shift ≥ 127, r = 0 since |acc · M| &lt; 1/2),
/// then <c>y = clamp(r + y_zero_point, clamp_min, clamp_max)</c> with r + y_zero_point clamped in 128 bits (no
/// intermediate saturation). For an accumulator inside int32 this is exactly the int32 result above: saturating
/// r to int32 first never changes the clamped output, whose range lies inside int32.</para>
/// <para>Float: <c>v = (float)acc * scale</c> (one float32 multiply), clamped to
/// <c>[clamp_min − zp, clamp_max − zp]</c>, rounded half to even, plus zp — the order of MLAS's requantize, so
/// the result is bit-exact with ONNX Runtime given the same float32 scale.</para>
/// </remarks>
public sealed class Requantizer
{
    public const string ModeAttribute = "requant";
    public const string FixedPointName = "fixed-point";
    public const string FloatName = "float";

    /// <summary>The smallest and largest <c>shift</c> accepted (see the remarks on the class).</summary>
    public const int MaxShift = 31;

    private static readonly string[] Common = [ModeAttribute, "y_type", "y_zero_point", "clamp_min", "clamp_max"];

    private readonly int[] _multipliers;
    private readonly int[] _shifts;
    private readonly float[] _scales;

    private Requantizer(RequantizationMode mode, ElementType outputType, int zeroPoint, int clampMin, int clampMax,
        int[] multipliers, int[] shifts, float[] scales)
    {
        Mode = mode;
        OutputType = outputType;
        ZeroPoint = zeroPoint;
        ClampMin = clampMin;
        ClampMax = clampMax;
        _multipliers = multipliers;
        _shifts = shifts;
        _scales = scales;
    }

    public RequantizationMode Mode { get; }
    /// <summary>Int8, UInt8 or Int16.</summary>
    public ElementType OutputType { get; }
    public int ZeroPoint { get; }
    public int ClampMin { get; }
    public int ClampMax { get; }

    /// <summary>M0 for <paramref name="channel"/> (fixed-point mode).</summary>
    public int Multiplier(int channel) => _multipliers[_multipliers.Length == 1 ? 0 : channel];
    /// <summary>The shift for <paramref name="channel"/> (fixed-point mode).</summary>
    public int Shift(int channel) => _shifts[_shifts.Length == 1 ? 0 : channel];
    /// <summary>The float32 scale for <paramref name="channel"/> (float mode, when the operator uses <c>scale</c>).</summary>
    public float Scale(int channel) => _scales[_scales.Length == 1 ? 0 : channel];

    /// <summary>The requantization attributes an operator accepts in <paramref name="mode"/>.</summary>
    /// <param name="usesScale">False for operators whose float mode has its own scales instead of <c>scale</c> (QAdd).</param>
    public static IEnumerable<string> AttributeNames(RequantizationMode mode, bool usesScale = true) => mode switch
    {
        RequantizationMode.FixedPoint => [.. Common, "multiplier", "shift"],
        _ => usesScale ? [.. Common, "scale"] : Common,
    };

    /// <summary>The <c>requant</c> attribute: required, "fixed-point" or "float".</summary>
    public static RequantizationMode ReadMode(Node node)
    {
        if (!node.HasAttribute(ModeAttribute))
            throw OctetException.AtNode(node, $"required attribute '{ModeAttribute}' is missing (\"{FixedPointName}\" or \"{FloatName}\")");
        return node.GetString(ModeAttribute, "") switch
        {
            FixedPointName => RequantizationMode.FixedPoint,
            FloatName => RequantizationMode.Float,
            var other => throw OctetException.AtNode(node, $"{ModeAttribute}=\"{other}\"; expected \"{FixedPointName}\" or \"{FloatName}\""),
        };
    }

    /// <summary>The <c>y_type</c> attribute: required, 2 (uint8), 3 (int8) or 5 (int16).</summary>
    public static ElementType ReadOutputType(Node node)
    {
        if (!node.HasAttribute("y_type"))
            throw OctetException.AtNode(node, "required attribute 'y_type' is missing (2 = uint8, 3 = int8, 5 = int16)");
        long code = node.GetInt("y_type");
        return code switch
        {
            (long)ElementType.UInt8 => ElementType.UInt8,
            (long)ElementType.Int8 => ElementType.Int8,
            (long)ElementType.Int16 => ElementType.Int16,
            _ => throw OctetException.AtNode(node, $"y_type={code}; expected 2 (uint8) or 3 (int8), or 5 (int16)"),
        };
    }

    /// <summary>The <c>y_type</c> attribute restricted to 8 bits (operators whose output stays 8-bit).</summary>
    public static ElementType ReadEightBitOutputType(Node node)
    {
        var type = ReadOutputType(node);
        if (type == ElementType.Int16)
            throw OctetException.AtNode(node, $"y_type=5 (int16) is not supported by {node.OpType}; expected 2 (uint8) or 3 (int8)");
        return type;
    }

    /// <summary>
    /// Reads and checks the requantization attributes of <paramref name="node"/>, whose per-channel arrays may
    /// have one entry or <paramref name="channels"/> (one per <paramref name="channelName"/>).
    /// </summary>
    /// <param name="usesScale">False for operators whose float mode does not read <c>scale</c> (QAdd).</param>
    /// <param name="eightBitOutput">True for operators whose output stays 8-bit (y_type 5 is then rejected).</param>
    public static Requantizer Read(Node node, int channels, string channelName, bool usesScale = true, bool eightBitOutput = false)
    {
        var mode = ReadMode(node);
        var type = eightBitOutput ? ReadEightBitOutputType(node) : ReadOutputType(node);
        var (min, max) = IntegerAttributes.Range(type);
        int zeroPoint = IntegerAttributes.ZeroPoint(node, "y_zero_point", type);
        long clampMin = node.GetInt("clamp_min", min), clampMax = node.GetInt("clamp_max", max);
        IntegerAttributes.CheckInRange(node, "clamp_min", clampMin, type);
        IntegerAttributes.CheckInRange(node, "clamp_max", clampMax, type);
        if (clampMin > clampMax)
            throw OctetException.AtNode(node, $"clamp_min={clampMin} is greater than clamp_max={clampMax}");

        int[] multipliers = [], shifts = [];
        float[] scales = [];
        if (mode == RequantizationMode.FixedPoint)
        {
            var m0 = RequirePerChannel(node, node.GetInts("multiplier"), "multiplier", channels, channelName);
            var s = RequirePerChannel(node, node.GetInts("shift"), "shift", channels, channelName);
            if (m0.Length != s.Length)
                throw OctetException.AtNode(node, $"attributes 'multiplier' ({m0.Length} values) and 'shift' ({s.Length} values) must have the same length");
            multipliers = new int[m0.Length];
            shifts = new int[s.Length];
            for (int c = 0; c < m0.Length; c++)
            {
                CheckFixedPoint(node, "multiplier", m0[c], "shift", s[c]);
                multipliers[c] = (int)m0[c];
                shifts[c] = (int)s[c];
            }
        }
        else if (usesScale)
        {
            scales = RequirePerChannel(node, node.GetFloats("scale"), "scale", channels, channelName);
            foreach (var scale in scales)
                if (!(scale >= 0) || !float.IsFinite(scale))
                    throw OctetException.AtNode(node, $"attribute 'scale' has value {scale}; scales must be finite and non-negative");
        }
        return new Requantizer(mode, type, zeroPoint, (int)clampMin, (int)clampMax, multipliers, shifts, scales);
    }

    /// <summary>Checks one fixed-point multiplier: M0 in [2^30, 2^31) or 0, shift at most <see cref="MaxShift"/>.</summary>
    internal static void CheckFixedPoint(Node node, string multiplierName, long multiplier, string shiftName, long shift)
    {
        if (multiplier != 0 && (multiplier < 1L << 30 || multiplier > int.MaxValue))
            throw OctetException.AtNode(node,
                $"attribute '{multiplierName}' = {multiplier} is not a normalized fixed-point multiplier: expected 0 or a value in [2^30, 2^31)");
        // Very negative shifts are fine (the product rounds to 0); above 31 the multiplier would exceed 2^31.
        if (shift > MaxShift || shift < int.MinValue / 2)
            throw OctetException.AtNode(node, $"attribute '{shiftName}' = {shift} is above {MaxShift}");
    }

    private static T[] RequirePerChannel<T>(Node node, T[]? values, string name, int channels, string channelName)
    {
        if (values is null) throw OctetException.AtNode(node, $"required attribute '{name}' is missing");
        if (values.Length != 1 && values.Length != channels)
            throw OctetException.AtNode(node, channels == 1
                ? $"attribute '{name}' has {values.Length} values; this operator's requantization is per tensor: expected 1"
                : $"attribute '{name}' has {values.Length} values; expected 1 (per tensor) or {channels} (one per {channelName})");
        return values;
    }

    /// <summary>Requantizes one int32 accumulator of <paramref name="channel"/> to a value of <see cref="OutputType"/>.</summary>
    public int Requantize(int accumulator, int channel)
    {
        if (Mode == RequantizationMode.FixedPoint)
            return OffsetAndClamp(QuantizationMath.MultiplyByFixedPoint(accumulator, Multiplier(channel), Shift(channel)));
        return RoundAndClamp((float)accumulator * Scale(channel));
    }

    /// <summary>
    /// Requantizes one int64 accumulator of <paramref name="channel"/> (the exact accumulator of an int16 A):
    /// the fixed-point product in 128 bits, see the remarks on the class.
    /// </summary>
    public int Requantize(long accumulator, int channel)
    {
        if (Mode == RequantizationMode.FixedPoint)
            return OffsetAndClamp(MultiplyByFixedPointWide(accumulator, Multiplier(channel), Shift(channel)));
        return RoundAndClamp((float)accumulator * Scale(channel));
    }

    /// <summary>⌊acc · M0 · 2^(shift − 31) + 1/2⌋ for an int64 accumulator, exact (128-bit product, one rounding).</summary>
    public static Int128 MultiplyByFixedPointWide(long accumulator, int multiplier, int shift)
    {
        Int128 product = (Int128)accumulator * multiplier;
        int rightShift = 31 - shift;
        if (rightShift <= 0) return product; // shift ≤ 31: rightShift is 0
        if (rightShift >= 127) return 0;     // |product| < 2^94: the quotient rounds to 0
        return (product + ((Int128)1 << (rightShift - 1))) >> rightShift;
    }

    /// <summary>Integer paths' last step for a 128-bit value: clamp(value + y_zero_point, clamp_min, clamp_max).</summary>
    public int OffsetAndClamp(Int128 value)
    {
        var shifted = value + ZeroPoint;
        return shifted < ClampMin ? ClampMin : shifted > ClampMax ? ClampMax : (int)shifted;
    }

    /// <summary>
    /// As <see cref="Requantize(int[], Shape, int)"/> for int64 accumulators (see <see cref="Requantize(long, int)"/>).
    /// </summary>
    public Tensor Requantize(long[] accumulators, Shape shape, int channelAxis)
    {
        var values = new int[accumulators.Length];
        int channels = channelAxis < 0 ? 1 : shape[channelAxis], inner = 1;
        if (channelAxis >= 0) for (int d = channelAxis + 1; d < shape.Rank; d++) inner *= shape[d];
        for (int start = 0, channel = 0; start < values.Length; start += inner, channel = (channel + 1) % channels)
            for (int i = start; i < Math.Min(start + inner, values.Length); i++) values[i] = Requantize(accumulators[i], channel);
        return IntegerAttributes.ToTensor(OutputType, shape, values);
    }

    /// <summary>Integer paths' last step: <c>clamp(value + y_zero_point, clamp_min, clamp_max)</c>, without overflow.</summary>
    public int OffsetAndClamp(long value) => (int)Math.Clamp(value + ZeroPoint, ClampMin, ClampMax);

    /// <summary>
    /// Float paths' last step, in MLAS's order: clamp to <c>[clamp_min − zp, clamp_max − zp]</c> in float32,
    /// round half to even, add zp. (Clamping before or after rounding gives the same integer: the bounds are integers.)
    /// </summary>
    public int RoundAndClamp(float value)
    {
        float clamped = Math.Clamp(value, (float)(ClampMin - ZeroPoint), (float)(ClampMax - ZeroPoint));
        // The outer clamp only matters for NaN, which no finite accumulator and scale produce.
        return Math.Clamp((int)MathF.Round(clamped, MidpointRounding.ToEven) + ZeroPoint, ClampMin, ClampMax);
    }

    /// <summary>
    /// Requantizes every accumulator of a tensor of shape <paramref name="shape"/> whose channels run along
    /// <paramref name="channelAxis"/> (−1: per tensor), into an <see cref="OutputType"/> tensor.
    /// </summary>
    public Tensor Requantize(int[] accumulators, Shape shape, int channelAxis)
    {
        var values = new int[accumulators.Length];
        if (channelAxis < 0)
        {
            for (int i = 0; i < values.Length; i++) values[i] = Requantize(accumulators[i], 0);
            return IntegerAttributes.ToTensor(OutputType, shape, values);
        }
        int channels = shape[channelAxis], inner = 1;
        for (int d = channelAxis + 1; d < shape.Rank; d++) inner *= shape[d];
        // Runs of `inner` consecutive accumulators share a channel; the channel advances (and wraps) per run.
        for (int start = 0, channel = 0; start < values.Length; start += inner, channel = (channel + 1) % channels)
            for (int i = start; i < start + inner; i++) values[i] = Requantize(accumulators[i], channel);
        return IntegerAttributes.ToTensor(OutputType, shape, values);
    }
}
