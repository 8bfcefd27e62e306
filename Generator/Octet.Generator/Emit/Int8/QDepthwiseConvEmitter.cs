using System;
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
        /// Depthwise layers with at least this many multiply-accumulates split into row bands a worker team can share.
        /// The comparison that matters is split against unsplit <em>on a team</em>: the layer before a depthwise one is split,
        /// so an unsplit layer reads half its input from the other core's cache and runs slower than on one thread. Measured
        /// on mobilenetv3-small-qdq (one process, rounds alternating no team / a team of 2, load average 6–9): 576 channels
        /// 16 × 16 → 8 × 8 (332 K multiply-accumulates) 10.5 µs alone, 19.6 unsplit on the team, 14.9 split into 6 chunks
        /// (the units are now fewer, see <see cref="Units"/>); 144 channels at 61 × 61 (1.2 M) 92 µs alone, 98 unsplit on the
        /// team, 52 split. Every layer from about a quarter of a million multiply-accumulates gains; the smaller ones
        /// (a few µs) are left alone.
        /// </summary>
        internal const long ParallelMacs = 250_000;

        /// <summary>
        /// Work units for a split layer of <paramref name="rows"/> output rows of <paramref name="rowTaps"/> (output width ·
        /// taps) per channel. Each call of the row-band kernel prepares its per-layer constants again, ≈ 2.5–3 ns per channel
        /// (measured: 576 channels 1.7 µs, 960 channels 2.4 µs per call), while a band does ≈ 23 ns of work per thousand
        /// multiply-accumulates, so the work of one row of one channel is ≈ rowTaps · 0.023 ns: a call pays for its set-up
        /// about rows · rowTaps / 125 times over. Keeping the set-up of the chunks a participant runs (WorkerTeam: up to 3 per
        /// participant, never more than the units) under a tenth of its work allows about rows · rowTaps / 1,250 chunks in all:
        /// 12 units at 61 × 61 and above, 6 at 31 × 31, 2 at 16 × 16 and 8 × 8 (where 6 chunks measured no faster than one thread).
        /// </summary>
        internal static int Units(int rows, int rowTaps)
        {
            long chunks = (long)rows * rowTaps / 1250;
            int units = chunks >= QConvEmitter.TargetUnits ? QConvEmitter.TargetUnits : chunks >= 6 ? 6 : 2;
            return Math.Min(rows, units);
        }

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
            long macs = (long)n * window.Output[0] * window.Output[1] * c * taps;
            int rows = n * window.Output[0];
            // Large layers split into bands of output rows for the worker team (the constructor packs the weights once, so
            // no unit repeats that). Rows, like the pixel groups of the pointwise convolutions around a depthwise layer, so
            // that each participant's owned units read the pixels it wrote in the layer before.
            bool split = context.CanSplit && context.CanPrepare && macs >= ParallelMacs && rows >= 2;
            int units = Units(rows, window.Output[1] * taps);
            if (split)
            {
                code.Line($"// {macs} multiply-accumulates: split into units (bands of output rows) that the model's worker team may share;");
                code.Line("// each unit writes its own rows, so results do not depend on the threads.");
                code = context.SplitIntoUnits(units);
            }
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
            if (split)
            {
                code.Line($"// Unit u: output rows [u·{rows}/{units}, (u + 1)·{rows}/{units}) of the {rows} (counted across images).");
                code.Line($"int firstRow = first * {rows} / {units}, endRow = end * {rows} / {units};");
            }
            code.Line($"{Int8Code.Runtime}DepthwiseConvolution.{(split ? "FixedPointRows" : "FixedPoint")}(x, packedWeights, {(b != null ? "bias" : "default")}, multipliers, shifts, y,");
            code.Line($"    batch: {n}, inputHeight: {h}, inputWidth: {wd}, channels: {c}, outputHeight: {window.Output[0]}, outputWidth: {window.Output[1]},");
            code.Line($"    kernelHeight: {kh}, kernelWidth: {kw}, strideHeight: {window.Strides[0]}, strideWidth: {window.Strides[1]},");
            code.Line($"    dilationHeight: {window.Dilations[0]}, dilationWidth: {window.Dilations[1]}, padTop: {window.PadBegin[0]}, padLeft: {window.PadBegin[1]},");
            code.Line($"    xZeroPoint: {Int8Code.Int(xZeroPoint)}, yZeroPoint: {Int8Code.Int(requantization.ZeroPoint)}, min: {Int8Code.Int(requantization.ClampMin)}, max: {Int8Code.Int(requantization.ClampMax)}" +
                      (split ? "," : ");"));
            if (split) code.Line("    firstRow: firstRow, rowCount: endRow - firstRow);");
            code.Close();
            return true;
        }
    }
}
