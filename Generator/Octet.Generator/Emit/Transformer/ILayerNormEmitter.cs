using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Emit.Int8;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// <c>octet.ILayerNorm</c>: integer LayerNormalization over the last axis (row-major) with γ, β folded into
    /// per-channel fixed-point constants, which become constant spans. One call of
    /// <c>Octet.Runtime.Transformer.IntegerLayerNorm.Rows</c> over all rows.
    /// </summary>
    public sealed class ILayerNormEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.ILayerNorm" };

        /// <summary>The runtime kernel's limit on the normalized axis.</summary>
        private const int MaxChannels = 1 << 15;

        /// <summary>The runtime kernel's limit with an int16 input (<c>IntegerLayerNorm.MaxInt16Channels</c>: C³ · 2^32 below 2^63).</summary>
        private const int MaxInt16Channels = 1290;

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            // int16 in or out: the 16-bit residual stream and the post-LN activations it reads (IntegerLayerNorm is generic).
            var (x, y) = TransformerCode.Unary(context, allowInt16: true);
            int channels = TransformerCode.RowLength(x);
            if (x.ElementType == "int16" && channels > MaxInt16Channels)
                throw new EmitException($"the normalized axis has {channels} channels of int16 input; the kernel keeps its sums in int64 for at most {MaxInt16Channels}");
            Int8Code.ExpectLayout(y, "output Y", "rowmajor");
            if (channels > MaxChannels) throw new EmitException($"the normalized axis has {channels} channels; the kernel supports at most {MaxChannels}");
            int xZeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            if (!context.HasAttribute("epsilon_term")) throw new EmitException("required attribute 'epsilon_term' is missing");
            long epsilonTerm = context.Int("epsilon_term", 0);
            if (epsilonTerm < 0 || epsilonTerm > 1L << 62) throw new EmitException($"attribute 'epsilon_term' = {epsilonTerm} is outside [0, 2^62]");
            var multipliers = PerChannel(context, "multiplier", channels);
            var shifts = PerChannel(context, "shift", channels);
            var biases = PerChannel(context, "bias", channels);
            for (int c = 0; c < channels; c++)
            {
                Int8Requantization.CheckFixedPoint($"multiplier[{c}]", Math.Abs(multipliers[c]), $"shift[{c}]", shifts[c]);
                if (Math.Abs(biases[c]) > 1L << 40) throw new EmitException($"attribute 'bias[{c}]' = {biases[c]} is outside ±2^40");
            }
            TransformerCode.ExpectOutputType(context, y);
            int yZeroPoint = Int8Code.ZeroPoint(context, "y_zero_point", y.ElementType);
            long rows = OpEmitContext.ElementCount(x) / channels;

            return code =>
            {
                code.Line($"// ILayerNorm: X {Int8Code.Describe(x)} (x_zero_point {xZeroPoint}) -> Y {Int8Code.Describe(y)} (y_zero_point {yZeroPoint}), " +
                          $"{rows} row(s) of {channels} channels;");
                code.Line($"// epsilon_term {epsilonTerm}; gamma folded into per-channel M0/shift, beta into biases in output steps of 2^-16.");
                Int8Code.ConstantArray(code, "int", "multipliers", multipliers.Select(v => Int8Code.Int(v)));
                Int8Code.ConstantArray(code, "int", "shifts", shifts.Select(v => Int8Code.Int(v)));
                Int8Code.ConstantArray(code, "long", "biases", biases.Select(v => Literals.Int(v) + (v > int.MaxValue || v < int.MinValue ? "L" : "")));
                code.Line($"{TransformerCode.Runtime}IntegerLayerNorm.Rows<{TransformerCode.TypeArguments(x, y)}>({context.Span(x)}, {context.Span(y)}, " +
                          $"{Int8Code.Int(xZeroPoint)}, {Literals.Int(epsilonTerm)}{(epsilonTerm > int.MaxValue ? "L" : "")}, multipliers, shifts, biases, {Int8Code.Int(yZeroPoint)});");
            };
        }

        private static long[] PerChannel(OpEmitContext context, string name, int channels)
        {
            var values = context.Ints(name) ?? throw new EmitException($"required attribute '{name}' is missing");
            if (values.Length != channels)
                throw new EmitException($"attribute '{name}' has {values.Length} values; expected {channels}, one per channel of the normalized (last) axis");
            return values;
        }
    }
}
