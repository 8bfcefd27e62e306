using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.IntegerMath;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// IShiftAttention(X, V): attention's Softmax(X)·V with the probabilities quantized on a logarithmic grid
/// (RepQ-ViT's log2 / log√2 quantizer), so that the product with V is shifts and adds. X (the scores,
/// [.., T, L]) and V ([.., L, D]) are 8-bit with the same leading dimensions; Y is 8-bit [.., T, D].
/// Attributes:
/// <list type="bullet">
/// <item><c>method</c>, <c>x_multiplier</c>, <c>x_shift</c> (required): the exponent, exactly as
/// <see cref="ISoftmax"/> (method "shiftmax" or "ibert"; M = s_x · 2^20 fixed-point).</item>
/// <item><c>log_base</c> (string, required): "log2" — code c = round(−log2 p), value 2^−c — or "logsqrt2" —
/// c = round(−2 log2 p), value 2^−c/2 = 2^−⌈c/2⌉ · (√2 when c is odd).</item>
/// <item><c>bits</c> (int, required, 1..8): codes 0 … 2^bits − 1; a probability whose code would be larger is
/// 0 (RepQ-ViT's mask).</item>
/// <item><c>v_zero_point</c> (int, required).</item>
/// <item><c>multiplier</c>, <c>shift</c> (required): fixed-point (M0, shift) of s_v / s_y; <c>y_type</c>
/// (2 = uint8, 3 = int8), <c>y_zero_point</c>, <c>clamp_min</c>, <c>clamp_max</c> (optional, default the type's range).</item>
/// </list>
/// Build them with <see cref="Create"/>.
/// </summary>
/// <remarks>
/// Per row of X (length L), all integers:
/// <list type="number">
/// <item>e_j, S = Σ e_j and F = ⌊2^62 / S⌋ exactly as ISoftmax; P_j = (e_j · F) >> 32 (floor), p_j · 2^30 in [0, 2^30].</item>
/// <item>P_j = 0 → no contribution. Otherwise k = ⌊log2 P_j⌋ and m = P_j · 2^(30 − k) in [2^30, 2^31). The
/// rounding thresholds of log2 m − 30 are irrational, so comparing m with their ceilings is exact:
/// log2: c = 30 − k − [m ≥ 1518500250 (= ⌈2^30.5⌉)];
/// logsqrt2: c = 2(30 − k) − [m ≥ 1276901417 (= ⌈2^30.25⌉)] − [m ≥ 1805811301 (= ⌈2^30.75⌉)].
/// c ≥ 2^bits → no contribution.</item>
/// <item>The power of two: s = c (log2), s = ⌈c/2⌉ (logsqrt2). s &gt; 16 → no contribution (below 2^−16).
/// Per output column d: t = (v_jd − v_zero_point) &lt;&lt; (16 − s), summed into A_d, or, for an odd logsqrt2 code,
/// into B_d.</item>
/// <item>acc_d = A_d + ((B_d · 92682 + 2^15) >> 16) (92682 = round(√2 · 2^16); nothing for log2).
/// Since every kept 2^−s ≤ √2 · p_j, |acc_d| ≤ 255 · √2 · √2 · 2^16 &lt; 2^26.</item>
/// <item>y_d = clamp(round(acc_d · M0 · 2^(shift − 31 − 16)) + y_zero_point, clamp_min, clamp_max), rounding
/// half up (<see cref="RoundingShift.MultiplyByFixedPoint"/>).</item>
/// </list>
/// No float at run time; only the fixed-point multipliers depend on scales.
/// </remarks>
public sealed class IShiftAttention : IntegerOperator
{
    public override string OpType => "IShiftAttention";

    public const string Log2Base = "log2";
    public const string LogSqrt2Base = "logsqrt2";

    /// <summary>The grid of the shifted terms: 2^−16 (relative to s_v).</summary>
    public const int FractionBits = 16;

    /// <summary>⌈2^30 · 2^0.5⌉, ⌈2^30 · 2^0.25⌉, ⌈2^30 · 2^0.75⌉: the rounding thresholds of the normalized mantissa.</summary>
    public const long HalfThreshold = 1518500250, QuarterThreshold = 1276901417, ThreeQuarterThreshold = 1805811301;

    /// <summary>round(√2 · 2^16).</summary>
    public const long Sqrt2 = 92682;

    private const int ReciprocalBits = 62;
    private const int ProbabilityBits = 30;

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        ["method", "x_multiplier", "x_shift", "log_base", "bits", "v_zero_point", "multiplier", "shift", "y_type", "y_zero_point", "clamp_min", "clamp_max"];

    /// <summary>The attributes, computed at compile time from the scales (lowering calls this).</summary>
    /// <param name="method"><see cref="ISoftmax.ShiftmaxMethod"/> or <see cref="ISoftmax.IbertMethod"/>.</param>
    /// <param name="logBase"><see cref="Log2Base"/> or <see cref="LogSqrt2Base"/>.</param>
    /// <param name="bits">Code bits, 1..8.</param>
    public static Dictionary<string, Attribute> Create(string method, string logBase, int bits, float scoreScale,
        QuantizationParameters values, QuantizationParameters output)
    {
        if (method is not (ISoftmax.ShiftmaxMethod or ISoftmax.IbertMethod)) throw new ArgumentException($"unknown softmax method \"{method}\"", nameof(method));
        if (logBase is not (Log2Base or LogSqrt2Base)) throw new ArgumentException($"unknown log base \"{logBase}\"; expected log2 or logsqrt2", nameof(logBase));
        if (bits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "log codes have 1 to 8 bits");
        if (!values.IsPerTensor || !output.IsPerTensor) throw new ArgumentException("V and Y must be quantized per tensor");
        TransformerAttributes.ExpectEightBitType(values.StorageType, "the IShiftAttention V type");
        TransformerAttributes.ExpectEightBitType(output.StorageType, "the IShiftAttention output type");
        var (xm, xs) = TransformerAttributes.ToFixedPoint((double)scoreScale * (1 << ExponentGrid.InputBits), "s_x · 2^20");
        var (m0, shift) = TransformerAttributes.ToFixedPoint((double)values.Scale / output.Scale, "s_v / s_y");
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        TransformerAttributes.Add(attributes, "method", method);
        TransformerAttributes.Add(attributes, "x_multiplier", xm);
        TransformerAttributes.Add(attributes, "x_shift", xs);
        TransformerAttributes.Add(attributes, "log_base", logBase);
        TransformerAttributes.Add(attributes, "bits", bits);
        TransformerAttributes.Add(attributes, "v_zero_point", values.ZeroPoint);
        TransformerAttributes.Add(attributes, "multiplier", m0);
        TransformerAttributes.Add(attributes, "shift", shift);
        TransformerAttributes.Add(attributes, "y_type", (long)output.StorageType);
        TransformerAttributes.Add(attributes, "y_zero_point", output.ZeroPoint);
        // The clamp is the output type's range (A·V has no fused activation); written so every constant is explicit.
        TransformerAttributes.Add(attributes, "clamp_min", output.QMin);
        TransformerAttributes.Add(attributes, "clamp_max", output.QMax);
        return attributes;
    }

    private sealed record Settings(bool Shiftmax, int XMultiplier, int XShift, bool Sqrt2Base, int Bits, int VZeroPoint,
        int Multiplier, int Shift, ElementType OutputType, int ZeroPoint, int ClampMin, int ClampMax);

    private static Settings Read(Node node)
    {
        string method = TransformerAttributes.ReadMethod(node, ISoftmax.ShiftmaxMethod, ISoftmax.IbertMethod);
        var (xm, xs) = TransformerAttributes.ReadFixedPoint(node, "x_multiplier", "x_shift");
        if (!node.HasAttribute("log_base")) throw OctetException.AtNode(node, "required attribute 'log_base' is missing (\"log2\" or \"logsqrt2\")");
        string logBase = node.GetString("log_base", "");
        if (logBase is not (Log2Base or LogSqrt2Base)) throw OctetException.AtNode(node, $"log_base=\"{logBase}\"; expected \"log2\" or \"logsqrt2\"");
        if (!node.HasAttribute("bits")) throw OctetException.AtNode(node, "required attribute 'bits' is missing (1 to 8)");
        long bits = node.GetInt("bits");
        if (bits is < 1 or > 8) throw OctetException.AtNode(node, $"bits={bits}; log codes have 1 to 8 bits");
        if (!node.HasAttribute("v_zero_point")) throw OctetException.AtNode(node, "required attribute 'v_zero_point' is missing");
        var (m0, shift) = TransformerAttributes.ReadFixedPoint(node, "multiplier", "shift");
        var type = Requantizer.ReadEightBitOutputType(node);
        var (min, max) = IntegerAttributes.Range(type);
        long zeroPoint = node.GetInt("y_zero_point", 0);
        long vZeroPoint = node.GetInt("v_zero_point");
        long clampMin = node.GetInt("clamp_min", min), clampMax = node.GetInt("clamp_max", max);
        if (zeroPoint < min || zeroPoint > max) throw OctetException.AtNode(node, $"y_zero_point={zeroPoint} is outside the {type.OnnxName()} range");
        if (vZeroPoint is < -128 or > 255) throw OctetException.AtNode(node, $"v_zero_point={vZeroPoint} is outside the 8-bit ranges");
        if (clampMin < min || clampMax > max || clampMin > clampMax)
            throw OctetException.AtNode(node, $"clamp [{clampMin}, {clampMax}] is not inside the {type.OnnxName()} range [{min}, {max}]");
        return new Settings(method == ISoftmax.ShiftmaxMethod, xm, xs, logBase == LogSqrt2Base, (int)bits, (int)vZeroPoint,
            m0, shift, type, (int)zeroPoint, (int)clampMin, (int)clampMax);
    }

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 2);
        QuantizedValues.ExpectEightBit(context, 0, "X");
        QuantizedValues.ExpectEightBit(context, 1, "V");
        ExpectKnownAttributes(context);
        var settings = Read(context.Node);
        context.SetOutput(0, settings.OutputType, OutputShape(context.Node, context.InputShape(0), context.InputShape(1)));
    }

    private static Shape OutputShape(Node node, Shape x, Shape v)
    {
        if (x.Rank < 2 || v.Rank != x.Rank)
            throw OctetException.AtNode(node, $"X {x} and V {v} must have the same rank ≥ 2 (scores [.., T, L], values [.., L, D])");
        for (int d = 0; d < x.Rank - 2; d++)
            if (x[d] != v[d]) throw OctetException.AtNode(node, $"X {x} and V {v} differ in leading dimension {d} (no broadcasting)");
        if (x[^1] != v[^2]) throw OctetException.AtNode(node, $"X {x} rows have length {x[^1]} but V {v} has {v[^2]} rows");
        var dims = x.ToArray();
        dims[^1] = v[^1];
        return new Shape(dims);
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var v = context.Input(1);
        var settings = Read(context.Node);
        var shape = OutputShape(context.Node, x.Shape, v.Shape);
        int length = x.Shape[^1], rowsPerBatch = x.Shape[^2], width = v.Shape[^1];
        int batches = rowsPerBatch * length == 0 ? 0 : (int)(x.Shape.ElementCount / ((long)rowsPerBatch * length));
        var scores = QuantizedValues.Widen(x);
        var values = QuantizedValues.Widen(v);
        var result = new int[shape.ElementCount];
        var exponents = new long[length];
        var whole = new long[width];
        var odd = new long[width];
        long codeLimit = 1L << settings.Bits;
        for (int batch = 0; batch < batches; batch++)
        {
            int valueStart = batch * length * width;
            for (int row = 0; row < rowsPerBatch; row++)
            {
                int start = (batch * rowsPerBatch + row) * length;
                int rowMax = int.MinValue;
                for (int j = 0; j < length; j++) rowMax = Math.Max(rowMax, scores[start + j]);
                long sum = 0;
                for (int j = 0; j < length; j++)
                {
                    int d = QuantizationMath.MultiplyByFixedPoint(scores[start + j] - rowMax, settings.XMultiplier, settings.XShift);
                    exponents[j] = settings.Shiftmax ? ShiftExp.Exp(d) : PolynomialExp.Exp(d);
                    sum += exponents[j];
                }
                long reciprocal = (1L << ReciprocalBits) / sum;
                Array.Clear(whole);
                Array.Clear(odd);
                for (int j = 0; j < length; j++)
                {
                    long probability = (exponents[j] * reciprocal) >> (ReciprocalBits - ProbabilityBits);
                    if (probability == 0) continue;
                    int power = Code(probability, settings.Sqrt2Base, out bool sqrt2);
                    if (power < 0 || power > FractionBits) continue;
                    if (Code(probability, settings.Sqrt2Base) >= codeLimit) continue;
                    var target = sqrt2 ? odd : whole;
                    int row0 = valueStart + j * width;
                    for (int c = 0; c < width; c++) target[c] += (long)(values[row0 + c] - settings.VZeroPoint) << (FractionBits - power);
                }
                int outStart = (batch * rowsPerBatch + row) * width;
                for (int c = 0; c < width; c++)
                {
                    long acc = whole[c] + RoundingShift.RightHalfUp(odd[c] * Sqrt2, FractionBits);
                    long y = RoundingShift.MultiplyByFixedPoint(acc, settings.Multiplier, settings.Shift - FractionBits) + settings.ZeroPoint;
                    result[outStart + c] = (int)Math.Clamp(y, settings.ClampMin, settings.ClampMax);
                }
            }
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(settings.OutputType, shape, result));
    }

    /// <summary>The log code c of a probability P · 2^−30 (P in [1, 2^30]): round(−log2 p), or round(−2 log2 p) for log√2.</summary>
    public static long Code(long probability, bool sqrt2Base)
    {
        int k = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)probability);
        long mantissa = probability << (ProbabilityBits - k);
        if (!sqrt2Base) return ProbabilityBits - k - (mantissa >= HalfThreshold ? 1 : 0);
        return 2L * (ProbabilityBits - k) - (mantissa >= QuarterThreshold ? 1 : 0) - (mantissa >= ThreeQuarterThreshold ? 1 : 0);
    }

    /// <summary>The power of two s of a code's value 2^−s (times √2 when <paramref name="sqrt2"/>).</summary>
    private static int Code(long probability, bool sqrt2Base, out bool sqrt2)
    {
        long code = Code(probability, sqrt2Base);
        sqrt2 = sqrt2Base && (code & 1) == 1;
        return (int)(sqrt2Base ? (code + 1) / 2 : code);
    }
}
