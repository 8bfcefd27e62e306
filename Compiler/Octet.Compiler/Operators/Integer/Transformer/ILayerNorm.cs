using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.IntegerMath;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// ILayerNorm(X): integer-only LayerNormalization of a quantized tensor over its last axis (C channels), with
/// the affine γ, β folded into per-channel constants. X and Y are each int8, uint8 or int16 (the 16-bit
/// residual stream of integer-only transformers). One input, no constant tensors.
/// Attributes:
/// <list type="bullet">
/// <item><c>x_zero_point</c> (int, default 0).</item>
/// <item><c>epsilon_term</c> (int ≥ 0, required): round(C³ · ε / s_x² · 4^p), ε expressed in the integer variance
/// domain below (p = 0 for an 8-bit output, see <see cref="VarianceScaleBits"/>).</item>
/// <item><c>multiplier</c>, <c>shift</c> (ints, C values each, required): per channel the fixed-point form of
/// M_c = γ_c · √C / s_y, signed: M0 in [2^30, 2^31), its negation (γ_c &lt; 0), or 0; shift ≤ 31.</item>
/// <item><c>bias</c> (ints, C values, required): round(β_c / s_y · 2^16), β in output steps of 2^−16.</item>
/// <item><c>y_type</c> (int, required): 2 = uint8, 3 = int8, 5 = int16; <c>y_zero_point</c> (int, default 0).</item>
/// </list>
/// Build them with <see cref="Create"/>. The input scale enters only through epsilon_term: normalization is
/// scale-invariant.
/// </summary>
/// <remarks>
/// Per row (int64 throughout): d_i = x_i − x_zero_point; s = Σ d_i; c_i = C · d_i − s (= C · (d_i − mean),
/// exact); T = Σ c_i² · 4^p + epsilon_term (= 4^p · C³ · (var + ε / s_x²) in input steps); k = max(0, ⌊(62 −
/// bitlength(T)) / 2⌋) and R' = ⌊√(T · 4^k)⌋ (<see cref="IntegerSqrt"/>, exact), the root with at least 30
/// significant bits even when T is small; n_i = round(c_i · 2^(F + k + p) / R') (half up; 0 when T = 0) with F = 16
/// fraction bits for an 8-bit output and F = 24 for an int16 output (<see cref="StandardizedFractionBits"/>) — the standardized value
/// (x − μ)/√(var + ε) equals n_i · √C · 2^−F; t_i = round(n_i · M_c · 2^(16 − F)) (64-bit, half up,
/// <see cref="RoundingShift.MultiplyByFixedPoint"/> with shift − (F − 16)), the affine result in output steps of 2^−16;
/// y_i = clamp(((t_i + bias_c + 2^15) >> 16) + y_zero_point).
/// <para>Why F depends on the output: n's rounding (½ · 2^−F in n) reaches the output as ½ · M_c · 2^−F steps, and
/// M_c = γ_c · √C / s_y is about 2^16 for an int16 output step (2^8 for int8): 16 bits would cost up to half an
/// output step, 24 bits cost 1/500.</para>
/// <para>p (<see cref="VarianceScaleBits"/>, 0 for an 8-bit output) gives epsilon_term fraction bits: rounded to an
/// integer, C³ · ε / s_x² can be off by 4 % (C = 8, s_x = 0.02, ε = 1e−5 gives 12.8 → 13), which moves near-constant
/// rows by several int16 output steps. p is the largest that keeps Σ c² · 4^p ≤ 2^61 for every row:
/// p = max(0, ⌊(61 − 2 · b − 3 · ⌈log2 C⌉) / 2⌋) with b = 8 (8-bit input) or 16 (int16 input).</para>
/// C is at most <see cref="MaxChannels"/> for an 8-bit input and <see cref="MaxWideChannels"/> for an int16 input,
/// which keeps every intermediate inside int64.
/// </remarks>
public sealed class ILayerNorm : IntegerOperator
{
    public override string OpType => "ILayerNorm";

    /// <summary>Fraction bits of the standardized value n and of t, bias (in output steps).</summary>
    public const int FractionBits = 16;

    /// <summary>
    /// The largest normalized axis of an 8-bit input: Σ c² ≤ C³ · 127.5² ≤ 2^59 leaves room for epsilon_term ≤ 2^62
    /// in int64, and |n| ≤ √C · 2^16 ≤ 2^24 keeps n · M0 below 2^55.
    /// </summary>
    public const int MaxChannels = 1 << 15;

    /// <summary>
    /// The largest normalized axis of an int16 input: C³ · 65,535² must stay below 2^63 (so Σ c² ≤ C³ · 32,767.5²
    /// ≤ 2^61 leaves room for epsilon_term ≤ 2^62); |n| ≤ √C · 2^24 ≤ 2^30 keeps n · M0 below 2^61.
    /// </summary>
    public const int MaxWideChannels = 1290;

    /// <summary>The largest C for an input of <paramref name="inputType"/>.</summary>
    public static int MaxChannelsFor(ElementType inputType) => inputType == ElementType.Int16 ? MaxWideChannels : MaxChannels;

    /// <summary>
    /// p, the extra fraction bits (in pairs: a factor 4^p) of the variance sum T and of epsilon_term: 0 for an 8-bit
    /// output; for an int16 output the largest p with C³ · 2^(2b) · 4^p ≤ 2^61 (b = 8 or 16 input bits), at least 0.
    /// </summary>
    public static int VarianceScaleBits(ElementType inputType, ElementType outputType, int channels)
    {
        if (outputType != ElementType.Int16 || channels <= 0) return 0;
        int inputBits = inputType == ElementType.Int16 ? 16 : 8;
        int channelBits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)channels - 1); // ⌈log2 C⌉
        return Math.Max(0, (61 - 2 * inputBits - 3 * channelBits) / 2);
    }

    /// <summary>F, the fraction bits of the standardized value n: 16 for an 8-bit output, 24 for an int16 output.</summary>
    public static int StandardizedFractionBits(ElementType outputType) => outputType == ElementType.Int16 ? 24 : FractionBits;

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        ["x_zero_point", "epsilon_term", "multiplier", "shift", "bias", "y_type", "y_zero_point"];

    /// <summary>
    /// The attributes of an ILayerNorm node (lowering calls this): C = <paramref name="gamma"/>.Length channels.
    /// </summary>
    /// <param name="beta">β per channel, or null for none (ONNX LayerNormalization's optional B).</param>
    /// <param name="epsilon">ε as in the model (added to the variance).</param>
    public static Dictionary<string, Attribute> Create(QuantizationParameters input, QuantizationParameters output,
        float[] gamma, float[]? beta, float epsilon)
    {
        TransformerAttributes.ExpectActivationType(input.StorageType, "the ILayerNorm input type");
        TransformerAttributes.ExpectActivationType(output.StorageType, "the ILayerNorm output type");
        int channels = gamma.Length, maxChannels = MaxChannelsFor(input.StorageType);
        if (channels == 0 || channels > maxChannels)
            throw new ArgumentException($"ILayerNorm needs 1 to {maxChannels} channels for an {input.StorageType.OnnxName()} input, got {channels}" +
                                        (input.StorageType == ElementType.Int16 ? " (Σ c² must fit int64)" : ""), nameof(gamma));
        if (beta is not null && beta.Length != channels) throw new ArgumentException($"beta has {beta.Length} values; gamma has {channels}", nameof(beta));
        if (!(epsilon >= 0) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be finite and non-negative");

        double cube = (double)channels * channels * channels;
        int varianceBits = VarianceScaleBits(input.StorageType, output.StorageType, channels);
        double epsilonTerm = Math.Round(cube * epsilon / ((double)input.Scale * input.Scale) * Math.Pow(4, varianceBits));
        // An ε that large dominates any variance of 8- or 16-bit data; saturating keeps T inside int64 and changes nothing visible.
        long epsilonInt = epsilonTerm >= 1L << 62 ? 1L << 62 : (long)epsilonTerm;

        var multipliers = new long[channels];
        var shifts = new long[channels];
        var biases = new long[channels];
        double sqrtChannels = Math.Sqrt(channels);
        for (int c = 0; c < channels; c++)
        {
            double m = gamma[c] * sqrtChannels / output.Scale;
            var (m0, shift) = TransformerAttributes.ToFixedPoint(Math.Abs(m), $"|γ[{c}]| · √C / s_y");
            multipliers[c] = m < 0 ? -(long)m0 : m0;
            shifts[c] = shift;
            double b = (beta?[c] ?? 0) / (double)output.Scale * (1 << FractionBits);
            biases[c] = (long)Math.Clamp(Math.Round(b, MidpointRounding.AwayFromZero), -(double)(1L << 40), (double)(1L << 40));
        }
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
        TransformerAttributes.Add(attributes, "x_zero_point", input.ZeroPoint);
        TransformerAttributes.Add(attributes, "epsilon_term", epsilonInt);
        TransformerAttributes.Add(attributes, "multiplier", multipliers);
        TransformerAttributes.Add(attributes, "shift", shifts);
        TransformerAttributes.Add(attributes, "bias", biases);
        TransformerAttributes.Add(attributes, "y_type", (long)output.StorageType);
        TransformerAttributes.Add(attributes, "y_zero_point", output.ZeroPoint);
        return attributes;
    }

    private sealed record Settings(int ZeroPoint, long EpsilonTerm, long[] Multipliers, int[] Shifts, long[] Biases, ElementType OutputType, int OutputZeroPoint);

    private static Settings Read(Node node, ElementType inputType, int channels)
    {
        int maxChannels = MaxChannelsFor(inputType);
        if (channels > maxChannels)
            throw OctetException.AtNode(node, $"the normalized (last) axis has {channels} channels; ILayerNorm supports at most {maxChannels} for an {inputType.OnnxName()} input" +
                                              (inputType == ElementType.Int16 ? " (C³ · 65535² must stay below 2^63 so that Σ c² fits int64)" : ""));
        int zeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", inputType);
        if (!node.HasAttribute("epsilon_term")) throw OctetException.AtNode(node, "required attribute 'epsilon_term' is missing");
        long epsilonTerm = node.GetInt("epsilon_term");
        if (epsilonTerm < 0 || epsilonTerm > 1L << 62)
            throw OctetException.AtNode(node, $"attribute 'epsilon_term' = {epsilonTerm} is outside [0, 2^62]");
        var multipliers = PerChannel(node, "multiplier", channels);
        var shifts = PerChannel(node, "shift", channels);
        var biases = PerChannel(node, "bias", channels);
        var shiftValues = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            Requantizer.CheckFixedPoint(node, $"multiplier[{c}]", Math.Abs(multipliers[c]), $"shift[{c}]", shifts[c]);
            shiftValues[c] = (int)shifts[c];
            if (Math.Abs(biases[c]) > 1L << 40)
                throw OctetException.AtNode(node, $"attribute 'bias[{c}]' = {biases[c]} is outside ±2^40 (β far outside the output range)");
        }
        var type = Requantizer.ReadOutputType(node);
        int outputZeroPoint = IntegerAttributes.ZeroPoint(node, "y_zero_point", type);
        return new Settings(zeroPoint, epsilonTerm, multipliers, shiftValues, biases, type, outputZeroPoint);
    }

    private static long[] PerChannel(Node node, string name, int channels)
    {
        var values = node.GetInts(name) ?? throw OctetException.AtNode(node, $"required attribute '{name}' is missing");
        if (values.Length != channels)
            throw OctetException.AtNode(node, $"attribute '{name}' has {values.Length} values; expected {channels}, one per channel of the normalized (last) axis");
        return values;
    }

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectActivation(context, 0, "X");
        ExpectKnownAttributes(context);
        var (_, channels) = TransformerAttributes.Rows(context.Node, context.InputShape(0));
        var settings = Read(context.Node, context.InputType(0), channels);
        context.SetOutput(0, settings.OutputType, context.InputShape(0));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (rows, channels) = TransformerAttributes.Rows(context.Node, x.Shape);
        var settings = Read(context.Node, x.ElementType, channels);
        var values = QuantizedValues.Widen(x);
        var (min, max) = IntegerAttributes.Range(settings.OutputType);
        int fractionBits = StandardizedFractionBits(settings.OutputType), extraBits = fractionBits - FractionBits;
        int varianceBits = VarianceScaleBits(x.ElementType, settings.OutputType, channels);
        var centered = new long[channels];
        for (int row = 0; row < rows; row++)
        {
            int start = row * channels;
            long sum = 0;
            for (int c = 0; c < channels; c++) sum += values[start + c] - settings.ZeroPoint;
            long squares = 0;
            for (int c = 0; c < channels; c++)
            {
                centered[c] = (long)channels * (values[start + c] - settings.ZeroPoint) - sum;
                squares += centered[c] * centered[c];
            }
            squares = (squares << (2 * varianceBits)) + settings.EpsilonTerm;
            // ⌊√T⌋ of a small T is coarse (T = 56 gives 7 for 7.48): scale T by 4^k into [2^60, 2^62) first, so
            // the root carries k more bits, and divide by it with k more bits in the numerator.
            int k = squares == 0 ? 0 : Math.Max(0, (62 - (64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)squares))) / 2);
            long root = (long)IntegerSqrt.FloorSqrt((ulong)squares << (2 * k));
            for (int c = 0; c < channels; c++)
            {
                long standardized = root == 0 ? 0 : DivideHalfUp(centered[c] << (fractionBits + k + varianceBits), root);
                long affine = RoundingShift.MultiplyByFixedPoint(standardized, settings.Multipliers[c], settings.Shifts[c] - extraBits) + settings.Biases[c];
                long output = RoundingShift.RightHalfUp(affine, FractionBits) + settings.OutputZeroPoint;
                values[start + c] = (int)Math.Clamp(output, min, max);
            }
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(settings.OutputType, x.Shape, values));
    }

    /// <summary>⌊n / d + 1/2⌋ for d &gt; 0 (a floor, also for negative n).</summary>
    private static long DivideHalfUp(long n, long d)
    {
        long twice = 2 * n + d, divisor = 2 * d;
        long q = twice / divisor;
        return twice % divisor < 0 ? q - 1 : q;
    }
}
