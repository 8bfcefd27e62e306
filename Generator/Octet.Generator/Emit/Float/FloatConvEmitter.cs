using System.Collections.Generic;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 2-D Conv: NHWC input and output, OHWI-packed weights, optional bias, groups (depthwise included),
    /// strides, dilations, pads (auto_pad resolved from the shapes).
    /// </summary>
    /// <remarks>
    /// <para>Ungrouped convolutions whose im2col row fits a 32 KB stack buffer are matrix products (see
    /// <see cref="EmitAsGemm"/>): the register-blocked <c>FloatGemm.MultiplyNK</c> reuses every loaded input vector
    /// across four filters and every filter vector across four pixels.</para>
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
                EmitAsGemm(code, window, n, c, m, kh, kw, filter, bias != null);
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

        /// <summary>Largest im2col row (kh·kw·C floats) the GEMM path gathers: at least one row must fit the 32 KB stack buffer.</summary>
        private const int MaxPatchFloats = 8192;

        /// <summary>
        /// One group: the convolution is a matrix product of im2col rows (one per output pixel, kh·kw·C long, in
        /// OHWI order) with the filters, which OHWI already stores NK-packed ([M][kh·kw·C]).
        /// <c>FloatGemm.MultiplyNK</c> computes it in register blocks. A 1×1 stride-1 unpadded convolution's im2col
        /// rows are the NHWC input pixels themselves, read in place; otherwise a few pixels' rows at a time are
        /// gathered into a stack buffer (≤ 32 KB), zero where a tap lands in padding.
        /// </summary>
        private static void EmitAsGemm(CodeWriter code, Window2D window, int n, int c, int m, int kh, int kw, int filter, bool hasBias)
        {
            int h = window.InH, wi = window.InW, oh = window.OutH, ow = window.OutW;
            string gemm = $"{FloatEmit.Runtime}FloatGemm.MultiplyNK";
            string accumulate = hasBias ? "true" : "false";
            bool pointwise = kh == 1 && kw == 1 && window.StrideH == 1 && window.StrideW == 1 &&
                             window.PadTop == 0 && window.PadLeft == 0 && window.PadBottom == 0 && window.PadRight == 0 &&
                             oh == h && ow == wi;
            if (pointwise)
            {
                code.Line("// 1x1, stride 1, no padding: each NHWC input pixel is its own im2col row, so the input is A as is.");
                code.Open($"for (int n = 0; n < {n}; n++)");
                code.Line($"Span<float> image = y.Slice(n * {(long)oh * ow * m}, {(long)oh * ow * m});");
                if (hasBias)
                {
                    code.Line("// Outputs start at the bias; the product is added to it.");
                    code.Open($"for (int p = 0; p < {oh * ow}; p++)");
                    code.Line($"bias.CopyTo(image.Slice(p * {m}, {m}));");
                    code.Close();
                }
                code.Line($"{gemm}(x.Slice(n * {(long)h * wi * c}, {(long)h * wi * c}), {c}, {h * wi}, w, {c}, {m}, image, {m}, accumulate: {accumulate});");
                code.Close();
                return;
            }

            int block = System.Math.Max(1, System.Math.Min(ow, MaxPatchFloats / filter));
            int rowLength = kw * c;
            code.Line($"// im2col rows of up to {block} output pixels at a time ({filter} floats each: kernel rows × taps × channels, the OHWI order).");
            code.Line($"Span<float> patch = stackalloc float[{block * filter}];");
            code.Open($"for (int n = 0; n < {n}; n++)");
            code.Open($"for (int oh = 0; oh < {oh}; oh++)");
            code.Line($"int ihOrigin = {FloatEmit.Minus(FloatEmit.Times("oh", window.StrideH), window.PadTop)};");
            if (block == ow)
            {
                code.Open("// The whole output row fits the buffer: one chunk.");
                code.Line($"const int ow0 = 0, count = {ow};");
            }
            else
            {
                code.Open($"for (int ow0 = 0; ow0 < {ow}; ow0 += {block})");
                code.Line($"int count = Math.Min({block}, {ow} - ow0);");
            }
            code.Open("for (int i = 0; i < count; i++)");
            code.Line($"int iwOrigin = {FloatEmit.Minus(FloatEmit.Times("(ow0 + i)", window.StrideW), window.PadLeft)};");
            code.Open($"for (int kh = 0; kh < {kh}; kh++)");
            code.Line($"Span<float> run = patch.Slice(i * {filter} + kh * {rowLength}, {rowLength});");
            code.Line($"int ih = ihOrigin + {FloatEmit.Times("kh", window.DilationH)};");
            code.Line($"if ((uint)ih >= {h}u) {{ run.Clear(); continue; }}");
            code.Line($"int inputRow = (n * {h} + ih) * {wi * c};");
            if (window.DilationW == 1)
            {
                code.Line("// Taps of one kernel row are adjacent pixels: copy the ones inside the input as one run, zero the rest.");
                code.Line($"int first = Math.Max(0, -iwOrigin), last = Math.Min({kw}, {wi} - iwOrigin);");
                code.Line($"if (last <= first) {{ run.Clear(); continue; }}");
                code.Line($"run.Slice(0, {FloatEmit.Times("first", c)}).Clear();");
                code.Line($"x.Slice(inputRow + {FloatEmit.Times("(iwOrigin + first)", c)}, {FloatEmit.Times("(last - first)", c)}).CopyTo(run.Slice({FloatEmit.Times("first", c)}));");
                code.Line($"run.Slice({FloatEmit.Times("last", c)}).Clear();");
            }
            else
            {
                code.Open($"for (int kw = 0; kw < {kw}; kw++)");
                code.Line($"int iw = iwOrigin + {FloatEmit.Times("kw", window.DilationW)};");
                code.Line($"Span<float> tap = run.Slice({FloatEmit.Times("kw", c)}, {c});");
                code.Line($"if ((uint)iw < {wi}u) x.Slice(inputRow + {FloatEmit.Times("iw", c)}, {c}).CopyTo(tap);");
                code.Line("else tap.Clear();");
                code.Close();
            }
            code.Close(); // kh
            code.Close(); // i
            code.Line($"Span<float> pixels = y.Slice(((n * {oh} + oh) * {ow} + ow0) * {m}, count * {m});");
            if (hasBias)
            {
                code.Line("// Outputs start at the bias; the product is added to it.");
                code.Line($"for (int i = 0; i < count; i++) bias.CopyTo(pixels.Slice(i * {m}, {m}));");
            }
            code.Line($"{gemm}(patch, {filter}, count, w, {filter}, {m}, pixels, {m}, accumulate: {accumulate});");
            code.Close(); // ow0
            code.Close(); // oh
            code.Close(); // n
        }
    }
}
