using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.IntegerMath;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// ISoftmax(X): integer-only softmax of an 8-bit tensor along its last axis, output 8-bit with the fixed
/// scale 1/256 (<see cref="OutputScale"/>). Attributes:
/// <list type="bullet">
/// <item><c>method</c> (string, required): "shiftmax" (I-ViT: <see cref="ShiftExp"/>) or "ibert" (I-BERT's
/// second-order polynomial with ln 2 range reduction: <see cref="PolynomialExp"/>).</item>
/// <item><c>x_multiplier</c>, <c>x_shift</c> (ints, required): the fixed-point (M0, shift) of
/// M = s_x · 2^20, which puts the input step on the exponent's 2^−20 grid (<see cref="ExponentGrid"/>).
/// The input zero point cancels (softmax subtracts the row maximum), so there is no x_zero_point.</item>
/// <item><c>y_type</c> (int, required): 2 = uint8 (zero point 0: y = round(256 p), 1.0 saturates to 255) or
/// 3 = int8 (zero point −128: y = round(256 p) − 128).</item>
/// <item><c>y_zero_point</c> (int, optional): 0 for uint8, −128 for int8 — anything else is rejected; present
/// so that the output's quantization is explicit on the node.</item>
/// </list>
/// Build them with <see cref="Create"/>; the output's quantization is <see cref="OutputParameters"/>.
/// </summary>
/// <remarks>
/// Per row of length n: d_i = x_i − max(x) in [−255, 0]; v_i = MultiplyByFixedPoint(d_i, x_multiplier, x_shift)
/// (≈ d_i · s_x · 2^20; saturation at −2^31 only happens where exp is 0 anyway); e_i = exp approximation of v_i
/// (int64, at most 2^30); S = Σ e_i (int64; the maximum contributes ≈ 2^30, so S ≥ 2^29); one integer
/// division per row, F = ⌊2^62 / S⌋; p_i = (e_i · F + 2^53) >> 54 (= 256 · e_i / S rounded, since e_i · F ≤ 2^62);
/// y_i = clamp(p_i + y_zero_point). Unlike I-ViT's 2^31−1 / S normalization, the 62-bit reciprocal keeps
/// full precision for long rows. No float at run time; the only scale-dependent constant is x_multiplier.
/// </remarks>
public sealed class ISoftmax : IntegerOperator
{
    public override string OpType => "ISoftmax";

    public const string ShiftmaxMethod = "shiftmax";
    public const string IbertMethod = "ibert";

    /// <summary>The output scale: probabilities in steps of 1/256.</summary>
    public const float OutputScale = 1f / 256;

    private const int ReciprocalBits = 62;
    private const int OutputBits = 8;

    protected override IEnumerable<string> AllowedAttributes(Node node) => ["method", "x_multiplier", "x_shift", "y_type", "y_zero_point"];

    /// <summary>The output zero point of <paramref name="outputType"/>: 0 for uint8, −128 for int8.</summary>
    public static int OutputZeroPoint(ElementType outputType) => outputType == ElementType.Int8 ? -128 : 0;

    /// <summary>The output tensor's quantization: scale 1/256 with <see cref="OutputZeroPoint"/>.</summary>
    public static QuantizationParameters OutputParameters(ElementType outputType) =>
        QuantizationParameters.PerTensor(outputType, OutputScale, OutputZeroPoint(outputType));

    /// <summary>
    /// The attributes of an ISoftmax node, computed at compile time from the input scale (lowering calls this).
    /// </summary>
    /// <param name="method"><see cref="ShiftmaxMethod"/> or <see cref="IbertMethod"/>.</param>
    /// <param name="inputScale">s_x, the input's (per-tensor) scale.</param>
    /// <param name="outputType">int8 or uint8.</param>
    public static Dictionary<string, Attribute> Create(string method, float inputScale, ElementType outputType)
    {
        if (method is not (ShiftmaxMethod or IbertMethod)) throw new ArgumentException($"unknown ISoftmax method \"{method}\"", nameof(method));
        TransformerAttributes.ExpectEightBitType(outputType, "the ISoftmax output type");
        var (m0, shift) = TransformerAttributes.ToFixedPoint((double)inputScale * (1 << ExponentGrid.InputBits), "s_x · 2^20");
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        TransformerAttributes.Add(attributes, "method", method);
        TransformerAttributes.Add(attributes, "x_multiplier", m0);
        TransformerAttributes.Add(attributes, "x_shift", shift);
        TransformerAttributes.Add(attributes, "y_type", (long)outputType);
        TransformerAttributes.Add(attributes, "y_zero_point", OutputZeroPoint(outputType));
        return attributes;
    }

    private sealed record Settings(bool Shiftmax, int Multiplier, int Shift, ElementType OutputType, int ZeroPoint);

    private static Settings Read(Node node)
    {
        string method = TransformerAttributes.ReadMethod(node, ShiftmaxMethod, IbertMethod);
        var (m0, shift) = TransformerAttributes.ReadFixedPoint(node, "x_multiplier", "x_shift");
        var type = Requantizer.ReadEightBitOutputType(node);
        int zeroPoint = OutputZeroPoint(type);
        long given = node.GetInt("y_zero_point", zeroPoint);
        if (given != zeroPoint)
            throw Diagnostics.OctetException.AtNode(node,
                $"y_zero_point={given}; ISoftmax's {type.OnnxName()} output has scale 1/256 and zero point {zeroPoint}");
        return new Settings(method == ShiftmaxMethod, m0, shift, type, zeroPoint);
    }

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectEightBit(context, 0, "X");
        ExpectKnownAttributes(context);
        var settings = Read(context.Node);
        TransformerAttributes.Rows(context.Node, context.InputShape(0));
        context.SetOutput(0, settings.OutputType, context.InputShape(0));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var settings = Read(context.Node);
        var (rows, length) = TransformerAttributes.Rows(context.Node, x.Shape);
        var values = QuantizedValues.Widen(x);
        var (min, max) = IntegerAttributes.Range(settings.OutputType);
        var exponents = new long[length];
        for (int row = 0; row < rows; row++)
        {
            int start = row * length;
            int rowMax = int.MinValue;
            for (int i = 0; i < length; i++) rowMax = Math.Max(rowMax, values[start + i]);
            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                int v = QuantizationMath.MultiplyByFixedPoint(values[start + i] - rowMax, settings.Multiplier, settings.Shift);
                exponents[i] = settings.Shiftmax ? ShiftExp.Exp(v) : PolynomialExp.Exp(v);
                sum += exponents[i];
            }
            // sum > 0: the row maximum has v = 0, whose exponent is about 2^30 in both methods.
            long reciprocal = (1L << ReciprocalBits) / sum;
            for (int i = 0; i < length; i++)
            {
                long probability = RoundingShift.RightHalfUp(exponents[i] * reciprocal, ReciprocalBits - OutputBits);
                values[start + i] = (int)Math.Clamp(probability + settings.ZeroPoint, min, max);
            }
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(settings.OutputType, x.Shape, values));
    }
}
