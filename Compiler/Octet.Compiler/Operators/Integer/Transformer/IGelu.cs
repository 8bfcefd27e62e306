using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.IntegerMath;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// IGelu(X): integer-only GELU, x · Φ(x), of an 8-bit tensor, element-wise, to an 8-bit output. Attributes:
/// <list type="bullet">
/// <item><c>method</c> (string, required): "shiftgelu" (I-ViT: x · σ(1.702 x), σ from <see cref="ShiftExp"/>)
/// or "ibert" (I-BERT's i-GELU: x · (1 + erf(x/√2)) / 2 with the polynomial <see cref="PolynomialErf"/>).</item>
/// <item><c>x_zero_point</c> (int, default 0): the input's zero point.</item>
/// <item><c>x_multiplier</c>, <c>x_shift</c> (ints, required): fixed-point (M0, shift) putting the input step
/// on the approximation's grid: shiftgelu M = 1.702 · s_x · 2^20 (the exponent grid; 1.702 folded in exactly,
/// where I-ViT approximates it with shifts), ibert M = s_x / √2 · 2^16.</item>
/// <item>the shared requantization attributes of <see cref="Requantizer"/> in fixed-point mode only
/// (<c>requant</c> = "fixed-point", <c>multiplier</c>, <c>shift</c> with M = s_x · 2^−17 / s_y, <c>y_type</c>,
/// <c>y_zero_point</c>, <c>clamp_min</c>, <c>clamp_max</c>).</item>
/// </list>
/// Build them with <see cref="Create"/>. Every int8 input maps to one output, so where exactness matters more
/// than following a paper, lowering can use <see cref="Table"/> instead (exact to the float GELU rounded once).
/// </summary>
/// <remarks>
/// d = x − x_zero_point. A factor f in [0, 2^17] stands for Φ(x) (or σ(1.702 x)) on a 2^−17 grid:
/// <list type="bullet">
/// <item>shiftgelu: t = MultiplyByFixedPoint(d, x_multiplier, x_shift); e = ShiftExp(−|t|) (≈ exp(−1.702 |x|)
/// · 2^30); s = round(e · 2^17 / (2^30 + e)) (one integer division: σ(−|1.702 x|)); f = t ≥ 0 ? 2^17 − s : s.</item>
/// <item>ibert: u = MultiplyByFixedPoint(|d|, x_multiplier, x_shift); E = PolynomialErf(u) (erf(|x|/√2) · 2^16);
/// f = 2^16 + sign(d) · E.</item>
/// </list>
/// acc = d · f (|acc| ≤ 255 · 2^17, int32), then y = Requantizer(acc): clamp(MultiplyByFixedPoint(acc, multiplier,
/// shift) + y_zero_point, clamp_min, clamp_max).
/// </remarks>
public sealed class IGelu : IntegerOperator
{
    public override string OpType => "IGelu";

    public const string ShiftGeluMethod = "shiftgelu";
    public const string IbertMethod = "ibert";

    /// <summary>Fraction bits of the factor f (Φ or σ) that multiplies d.</summary>
    public const int FactorBits = 17;

    /// <summary>The constant in GELU(x) ≈ x · σ(1.702 x).</summary>
    public const double SigmoidSlope = 1.702;

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(RequantizationMode.FixedPoint).Concat(["method", "x_zero_point", "x_multiplier", "x_shift"]);

    /// <summary>
    /// The attributes of an IGelu node from the input and output quantization (lowering calls this). Clamp
    /// bounds are the output type's range.
    /// </summary>
    public static Dictionary<string, Attribute> Create(string method, QuantizationParameters input, QuantizationParameters output)
    {
        if (method is not (ShiftGeluMethod or IbertMethod)) throw new ArgumentException($"unknown IGelu method \"{method}\"", nameof(method));
        TransformerAttributes.ExpectEightBitType(input.StorageType, "the IGelu input type");
        TransformerAttributes.ExpectEightBitType(output.StorageType, "the IGelu output type");
        double inputStep = method == ShiftGeluMethod
            ? SigmoidSlope * input.Scale * (1 << ExponentGrid.InputBits)
            : input.Scale / Math.Sqrt(2) * (1 << PolynomialErf.Bits);
        var (xM, xS) = TransformerAttributes.ToFixedPoint(inputStep, "the input step on the approximation's grid");
        var (m0, shift) = TransformerAttributes.ToFixedPoint((double)input.Scale / (1 << FactorBits) / output.Scale, "s_x · 2^−17 / s_y");
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        TransformerAttributes.Add(attributes, "method", method);
        TransformerAttributes.Add(attributes, "x_zero_point", input.ZeroPoint);
        TransformerAttributes.Add(attributes, "x_multiplier", xM);
        TransformerAttributes.Add(attributes, "x_shift", xS);
        TransformerAttributes.Add(attributes, Requantizer.ModeAttribute, Requantizer.FixedPointName);
        TransformerAttributes.Add(attributes, "multiplier", [m0]);
        TransformerAttributes.Add(attributes, "shift", [shift]);
        TransformerAttributes.Add(attributes, "y_type", (long)output.StorageType);
        TransformerAttributes.Add(attributes, "y_zero_point", output.ZeroPoint);
        TransformerAttributes.Add(attributes, "clamp_min", output.QMin);
        TransformerAttributes.Add(attributes, "clamp_max", output.QMax);
        return attributes;
    }

    private sealed record Settings(bool ShiftGelu, int ZeroPoint, int Multiplier, int Shift, Requantizer Requantizer);

    private static Settings Read(Node node, ElementType inputType)
    {
        string method = TransformerAttributes.ReadMethod(node, ShiftGeluMethod, IbertMethod);
        int zeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", inputType);
        var (m0, shift) = TransformerAttributes.ReadFixedPoint(node, "x_multiplier", "x_shift");
        if (Requantizer.ReadMode(node) != RequantizationMode.FixedPoint)
            throw OctetException.AtNode(node, $"IGelu is integer-only: {Requantizer.ModeAttribute} must be \"{Requantizer.FixedPointName}\"");
        return new Settings(method == ShiftGeluMethod, zeroPoint, m0, shift, Requantizer.Read(node, 1, "tensor", eightBitOutput: true));
    }

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectEightBit(context, 0, "X");
        if (context.Node.HasAttribute(Requantizer.ModeAttribute) && Requantizer.ReadMode(context.Node) != RequantizationMode.FixedPoint)
            throw context.Error($"IGelu is integer-only: {Requantizer.ModeAttribute} must be \"{Requantizer.FixedPointName}\"");
        ExpectKnownAttributes(context);
        var settings = Read(context.Node, context.InputType(0));
        context.SetOutput(0, settings.Requantizer.OutputType, context.InputShape(0));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var settings = Read(context.Node, x.ElementType);
        var accumulators = QuantizedValues.Widen(x);
        for (int i = 0; i < accumulators.Length; i++)
        {
            int d = accumulators[i] - settings.ZeroPoint;
            accumulators[i] = d * Factor(settings, d);
        }
        context.SetOutput(0, settings.Requantizer.Requantize(accumulators, x.Shape, channelAxis: -1));
    }

    /// <summary>Φ(x) (or σ(1.702 x)) on the 2^−17 grid for the shifted input d.</summary>
    private static int Factor(Settings settings, int d)
    {
        const long one = 1L << FactorBits;
        if (settings.ShiftGelu)
        {
            int t = QuantizationMath.MultiplyByFixedPoint(d, settings.Multiplier, settings.Shift);
            long e = ShiftExp.Exp(-Math.Abs((long)t));
            long denominator = ExponentGrid.One + e;
            long low = ((e << FactorBits) + denominator / 2) / denominator; // σ(−|t|), rounded
            return (int)(t >= 0 ? one - low : low);
        }
        long u = QuantizationMath.MultiplyByFixedPoint(Math.Abs(d), settings.Multiplier, settings.Shift);
        long erf = PolynomialErf.ErfOfMagnitude(u);
        return (int)((1L << PolynomialErf.Bits) + Math.Sign(d) * erf);
    }
}
