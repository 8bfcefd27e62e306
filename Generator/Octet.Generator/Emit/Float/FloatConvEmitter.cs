using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 2-D Conv: NHWC input and output, OHWI-packed weights, optional bias, groups (depthwise included),
    /// strides, dilations, pads (auto_pad resolved from the shapes).
    /// </summary>
    /// <remarks>
    /// <para>Ungrouped convolutions whose im2col row is at most 8192 floats are matrix products (see
    /// <see cref="EmitAsGemm"/>): the outer-product kernel <c>FloatPanelGemm.Multiply</c>, with the bias as each
    /// output's start and a following in-place Relu fused into its store (<see cref="FusedActivation"/>). Inside a
    /// model class (filters packed once by the constructor) ungrouped kernels of at least 3×3 with up to 256 filters of
    /// up to 2304 weights skip im2col and use <c>FloatDirectConv.Nhwc</c>, which reads the input in place; in a kernel
    /// body written on its own (filters repacked per call) only layers with one to three input channels and at most 64
    /// filters (the first layer of image models), or up to 16 input channels over at least 32 output columns, do.</para>
    /// <para>Otherwise (groups, depthwise, very long filters) one output pixel at a time: its M outputs start at the
    /// bias, then every kernel tap that lands inside the input adds dot products of the input's channel run at that
    /// tap with the filters' matching runs (<c>FloatDot.AccumulateDotRows</c>). In NHWC/OHWI the taps of one kernel row are adjacent in both the input
    /// and the filters when dilation is 1 and there is one group, so a whole kernel row is one dot product.
    /// Padding taps are skipped, not read (they are zero). The summation order differs from the reference
    /// executor's, hence the tolerance stated on <c>FloatDot</c> (relative 1e-5 of the output range); the same holds
    /// for the GEMM path, whose padding taps are gathered as zeros (adding 0·w changes no finite sum).</para>
    /// </remarks>
    public sealed class FloatConvEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Conv" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 2, 1)) return;
            PlanTensor x = context.Input(0), w = context.Input(1), y = context.Output(0);
            PlanTensor? bias = context.HasInput(2) ? context.Input(2) : null;
            string op = $"Conv '{context.Op.Name}'";
            if (!FloatEmit.ExpectFloat(context, x, w, y) || (bias != null && !FloatEmit.ExpectFloat(context, bias))) return;
            if (!FloatEmit.Expect(context, x, 4, "NHWC", "input") || !FloatEmit.Expect(context, y, 4, "NHWC", "output") ||
                !FloatEmit.Expect(context, w, 4, "OHWI", "weights"))
                return;

            int n = x.Shape[0], c = x.Shape[1];
            int m = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
            long groupAttribute = context.Int("group", 1);
            if (groupAttribute < 1 || c % groupAttribute != 0 || m % groupAttribute != 0 || cg * groupAttribute != c)
            {
                context.Unsupported($"{op}: group={groupAttribute} does not fit input channels {c}, output channels {m} and weights [{string.Join(",", w.Shape)}]");
                return;
            }
            int g = (int)groupAttribute, mg = m / g;
            if (y.Shape[0] != n || y.Shape[1] != m)
            {
                context.Unsupported($"{op}: output [{string.Join(",", y.Shape)}] should have batch {n} and {m} channels");
                return;
            }
            if (bias != null && (bias.Shape.Count != 1 || bias.Shape[0] != m))
            {
                context.Unsupported($"{op}: bias '{bias.Name}' has shape [{string.Join(",", bias.Shape)}]; expected [{m}]");
                return;
            }
            var kernelShape = context.Ints("kernel_shape");
            if (kernelShape != null && (kernelShape.Length != 2 || kernelShape[0] != kh || kernelShape[1] != kw))
            {
                context.Unsupported($"{op}: kernel_shape [{string.Join(",", kernelShape)}] does not match the weights' {kh}x{kw}");
                return;
            }
            var window = Window2D.Resolve(context, x, y, kh, kw, ceilMode: false);
            if (window == null) return;

            var code = context.Code;
            int h = window.InH, wi = window.InW, oh = window.OutH, ow = window.OutW;
            int filter = kh * kw * cg; // elements per output channel's filter
            code.Line($"// {FloatEmit.Describe(y)} = conv({FloatEmit.Describe(x)}, {FloatEmit.Describe(w)}{(bias != null ? ", bias " + bias.Name : "")})");
            code.Line($"// kernel {kh}x{kw}, strides {window.StrideH},{window.StrideW}, dilations {window.DilationH},{window.DilationW}, " +
                      $"pads {window.PadTop},{window.PadLeft},{window.PadBottom},{window.PadRight}, group {g}" +
                      (cg == 1 && g > 1 ? " (depthwise)" : ""));
            code.Line($"ReadOnlySpan<float> x = {context.Span(x)};");
            code.Line($"ReadOnlySpan<float> w = {context.Span(w)};");
            if (bias != null) code.Line($"ReadOnlySpan<float> bias = {context.Span(bias)};");
            code.Line($"Span<float> y = {context.Span(y)};");

            if (g == 1 && filter <= MaxPatchFloats)
            {
                EmitAsGemm(context, window, n, c, m, kh, kw, filter, bias != null);
                return;
            }

            code.Open($"for (int n = 0; n < {n}; n++)");
            code.Open($"for (int oh = 0; oh < {oh}; oh++)");
            code.Line($"int ihOrigin = {FloatEmit.Minus(FloatEmit.Times("oh", window.StrideH), window.PadTop)};");
            if (window.ClipsH)
            {
                code.Line("// Kernel rows that land inside the input; the others read zero padding and add nothing.");
                Window2D.EmitTapRange(code, "ihOrigin", h, kh, window.DilationH, "khFirst", "khLast");
            }
            code.Open($"for (int ow = 0; ow < {ow}; ow++)");
            code.Line($"int iwOrigin = {FloatEmit.Minus(FloatEmit.Times("ow", window.StrideW), window.PadLeft)};");
            if (window.ClipsW) Window2D.EmitTapRange(code, "iwOrigin", wi, kw, window.DilationW, "kwFirst", "kwLast");
            string khFirst = window.ClipsH ? "khFirst" : "0", khLast = window.ClipsH ? "khLast" : kh.ToString();
            string kwFirst = window.ClipsW ? "kwFirst" : "0", kwLast = window.ClipsW ? "kwLast" : kw.ToString();

            code.Line($"Span<float> pixel = y.Slice(((n * {oh} + oh) * {ow} + ow) * {m}, {m});");
            code.Line(bias != null ? "bias.CopyTo(pixel);" : "pixel.Clear();");
            code.Open($"for (int kh = {khFirst}; kh < {khLast}; kh++)");
            code.Line($"// Input offset of (n, ih, iwOrigin, channel 0); iwOrigin may be negative, valid taps are not.");
            code.Line($"int row = ((n * {h} + ihOrigin + {FloatEmit.Times("kh", window.DilationH)}) * {wi} + iwOrigin) * {c};");

            if (g == 1 && window.DilationW == 1)
            {
                code.Line("// Adjacent taps of this kernel row are adjacent pixels: one run of channels × taps against each filter's run.");
                if (window.ClipsW) code.Open($"if ({kwLast} > {kwFirst})");
                string taps = window.ClipsW ? $"({kwLast} - {kwFirst}) * {c}" : (kw * c).ToString();
                string start = window.ClipsW ? $"row + {kwFirst} * {c}" : "row";
                string filterStart = window.ClipsW ? $"(kh * {kw} + {kwFirst}) * {c}" : $"kh * {kw * c}";
                code.Line($"{FloatEmit.Runtime}FloatDot.AccumulateDotRows(x.Slice({start}, {taps}), w.Slice({filterStart}), {filter}, pixel);");
                if (window.ClipsW) code.Close();
            }
            else
            {
                code.Open($"for (int kw = {kwFirst}; kw < {kwLast}; kw++)");
                code.Line($"int tap = row + {FloatEmit.Times("kw", window.DilationW * c)};");
                code.Line($"int weight = {FloatEmit.Times($"(kh * {kw} + kw)", cg)};");
                if (g == 1)
                {
                    code.Line($"{FloatEmit.Runtime}FloatDot.AccumulateDotRows(x.Slice(tap, {c}), w.Slice(weight), {filter}, pixel);");
                }
                else if (cg == 1)
                {
                    code.Line(mg == 1
                        ? "// Depthwise: output channel k reads input channel k only, one weight per tap."
                        : $"// Depthwise with multiplier {mg}: output channel k reads input channel k / {mg}, one weight per tap.");
                    code.Open($"for (int k = 0; k < {m}; k++)");
                    code.Line(mg == 1 ? $"pixel[k] += x[tap + k] * w[k * {filter} + weight];" : $"pixel[k] += x[tap + k / {mg}] * w[k * {filter} + weight];");
                    code.Close();
                }
                else
                {
                    code.Line($"// Group j: input channels [j·{cg}, (j+1)·{cg}) against output channels [j·{mg}, (j+1)·{mg}).");
                    code.Open($"for (int j = 0; j < {g}; j++)");
                    code.Line($"{FloatEmit.Runtime}FloatDot.AccumulateDotRows(x.Slice(tap + j * {cg}, {cg}), w.Slice(j * {mg * filter} + weight), {filter}, pixel.Slice(j * {mg}, {mg}));");
                    code.Close();
                }
                code.Close();
            }
            code.Close(); // kh
            code.Close(); // ow
            code.Close(); // oh
            code.Close(); // n
        }

        /// <summary>Largest im2col row (kh·kw·C floats) the GEMM path gathers.</summary>
        private const int MaxPatchFloats = 8192;

        /// <summary>
        /// Floats of gathered im2col rows per kernel call (256 KB, in L2): enough rows that repacking the filters'
        /// panels once per call costs little next to the multiply-adds, few enough that the rows stay in cache
        /// while every column panel passes over them.
        /// </summary>
        private const int ChunkFloats = 65536;

        /// <summary>
        /// Most input and output channels for which the direct kernel (no im2col) is used. Measured: mnist-8's first
        /// layer (1 → 8 channels, 5×5) took 17.5 µs with im2col and 10.8 µs direct. Since the direct kernel's tile grew
        /// to six pixels × up to four vectors (AVX-512), alternating in one process against im2col + FloatPanelGemm:
        /// squeezenet1.0's first layer (3 → 64, 3×3, stride 2, 224²) 381–456 → 271–275 µs; 3 → 16, 3×3, stride 2, pad 1
        /// (ultraface-320's) 227–245 → 146–156 µs; 1 → 64, 5×5 at 224² (super-resolution's) 1.8–1.9× faster; 3 → 32, 3×3
        /// at 32² 1.16–1.24× faster. Four or more input channels were not measured, so they stay on im2col.
        /// </summary>
        private const int DirectMaxChannels = 3, DirectMaxOutputChannels = 64;

        /// <summary>
        /// With more input channels (up to <see cref="DirectWideMaxChannels"/>) the direct kernel still wins on wide
        /// outputs (at least <see cref="DirectWideMinOutputWidth"/> columns, so that six-pixel tiles dominate the
        /// clipped border pixels). Measured alternating against im2col + FloatPanelGemm (3×3, pad 1 unless stated):
        /// 55² × 16 → 64 (squeezenet1.0's fire2/fire3 expand3x3) 1.19–1.29× faster, 40² × 16 → 32 1.18×, 80² × 8 → 16
        /// 1.46×; slower: 14² × 8 → 16 with 5×5, pad 2 (mnist-8's second layer, 14 columns) 0.74×; even: 30² × 24 → 64 0.97×
        /// (figures from before the border columns ran in tiles down the column; this rule now only decides kernel bodies
        /// written on their own, see <see cref="DirectPackedMaxFilter"/> for model classes).
        /// </summary>
        private const int DirectWideMaxChannels = 16, DirectWideMinOutputWidth = 32;

        /// <summary>
        /// Largest weight panel (filters rounded up to 16 × kh·kw·C) the direct kernel repacks at every call when there is
        /// no constructor to pack it once: 64 KB (the 3×3 layers of 16 → 64 channels, 36 KB, stay in L1).
        /// </summary>
        private const int DirectMaxPanelFloats = 16384;

        /// <summary>
        /// Inside a model class the direct kernel reads filters packed once by the constructor, and then wins on every
        /// ungrouped layer measured with a kernel of at least 3×3 (the six-pixel tiles run along the interior of each row
        /// and down the border columns, so only the corner pixels run alone). Measured alternating in one process, min of
        /// 11–25 batches, against im2col + FloatPanelGemm (constructor-packed; 6 rows × 2 vectors), 3×3 pad 1 unless
        /// stated: squeezenet1.0's expand3x3 layers 55² × 16 → 64 316–352 → 256–278 µs, 27² × 32 → 128 278–297 → 249–261,
        /// 13² × 48 → 192 134–149 → 116–127, 13² × 64 → 256 249–269 → 208–223; the original SqueezeNet's conv1 (224² × 3 → 96,
        /// 7×7, stride 2; the zoo model's is 3×3 × 64) 2047 → 1788; 56² × 64 → 64 1225 → 1031; 28² × 128 → 128 1212 → 1016; 14² × 256 → 256 1201 → 1064;
        /// 7² × 64 → 128 38.0 → 29.9; 112² × 64 → 128 stride 2 2397 → 2166; 28² × 32 → 64 5×5 pad 2 435 → 350; mnist-8's
        /// second layer (14² × 8 → 16, 5×5 pad 2) 13.6 → 11.1 µs. That is 1.11–1.27×, more than the ~5 % a wider GEMM tile
        /// is expected to give im2col. Not taken: 1×1 kernels (strided 56² × 64 → 128: 67.4 → 62.2 µs, 1.08×, the gather
        /// being cheap there), and sizes beyond those measured: more than 256 filters, filters longer than 2304 (3×3×256),
        /// outputs smaller than 7×7 (fewer interior pixels per corner pixel).
        /// </summary>
        private const int DirectPackedMinKernel = 3, DirectPackedMaxOutputChannels = 256, DirectPackedMaxFilter = 2304, DirectPackedMinOutputSide = 7;

        /// <summary>
        /// Whether this Conv takes the matrix-product path and absorbs the Relu that follows it (so that the Relu's
        /// emitter, which asks through <see cref="FusedActivation.AbsorbedBy"/>, emits nothing).
        /// </summary>
        internal static bool FusesActivation(ModelPlan plan, PlanOp op)
        {
            if (op.Inputs.Count < 2) return false;
            var w = plan.Tensors.FirstOrDefault(t => t.Name == op.Inputs[1]);
            if (w == null || w.Shape.Count != 4) return false;
            var group = op.Attributes.FirstOrDefault(a => a.Name == "group");
            bool ungrouped = group == null || group.Values.Count == 1 && group.Values[0] == "1";
            long filter = (long)w.Shape[1] * w.Shape[2] * w.Shape[3];
            return ungrouped && filter <= MaxPatchFloats && FusedActivation.ReluAfter(plan, op) != null;
        }

        /// <summary>
        /// One group: the convolution is a matrix product of im2col rows (one per output pixel, kh·kw·C long, in
        /// OHWI order) with the filters, which OHWI already stores NK-packed ([M][kh·kw·C]).
        /// <c>FloatPanelGemm.Multiply</c> computes it with an outer-product register tile, starting each output at
        /// its bias and clamping it when the following Relu is fused. A 1×1 stride-1 unpadded convolution's im2col
        /// rows are the NHWC input pixels themselves, read in place; otherwise the rows of up to
        /// <see cref="ChunkFloats"/> floats' worth of output pixels at a time (across output rows and images: NHWC
        /// keeps consecutive pixels' outputs adjacent) are gathered into per-thread scratch, zero where a tap lands
        /// in padding.
        /// </summary>
        private static void EmitAsGemm(OpEmitContext context, Window2D window, int n, int c, int m, int kh, int kw, int filter, bool hasBias)
        {
            var code = context.Code;
            int h = window.InH, wi = window.InW, oh = window.OutH, ow = window.OutW;
            var relu = FusedActivation.ReluAfter(context.Plan, context.Op);
            string epilogue = (hasBias ? "bias, " : "ReadOnlySpan<float>.Empty, ") +
                              (relu != null ? "0f, float.PositiveInfinity" : "float.NegativeInfinity, float.PositiveInfinity");
            if (relu != null) code.Line($"// Relu '{relu.Name}' is fused: outputs are clamped at 0 as they are stored (it works in place on this output).");
            bool pointwise = kh == 1 && kw == 1 && window.StrideH == 1 && window.StrideW == 1 &&
                             window.PadTop == 0 && window.PadLeft == 0 && window.PadBottom == 0 && window.PadRight == 0 &&
                             oh == h && ow == wi;
            if (pointwise)
            {
                code.Line("// 1x1, stride 1, no padding: each NHWC input pixel is its own im2col row, so the input is A as is (all images at once).");
                code.Line($"{FloatEmit.Runtime}FloatPanelGemm.Multiply(x, {c}, {(long)n * h * wi}, {PackedWeights(context, c, m)}, {epilogue}, y, {m}, accumulate: false);");
                return;
            }

            bool fewChannels = c <= DirectMaxChannels;
            bool wideOutput = c <= DirectWideMaxChannels && ow >= DirectWideMinOutputWidth;
            bool repackedPerCall = (fewChannels || wideOutput) && m <= DirectMaxOutputChannels && (long)((m + 15) / 16 * 16) * filter <= DirectMaxPanelFloats;
            bool packedOnce = context.CanPrepare && kh >= DirectPackedMinKernel && kw >= DirectPackedMinKernel &&
                              m <= DirectPackedMaxOutputChannels && filter <= DirectPackedMaxFilter &&
                              oh >= DirectPackedMinOutputSide && ow >= DirectPackedMinOutputSide;
            if (repackedPerCall || packedOnce)
            {
                if (fewChannels)
                    code.Line($"// {c} input channel(s): im2col rows would be copies of {kw * c} floats per kernel row, costlier than the multiply-adds,");
                else
                    code.Line($"// {c} input channels, {oh}x{ow} output pixels: gathering im2col rows costs more than the direct kernel's tiles lose at the borders,");
                code.Line("// so the kernel reads the input in place (taps in padding skipped) against vectors of the filters' weights per tap.");
                string filters = DirectWeights(context, c, m, kh, kw);
                code.Line($"{FloatEmit.Runtime}FloatDirectConv.Nhwc(x, {n}, {h}, {wi}, {c}, {filters}{window.StrideH}, {window.StrideW}, " +
                          $"{window.DilationH}, {window.DilationW}, {window.PadTop}, {window.PadLeft}, {epilogue}, y, {oh}, {ow});");
                return;
            }

            long total = (long)n * oh * ow;
            int chunk = (int)System.Math.Max(1, System.Math.Min(total, ChunkFloats / filter));
            code.Line($"// im2col rows of up to {chunk} output pixels at a time ({filter} floats each: kernel rows × taps × channels, the OHWI order).");
            code.Line($"Span<float> patch = {FloatEmit.Runtime}FloatScratch.Get({(long)chunk * filter});");
            if (chunk == total)
            {
                code.Open("// Every output pixel fits the buffer: one chunk.");
                code.Line($"const int q0 = 0, count = {total};");
            }
            else
            {
                code.Open($"for (int q0 = 0; q0 < {total}; q0 += {chunk})");
                code.Line($"int count = Math.Min({chunk}, {total} - q0);");
            }
            code.Line($"{FloatEmit.Runtime}FloatIm2Col.GatherNhwc(x, {h}, {wi}, {c}, {oh}, {ow}, {kh}, {kw}, {window.StrideH}, {window.StrideW}, " +
                      $"{window.DilationH}, {window.DilationW}, {window.PadTop}, {window.PadLeft}, q0, count, patch);");
            string weights = PackedWeights(context, filter, m);
            code.Line($"{FloatEmit.Runtime}FloatPanelGemm.Multiply(patch, {filter}, count, {weights}, {epilogue}, y.Slice(q0 * {m}, count * {m}), {m}, accumulate: false);");
            code.Close(); // chunk
        }

        /// <summary>
        /// The filter arguments of <c>FloatDirectConv.Nhwc</c>, with a trailing ", ": inside a model class the filters
        /// packed into the kernel's panels once by the constructor (a field; repacking at every call made squeezenet1.0's
        /// 55² × 16 → 64 layer 2–3 % slower, 27² × 32 → 128 9–10 %, 13² × 64 → 256 45–48 %); in a kernel body written on
        /// its own, <c>w</c> and its sizes, packed per call.
        /// </summary>
        private static string DirectWeights(OpEmitContext context, int c, int m, int kh, int kw)
        {
            if (!context.CanPrepare) return $"w, {m}, {kh}, {kw}, ";
            string field = context.Prepare($"{FloatEmit.Runtime}FloatDirectConv.PackedWeights", "DirectWeights",
                $"{FloatEmit.Runtime}FloatDirectConv.Pack({context.Span(context.Input(1))}, {m}, {kh}, {kw}, {c})");
            context.Code.Line($"// The filters ([{m}][{kh}x{kw}x{c}]) were packed into the kernel's panels once, by the constructor ({field}).");
            return field + ", ";
        }

        /// <summary>
        /// The weights argument of <c>FloatPanelGemm.Multiply</c>: inside a model class, B packed into the kernel's panels
        /// once by the constructor (a field; the kernel otherwise repacks B at every call, 5–15 % of a layer with few
        /// pixels); in a kernel body written on its own, <c>w</c> and its sizes, packed per call.
        /// </summary>
        private static string PackedWeights(OpEmitContext context, long k, int m)
        {
            if (!context.CanPrepare) return $"w, {k}, {m}";
            string field = context.Prepare($"{FloatEmit.Runtime}FloatPanelGemm.PackedWeights", "PackedWeights",
                $"{FloatEmit.Runtime}FloatPanelGemm.Pack({context.Span(context.Input(1))}, {k}, {m})");
            context.Code.Line($"// The filters ([{m}][{k}]) were packed into the kernel's panels once, by the constructor ({field}).");
            return field;
        }
    }
}
