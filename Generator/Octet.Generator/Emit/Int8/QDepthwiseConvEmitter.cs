using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// The depthwise form of <c>octet.QConv</c> (group = input channels = output channels, one input channel per group)
    /// with fixed-point requantization, as one call of the runtime's <c>DepthwiseConvolution.FixedPoint</c>: the weights
    /// are packed as int16 [tap pair][channel][2] with w_zero_point subtracted (<c>DepthwiseConv.PackWeights</c>), once by the
    /// class constructor when the class has one (<see cref="OpEmitContext.CanPrepare"/>), else once per call,
    /// then the runtime walks the output pixels itself, so the per-pixel work (tap offsets, spans, checks) is not written out
    /// in the generated method. It computes what <see cref="QConvEmitter"/>'s per-pixel depthwise loop computes — the folded
    /// form acc = B' + Σ x̂·(w − w_zp), x̂ = x_zero_point in the padding — through the same runtime accumulation and row
    /// requantization, so the integers are the same.
    /// <para>
    /// Used by <see cref="QConvEmitter"/> through <see cref="TryWrite"/>; it declines (returns false, writing nothing) for
    /// what it does not cover: float requantization, a bias that does not fold x_zero_point in while x_zero_point ≠ 0,
    /// or buffers beyond the runtime kernel's limits. QConvEmitter then writes its own loop.
    /// </para>
    /// </summary>
    internal static class QDepthwiseConvEmitter
    {
        /// <summary>The runtime kernel's stack limits (<c>DepthwiseConvolution.MaxTaps</c>, <c>MaxChannels</c>).</summary>
        private const int MaxTaps = 1024, MaxChannels = 16 * 1024;

        /// <summary>Largest packed weight buffer written as a stackalloc (bytes), as QConvEmitter's other buffers.</summary>
        private const long MaxPackedBytes = QConvEmitter.MaxStackBytes;

        /// <summary>
        /// Writes the body of a depthwise <c>octet.QConv</c> into <paramref name="code"/> and returns true, or returns false
        /// without writing when the op is not a depthwise convolution this path covers. Reads everything from
        /// <paramref name="context"/> (the op's tensors and attributes); QConvEmitter has already validated them.
        /// </summary>
        public static bool TryWrite(OpEmitContext context, CodeWriter code)
        {
            if (context.Op.Inputs.Count < 2 || context.Op.Inputs.Count > 3) return false;
            var x = context.Input(0);
            var w = context.Input(1);
            var b = context.HasInput(2) ? context.Input(2) : null;
            var y = context.Output(0);
            if (x.Shape.Count != 4 || w.Shape.Count != 4 || y.Shape.Count != 4 || x.Layout != "NHWC" || y.Layout != "NHWC") return false;
            // DepthwiseConvolution writes 8-bit outputs; an int16 output takes QConvEmitter's general depthwise path.
            if (!Int8Code.IsEightBit(y.ElementType)) return false;
            if (w.Layout != "OHWI" && !(w.Layout == "rowmajor" && w.Shape[2] * w.Shape[3] == 1)) return false;
            int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
            int m = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
            int group = Int8Code.Int(context, "group", 1);
            if (!(cg == 1 && m == c && group == c)) return false;
            if (b != null && (b.ElementType != "int32" || b.Shape.Count != 1 || b.Shape[0] != m)) return false;
            int taps = kh * kw;
            long packedValues = ((long)taps + 1) / 2 * 2 * c;
            if (taps > MaxTaps || c > MaxChannels || packedValues * 2 > MaxPackedBytes) return false;

            var requantization = Int8Requantization.Read(context, m, y);
            if (!requantization.IsFixedPoint) return false;
            int xZeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            bool folded = context.Int("bias_folds_x_zero_point", 0) != 0;
            if (!folded && xZeroPoint != 0) return false;
            var wZeroPoints = Int8Code.ZeroPoints(context, "w_zero_point", w.ElementType, m);
            var window = Int8Window.Resolve(context, h, wd, new[] { kh, kw }, ceilMode: false);
            if (y.Shape[0] != n || y.Shape[1] != m || y.Shape[2] != window.Output[0] || y.Shape[3] != window.Output[1]) return false;

            bool perChannelZeroPoints = wZeroPoints.Distinct().Count() > 1;
            code.Open("unchecked");
            code.Line($"// QConv: X {Int8Code.Describe(x)} (x_zero_point {xZeroPoint}) * W {Int8Code.Describe(w)} " +
                      $"(w_zero_point {(perChannelZeroPoints ? "per channel" : Int8Code.Int(wZeroPoints[0]))})" +
                      (b != null ? $" + B [{m}]" : "") + $" -> Y {Int8Code.Describe(y)}");
            code.Line($"// {window.Describe()}, group {group}; {requantization.Describe()}.");
            code.Line("// Depthwise: every channel has its own window. DepthwiseConvolution walks the output rows a block of channels at a");
            code.Line("// time, accumulating them side by side in SIMD registers (a padded tap reads x_zero_point) and requantizing there.");
            code.Line("// acc = B' + Σ x̂·(w − w_zp) over every tap, x̂ = x_zero_point in the padding: the reference's");
            code.Line("// B + Σ (x − x_zp)(w − w_zp) with the x_zp term folded into B' = B − x_zp·Σ(w − w_zp).");
            code.Line($"var x = {context.Span(x)};");
            if (!context.CanPrepare) code.Line($"var w = {context.Span(w)};");
            if (b != null)
            {
                code.Line($"var bias = {context.Span(b)};");
                if (folded) code.Line("// The plan's bias B already folds x_zero_point in (bias_folds_x_zero_point = 1): it is B'.");
                else code.Line("// x_zero_point is 0, so B' = B.");
            }
            code.Line($"var y = {context.Span(y)};");
            requantization.DeclareConstants(code);
            requantization.DeclareRowConstants(code);
            if (context.CanPrepare)
            {
                // Packing is work on constants: the constructor does it once per instance.
                string zeroPoints = perChannelZeroPoints
                    ? "new int[] { " + string.Join(", ", wZeroPoints.Select(z => Int8Code.Int(z))) + " }"
                    : $"new int[] {{ {Int8Code.Int(wZeroPoints[0])} }}";
                string field = context.Prepare("short[]", "DepthwiseWeights",
                    $"{Int8Code.Runtime}DepthwiseConv.PackWeights({context.Span(w)}, {c}, {taps}, {zeroPoints})");
                code.Line("// Weights as [tap pair][channel][2] with w_zero_point subtracted, packed once by the constructor: each tap's");
                code.Line("// channels contiguous like an NHWC input pixel, two taps per multiply-add.");
                code.Line($"{Int8Code.ReadOnlySpan}<short> packedWeights = {field};");
            }
            else
            {
                if (perChannelZeroPoints) Int8Code.ConstantArray(code, "int", "weightZeroPoints", wZeroPoints);
                else code.Line($"{Int8Code.ReadOnlySpan}<int> weightZeroPoints = [{Int8Code.Int(wZeroPoints[0])}];");
                code.Line("// Weights as [tap pair][channel][2]: each tap's channels contiguous like an NHWC input pixel, two taps per multiply-add.");
                code.Line($"{Int8Code.Span}<short> packedWeights = stackalloc short[{packedValues}];");
                code.Line($"{Int8Code.Runtime}DepthwiseConv.PackWeights(w, {c}, {taps}, weightZeroPoints, packedWeights);");
            }
            code.Line($"{Int8Code.Runtime}DepthwiseConvolution.FixedPoint(x, packedWeights, {(b != null ? "bias" : "default")}, multipliers, shifts, y,");
            code.Line($"    batch: {n}, inputHeight: {h}, inputWidth: {wd}, channels: {c}, outputHeight: {window.Output[0]}, outputWidth: {window.Output[1]},");
            code.Line($"    kernelHeight: {kh}, kernelWidth: {kw}, strideHeight: {window.Strides[0]}, strideWidth: {window.Strides[1]},");
            code.Line($"    dilationHeight: {window.Dilations[0]}, dilationWidth: {window.Dilations[1]}, padTop: {window.PadBegin[0]}, padLeft: {window.PadBegin[1]},");
            code.Line($"    xZeroPoint: {Int8Code.Int(xZeroPoint)}, yZeroPoint: {Int8Code.Int(requantization.ZeroPoint)}, min: {Int8Code.Int(requantization.ClampMin)}, max: {Int8Code.Int(requantization.ClampMax)});");
            code.Close();
            return true;
        }
    }
}
