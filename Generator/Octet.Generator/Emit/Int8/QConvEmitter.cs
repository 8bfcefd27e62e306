using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// <c>octet.QConv</c>: 2-D convolution of 8-bit NHWC activations with OHWI 8-bit weights, int32 bias, per-channel
    /// requantization; groups (including depthwise), strides, pads, dilations. Bit-identical to the compiler's
    /// <c>QConv</c> kernel, computed in the folded form (see <c>FoldedBias</c>):
    /// <c>acc[m] = B'[m] + Σ x̂ · w − w_zp[m] · Σ x̂</c> over every tap of the window, x̂ being x inside the input and
    /// x_zero_point in the padding. Equal to the reference's <c>B + Σ (x − x_zp)(w − w_zp)</c> over the taps inside the
    /// input because B' = B − x_zp · Σ (w − w_zp), in wrapping int32 arithmetic either way.
    /// </summary>
    public sealed class QConvEmitter : Int8OpEmitter
    {
        /// <summary>Largest stack buffer a kernel takes (bytes): a patch of taps, or one int per channel.</summary>
        internal const int MaxStackBytes = 64 * 1024;

        /// <summary>
        /// Convolutions with at least this many multiply-accumulates split into units a worker team can share. Measured
        /// (docs/performance.md, "Threading"): a hand-over costs the caller about 0.5–1 µs with the workers spinning, and
        /// each chunk a participant takes re-zeroes its stack scratch (≈ 1 µs per 64 KiB) — about 4 µs per op with 2
        /// threads taking 3 chunks each. A second thread must save at least 1.5 times that: ops of ≥ 24 µs, which
        /// squeezenet's smallest 1×1 convolutions (≈ 36 G MAC/s) reach at about 0.9 M multiply-accumulates.
        /// </summary>
        internal const long ParallelMacs = 1_000_000;

        /// <summary>Work units a split convolution aims for: divisible by 2 and 3, few enough that each packs its panel rarely.</summary>
        internal const int TargetUnits = 12;

        public override IEnumerable<string> OpTypes => new[] { "octet.QConv" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count < 2 || context.Op.Inputs.Count > 3) throw new EmitException("expected inputs X, W and an optional B");
            var x = context.Input(0);
            var w = context.Input(1);
            var b = context.HasInput(2) ? context.Input(2) : null;
            var y = context.Output(0);
            Int8Code.ExpectEightBit(x, "input X");
            Int8Code.ExpectEightBit(w, "weights W");
            if (x.Shape.Count != 4 || w.Shape.Count != 4)
                throw new EmitException($"input X {Int8Code.Describe(x)} and weights W {Int8Code.Describe(w)} must be rank 4: this kernel is 2-D");
            Int8Code.ExpectLayout(x, "input X", "NHWC");
            Int8Code.ExpectLayout(y, "output Y", "NHWC");
            int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
            int m = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
            // A 1x1 kernel is stored the same way in OIHW (row-major) and OHWI.
            if (!(w.Layout == "OHWI" || (w.Layout == "rowmajor" && kh * kw == 1)))
                throw new EmitException($"weights W '{w.Name}' have layout {w.Layout}; this kernel reads OHWI");
            int group = Int8Code.Int(context, "group", 1);
            if (group < 1 || c % group != 0 || m % group != 0 || cg * group != c)
                throw new EmitException($"group={group} does not fit input channels {c}, output channels {m} and weights {Int8Code.Describe(w)}");
            if (b != null)
            {
                if (b.ElementType != "int32" || b.Shape.Count != 1 || b.Shape[0] != m)
                    throw new EmitException($"bias B '{b.Name}' is {Int8Code.Describe(b)}; expected [{m}] int32");
            }
            var window = Int8Window.Resolve(context, h, wd, new[] { kh, kw }, ceilMode: false);
            Int8Code.ExpectShape(y, "output Y", new[] { n, m, window.Output[0], window.Output[1] });
            Int8Code.Count(x);
            Int8Code.Count(y);
            Int8Code.Count(w);

            int xZeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            var wZeroPoints = Int8Code.ZeroPoints(context, "w_zero_point", w.ElementType, m);
            var requantization = Int8Requantization.Read(context, m, y);
            bool folded = context.Int("bias_folds_x_zero_point", 0) != 0;

            var shape = new ConvShape(n, c, h, wd, m, group, kh, kw, window);
            bool depthwise = cg == 1 && m == c && group == c;
            bool pointwise = kh == 1 && kw == 1 && window.NoPadding;
            if (depthwise ? (long)c * 4 > MaxStackBytes : !pointwise && shape.K > MaxStackBytes)
                throw new EmitException($"a window of {shape.K} values is larger than the {MaxStackBytes}-byte stack buffer this kernel uses");
            bool runtimeFold = !folded && xZeroPoint != 0;
            if (runtimeFold && (long)m * 4 > MaxStackBytes)
                throw new EmitException($"{m} output channels need a larger stack buffer for the bias fold than this kernel uses");

            var gemm = !depthwise && GemmBlocking.For(shape.Group, shape.K, shape.M, w.ElementType) is { } blocking ? blocking : null;
            long macs = (long)n * window.Output[0] * window.Output[1] * m * shape.K;
            // Short kernel rows (few input channels, e.g. MNIST's 1- and 8-channel 5x5 layers) go to the direct kernel,
            // which reads every window in place from a padded copy of the input instead of gathering patch rows for the
            // GEMM; NarrowConvolutionShape.Applies says why each condition is there.
            bool narrow = !depthwise && NarrowConvolutionShape.Applies(group, w.ElementType, wZeroPoints.Any(z => z != 0),
                requantization.IsFixedPoint && requantization.OutputType != "int16", pointwise, c, kw, window.Dilations[1], m,
                NarrowConvolutionShape.BandScratchBytes(c, kh, kw, window.Strides[0], window.Strides[1], window.Dilations[0], window.Output[1], 1));
            bool split = context.CanSplit && macs >= ParallelMacs && (narrow || gemm != null);
            return code =>
            {
                // Depthwise goes to the whole-layer runtime kernel when it applies; it writes nothing when it declines.
                if (depthwise && QDepthwiseConvEmitter.TryWrite(context, code)) return;
                if (split)
                {
                    code.Line(narrow
                        ? $"// {macs} multiply-accumulates: split into units (bands of output rows, each padding its own input rows) that"
                        : $"// {macs} multiply-accumulates: split into units (panels of output channels × blocks of pixels) that");
                    code.Line("// the model's worker team may share; each unit writes its own outputs, so results do not depend on the threads.");
                }
                var bands = narrow ? NarrowBands.For(shape, split) : null;
                bool patchMajor = gemm != null && PatchMajor(context, shape, gemm, pointwise, runtimeFold);
                // Pixel-major units where the activations a layer reads and writes outweigh its weights (see GemmUnits): then
                // keeping each participant's pixels on its own core saves more than each core reading every panel costs.
                long activationBytes = (long)n * h * wd * c + (long)n * window.Output[0] * window.Output[1] * m;
                bool pixelMajor = context.CanPrepare && activationBytes >= (long)m * shape.K;
                var units = split && !narrow
                    ? patchMajor ? GemmUnits.ForPatchMajor(shape.N * shape.OH * shape.OW, gemm!) : GemmUnits.For(shape.N * shape.OH * shape.OW, shape.M, gemm!, pixelMajor)
                    : null;
                int unitCount = bands != null ? bands.Units : units?.Count ?? 0;
                var kernel = new ConvKernel(context, split ? context.SplitIntoUnits(unitCount) : code, x, w, b, y, shape,
                    xZeroPoint, wZeroPoints, requantization, folded, runtimeFold);
                if (depthwise) kernel.WriteDepthwise();
                else if (narrow) kernel.WriteNarrow(bands!, split);
                else if (gemm != null && patchMajor) kernel.WriteGemmPatchMajor(gemm, units);
                else if (gemm != null) kernel.WriteGemm(gemm, pointwise, units);
                else kernel.WriteGeneral(pointwise);
            };
        }

        /// <summary>
        /// How the GEMM form of a convolution is cut to fit stack buffers: weight panels of <see cref="Channels"/> output
        /// channels (packed once per call by <c>Int8Gemm.PackPanel</c>), blocks of <see cref="Rows"/> output pixels.
        /// Null when the kernel does not apply (groups, uint8 weights, or a window too long for the stack).
        /// </summary>
        internal sealed class GemmBlocking
        {
            /// <summary>Budget for the packed weight panel (bytes): half of a 64 KiB L1-sized stack working set.</summary>
            private const int PanelBudget = 32 * 1024;
            /// <summary>Budget for the patch rows and for the int32 results of one block of pixels (bytes each).</summary>
            private const int RowBudget = 32 * 1024;
            /// <summary>Int8Gemm.ChannelBlock and Int8Gemm.RowBlock (the runtime's SIMD block sizes).</summary>
            internal const int ChannelBlock = 16, RowBlock = 6;

            public int Channels, Rows, PaddedDepth;

            public static GemmBlocking? For(int group, int depth, int channels, string weightType)
            {
                if (group != 1 || weightType != "int8") return null;
                int padded = (depth + 3) & ~3;
                if ((long)ChannelBlock * padded > PanelBudget) return null;
                int roundedChannels = (channels + ChannelBlock - 1) / ChannelBlock * ChannelBlock;
                int largest = Math.Min(roundedChannels, PanelBudget / padded / ChannelBlock * ChannelBlock);
                // Equal panels rather than full ones and a small remainder: each panel repeats the patch gathering.
                int panels = (roundedChannels + largest - 1) / largest;
                int panel = (roundedChannels / ChannelBlock + panels - 1) / panels * ChannelBlock;
                int rows = Math.Min(60, Math.Max(RowBlock, Math.Min(RowBudget / padded, RowBudget / 4 / panel) / RowBlock * RowBlock));
                return new GemmBlocking { Channels = panel, Rows = rows, PaddedDepth = padded };
            }
        }

        /// <summary>
        /// Whether a GEMM convolution goes pixel block first, each block's patch rows gathered once and multiplied by every
        /// panel of output channels, instead of panel first (the patch rows gathered again for each panel): when the
        /// window is gathered at all (not a 1×1 read in place), there is more than one panel, and the panels are ready in
        /// the class (packed by the constructor, nothing else computed per panel), so going over them again per block costs
        /// nothing but reading them from cache. Measured on squeezenet1.0's fire9 expand3x3 (64 → 256 channels at 13×13,
        /// 6 panels of 48; min of batches in one process): 159 → 141 µs, the six gatherings alone being ≈ 20 µs.
        /// </summary>
        private static bool PatchMajor(OpEmitContext context, ConvShape shape, GemmBlocking gemm, bool pointwise, bool runtimeFold) =>
            !ReadsRowsInPlace(shape, pointwise) && shape.M > gemm.Channels && context.CanPrepare && !runtimeFold;

        /// <summary>A 1×1 kernel with stride 1 and no padding reads each pixel's channels in place when the rows are long enough for the kernel's groups of four values.</summary>
        private static bool ReadsRowsInPlace(ConvShape s, bool pointwise) =>
            pointwise && s.Window.Strides[0] == 1 && s.Window.Strides[1] == 1 && s.K % 4 == 0;

        /// <summary>
        /// How a GEMM convolution splits into work units (the patch-major order aside, <see cref="ForPatchMajor"/>): panels of
        /// output channels × groups of pixels (pixel blocks spread evenly over the <see cref="Groups"/>). Panel-major by default — unit u is panel u / <see cref="Groups"/> over pixel
        /// group u % <see cref="Groups"/>, so a contiguous range of units reaches each panel once and a participant's share
        /// of the units (WorkerTeam gives each the same contiguous share every time) reads only its panels' weights.
        /// <see cref="PixelMajor"/> — unit u is pixel group u / <see cref="Panels"/>, panel u % <see cref="Panels"/> —
        /// gives each participant a contiguous range of pixels instead, all channels of them: the layers before and after
        /// (depthwise row bands, QAdd value ranges, single-panel convolutions) split by pixels too, so each participant
        /// then reads the activations it wrote itself rather than half of them from the other core's cache.
        /// </summary>
        internal sealed class GemmUnits
        {
            public int Groups, PixelBlocks, Panels, Count;
            public bool PixelMajor;

            /// <summary>
            /// Units of the patch-major order (<see cref="ConvKernel.WriteGemmPatchMajor"/>): unit u is pixel group u, every
            /// panel of output channels over it, so each unit gathers its patch rows once.
            /// </summary>
            public static GemmUnits ForPatchMajor(int pixels, GemmBlocking blocking)
            {
                int rows = blocking.Rows;
                int pixelBlocks = (pixels + rows - 1) / rows;
                // Few blocks (squeezenet's 13×13 layers: 169 pixels, 4 or 5 blocks of 54–60) would share out unevenly over 2
                // or 3 threads: then smaller blocks, 6 of them (whole 6-row tiles, at least two), so that each thread gets
                // the same number.
                if (pixelBlocks < 6 && pixels >= 6 * 2 * GemmBlocking.RowBlock)
                {
                    rows = (pixels + 6 * GemmBlocking.RowBlock - 1) / (6 * GemmBlocking.RowBlock) * GemmBlocking.RowBlock;
                    pixelBlocks = (pixels + rows - 1) / rows;
                }
                int groups = Math.Max(1, Math.Min(pixelBlocks, TargetUnits));
                return new GemmUnits { Groups = groups, PixelBlocks = pixelBlocks, Count = groups, Rows = rows };
            }

            /// <summary>Pixels per block in the patch-major order (at most the blocking's).</summary>
            public int Rows;

            public static GemmUnits For(int pixels, int channels, GemmBlocking blocking, bool pixelMajor = false)
            {
                int panels = (channels + blocking.Channels - 1) / blocking.Channels;
                int pixelBlocks = (pixels + blocking.Rows - 1) / blocking.Rows;
                int groups = Math.Max(1, Math.Min(pixelBlocks, (TargetUnits + panels - 1) / panels));
                return new GemmUnits { Groups = groups, PixelBlocks = pixelBlocks, Panels = panels, Count = panels * groups, PixelMajor = pixelMajor && panels > 1 && groups > 1 };
            }
        }

        /// <summary>
        /// How the narrow kernel goes over the output rows (counted across images): in bands of at most <see cref="BandRows"/>
        /// rows, each padded into a stack scratch of <see cref="ScratchBytes"/> just before its windows are read; when the
        /// layer is split, <see cref="Units"/> work units, unit u taking rows [u · Rows / Units, (u + 1) · Rows / Units).
        /// </summary>
        private sealed class NarrowBands
        {
            public int Rows, BandRows, Units;
            public long ScratchBytes;

            public static NarrowBands For(ConvShape s, bool split)
            {
                var wd = s.Window;
                int rows = s.N * s.OH;
                long Scratch(int r) => NarrowConvolutionShape.BandScratchBytes(s.C, s.KH, s.KW, wd.Strides[0], wd.Strides[1], wd.Dilations[0], s.OW, r);
                // The tallest band within the budget (at least one row, which Applies keeps within the stack budget).
                int band = 1;
                while (band < s.OH && Scratch(band + 1) <= NarrowConvolutionShape.BandBudget) band++;
                int units = split ? Math.Min(rows, TargetUnits) : 1;
                band = Math.Min(band, (rows + units - 1) / units);
                return new NarrowBands { Rows = rows, BandRows = band, Units = units, ScratchBytes = Scratch(band) };
            }
        }

        private sealed class ConvShape
        {
            public ConvShape(int n, int c, int h, int w, int m, int group, int kh, int kw, Int8Window window)
            {
                N = n; C = c; H = h; W = w; M = m; Group = group; KH = kh; KW = kw; Window = window;
            }

            public int N, C, H, W, M, Group, KH, KW;
            public Int8Window Window;
            public int Cg => C / Group;
            public int Mg => M / Group;
            public int OH => Window.Output[0];
            public int OW => Window.Output[1];
            /// <summary>Values per weight row (one output channel): kh · kw · C/group.</summary>
            public int K => KH * KW * Cg;
        }

        private sealed class ConvKernel
        {
            private readonly OpEmitContext _context;
            private readonly CodeWriter _code;
            private readonly PlanTensor _x, _w, _y;
            private readonly PlanTensor? _b;
            private readonly ConvShape _s;
            private readonly int _xZeroPoint;
            private readonly int[] _wZeroPoints;
            private readonly Int8Requantization _requantization;
            private readonly bool _folded, _runtimeFold;

            public ConvKernel(OpEmitContext context, CodeWriter code, PlanTensor x, PlanTensor w, PlanTensor? b, PlanTensor y,
                ConvShape shape, int xZeroPoint, int[] wZeroPoints, Int8Requantization requantization, bool folded, bool runtimeFold)
            {
                _context = context; _code = code; _x = x; _w = w; _b = b; _y = y; _s = shape;
                _xZeroPoint = xZeroPoint; _wZeroPoints = wZeroPoints; _requantization = requantization;
                _folded = folded; _runtimeFold = runtimeFold;
            }

            private string XType => OpEmitContext.ClrType(_x.ElementType);
            private bool HasWeightZeroPoints => _wZeroPoints.Any(z => z != 0);
            private bool PerChannelWeightZeroPoints => _wZeroPoints.Distinct().Count() > 1;

            /// <summary>w_zero_point of channel <paramref name="channel"/> as an expression.</summary>
            private string WeightZeroPoint(string channel) => PerChannelWeightZeroPoints ? $"weightZeroPoints[{channel}]" : Int8Code.Int(_wZeroPoints[0]);

            private string Bias(string channel) => _runtimeFold ? $"foldedBias[{channel}]" : _b != null ? $"bias[{channel}]" : "0";

            private void WriteHeader(string strategy)
            {
                var s = _s;
                _code.Line($"// QConv: X {Int8Code.Describe(_x)} (x_zero_point {_xZeroPoint}) * W {Int8Code.Describe(_w)} " +
                           $"(w_zero_point {(PerChannelWeightZeroPoints ? "per channel" : Int8Code.Int(_wZeroPoints[0]))})" +
                           (_b != null ? $" + B [{s.M}]" : "") + $" -> Y {Int8Code.Describe(_y)}");
                _code.Line($"// {s.Window.Describe()}, group {s.Group}; {_requantization.Describe()}.");
                _code.Line($"// {strategy}");
                _code.Line("// acc = B' + Σ x̂·w − w_zp·Σ x̂ over every tap, x̂ = x_zero_point in the padding: the reference's");
                _code.Line("// B + Σ (x − x_zp)(w − w_zp) with the x_zp term folded into B' = B − x_zp·Σ(w − w_zp).");
                _code.Line($"var x = {_context.Span(_x)};");
                _code.Line($"var w = {_context.Span(_w)};");
                if (_b != null) _code.Line($"var bias = {_context.Span(_b)};");
                _code.Line($"var y = {_context.Span(_y)};");
                _requantization.DeclareConstants(_code);
                if (PerChannelWeightZeroPoints) Int8Code.ConstantArray(_code, "int", "weightZeroPoints", _wZeroPoints);
                if (_runtimeFold)
                {
                    _code.Line("// The plan's bias does not fold x_zero_point in: fold it here, B' = B − x_zp·Σ(w − w_zp).");
                    _code.Line($"{Int8Code.Span}<int> foldedBias = stackalloc int[{s.M}];");
                    _code.Open($"for (int m = 0; m < {s.M}; m++)");
                    string weightSum = $"{Int8Code.Runtime}Int8Dot.Sum(w.Slice(m * {s.K}, {s.K}))" +
                                       (HasWeightZeroPoints ? $" - {s.K} * {WeightZeroPoint("m")}" : "");
                    _code.Line($"foldedBias[m] = {Int8Code.MinusProduct(_b != null ? "bias[m]" : null, _xZeroPoint, weightSum)};");
                    _code.Close();
                }
                else if (_folded && _b != null)
                    _code.Line("// The plan's bias B already folds x_zero_point in (bias_folds_x_zero_point = 1): it is B'.");
            }

            /// <summary>Output loops over (n, oh, ow); the body sees `pixel` = (n·OH + oh)·OW + ow.</summary>
            private void OpenPixelLoops()
            {
                _code.Open($"for (int n = 0; n < {_s.N}; n++)");
                _code.Open($"for (int oh = 0; oh < {_s.OH}; oh++)");
                _code.Open($"for (int ow = 0; ow < {_s.OW}; ow++)");
                _code.Line($"int pixel = (n * {_s.OH} + oh) * {_s.OW} + ow;");
            }

            private void ClosePixelLoops()
            {
                _code.Close();
                _code.Close();
                _code.Close();
            }

            private string InputRow(string ih) => $"(n * {_s.H} + {ih}) * {_s.W}";
            private string Ih(string kh) => Affine("oh", _s.Window.Strides[0], -_s.Window.PadBegin[0], kh, _s.Window.Dilations[0]);
            private string Iw(string kw) => Affine("ow", _s.Window.Strides[1], -_s.Window.PadBegin[1], kw, _s.Window.Dilations[1]);

            /// <summary>"o * stride + k * dilation − pad", leaving out unit factors and zero terms.</summary>
            private static string Affine(string o, int stride, int offset, string? k, int dilation)
            {
                string text = stride == 1 ? o : $"{o} * {stride}";
                if (k != null) text += dilation == 1 ? $" + {k}" : $" + {k} * {dilation}";
                if (offset != 0) text += offset > 0 ? $" + {offset}" : $" - {-offset}";
                return text;
            }

            public void WriteGeneral(bool pointwise)
            {
                var s = _s;
                bool grouped = s.Group > 1;
                string groupOffset = grouped ? $" + g * {s.Cg}" : "";
                _code.Open("unchecked");
                WriteHeader(pointwise
                    ? "1x1 kernel without padding: each output pixel's input channels are one contiguous row, dotted with each weight row."
                    : "Per output pixel (and group) the window's taps are gathered into one row ordered [kh][kw][c] like a weight row, then dotted with each weight row.");
                if (!pointwise)
                {
                    _code.Line("// Int8Dot is a SIMD dot product over the whole window, so the taps are copied once per pixel and reused by every output channel.");
                    _code.Line($"{Int8Code.Span}<{XType}> patch = stackalloc {XType}[{s.K}];");
                }
                OpenPixelLoops();
                if (grouped) _code.Open($"for (int g = 0; g < {s.Group}; g++)");
                if (pointwise)
                {
                    string ih = Affine("oh", s.Window.Strides[0], 0, null, 1), iw = Affine("ow", s.Window.Strides[1], 0, null, 1);
                    _code.Line($"var patch = x.Slice(({InputRow(ih)} + {iw}) * {s.C}{groupOffset}, {s.Cg});");
                }
                else
                {
                    _code.Open($"for (int kh = 0; kh < {s.KH}; kh++)");
                    _code.Line($"int ih = {Ih("kh")};");
                    _code.Open($"for (int kw = 0; kw < {s.KW}; kw++)");
                    _code.Line($"int iw = {Iw("kw")};");
                    _code.Line($"var taps = patch.Slice((kh * {s.KW} + kw) * {s.Cg}, {s.Cg});");
                    _code.Line($"if ((uint)ih < {s.H}u && (uint)iw < {s.W}u) x.Slice(({InputRow("ih")} + iw) * {s.C}{groupOffset}, {s.Cg}).CopyTo(taps);");
                    _code.Line($"else taps.Fill(({XType}){_xZeroPoint});");
                    _code.Close();
                    _code.Close();
                }
                if (HasWeightZeroPoints) _code.Line($"int patchSum = {Int8Code.Runtime}Int8Dot.Sum(patch);");
                _code.Open(grouped ? $"for (int m = g * {s.Mg}; m < (g + 1) * {s.Mg}; m++)" : $"for (int m = 0; m < {s.M}; m++)");
                string acc = $"{Bias("m")} + {Int8Code.Runtime}Int8Dot.Dot(patch, w.Slice(m * {s.K}, {s.K}))";
                if (HasWeightZeroPoints) acc += $" - {WeightZeroPoint("m")} * patchSum";
                _code.Line($"int acc = {acc};");
                _code.Line($"y[pixel * {s.M} + m] = {_requantization.Expression("acc", "m")};");
                _code.Close();
                if (grouped) _code.Close();
                ClosePixelLoops();
                _code.Close();
            }

            /// <summary>
            /// Convolution as a matrix product (group 1, int8 weights): output pixels are rows, each the window's taps in
            /// [kh][kw][c] order (the OHWI weight row order), multiplied with panels of weight rows by <c>Int8Gemm</c>.
            /// </summary>
            /// <summary>Bytes of activation rows one call of the fused kernel reads, for 1×1 convolutions that read them in place.</summary>
            private const int DirectCallBytes = 16 * 1024;

            public void WriteGemm(GemmBlocking blocking, bool pointwise, GemmUnits? units)
            {
                var s = _s;
                int pixels = s.N * s.OH * s.OW;
                bool direct = ReadsRowsInPlace(s, pointwise);
                int np = blocking.Channels, rows = blocking.Rows, kp = blocking.PaddedDepth;
                bool fused = !HasWeightZeroPoints && _requantization.FusesIntoGemm;
                // Pixels per call: blocks of `rows` (the scratch's size) — or, when the rows are read in place and requantized
                // in registers, as many as keep the rows of one call in about 16 KiB (L1), since each call rebuilds every
                // channel block's constants: at depth 16 that was a fifth of the time with 60 pixels per call.
                int step = direct && fused ? Math.Max(rows, DirectCallBytes / kp / rows * rows) : rows;
                _code.Open("unchecked");
                WriteHeader($"Matrix product: each output pixel's window is one row of {s.K} taps ordered [kh][kw][c] like an OHWI weight row; " +
                            $"weights are packed {np} channels at a time for Int8Gemm (exact int8 dot products on AVX-VNNI), pixels go {step} at a time.");
                string tx = XType;
                var panels = DeclareGemmBuffers(np, rows, kp, fused, gathered: !direct);
                string channelCount = s.M % np == 0 ? $"const int channels = {np};" : $"int channels = global::System.Math.Min({np}, {s.M} - m0);";
                if (units == null)
                {
                    _code.Open($"for (int m0 = 0; m0 < {s.M}; m0 += {np})");
                    _code.Line(channelCount);
                    panels.Select();
                    _code.Open($"for (int p0 = 0; p0 < {pixels}; p0 += {step})");
                }
                else if (units.Groups == 1)
                {
                    _code.Line("// One unit per panel of output channels, over every pixel.");
                    _code.Open("for (int unit = first; unit < end; unit++)");
                    _code.Line($"int m0 = unit * {np};");
                    _code.Line(channelCount);
                    panels.Select();
                    _code.Open($"for (int p0 = 0; p0 < {pixels}; p0 += {step})");
                }
                else
                {
                    int g = units.Groups, blocks = units.PixelBlocks;
                    if (units.PixelMajor)
                        _code.Line($"// Unit u: pixel group u / {units.Panels} ({blocks} blocks of {rows} pixels in {g} groups) through panel u % {units.Panels} " +
                                   "of output channels, so that a range of units is a range of pixels, all their channels.");
                    else
                        _code.Line($"// Unit u: panel u / {g} of output channels over pixel group u % {g} ({blocks} blocks of {rows} pixels in {g} groups).");
                    panels.DeclareSharing();
                    _code.Open("for (int unit = first; unit < end; unit++)");
                    _code.Line(units.PixelMajor
                        ? $"int m0 = unit % {units.Panels} * {np}, group = unit / {units.Panels};"
                        : $"int m0 = unit / {g} * {np}, group = unit % {g};");
                    _code.Line(channelCount);
                    panels.SelectShared();
                    _code.Line($"int pixelEnd = global::System.Math.Min((group + 1) * {blocks} / {g} * {rows}, {pixels});");
                    _code.Open($"for (int p0 = group * {blocks} / {g} * {rows}; p0 < pixelEnd; p0 += {step})");
                }
                _code.Line(step == rows || units == null || units.Groups == 1
                    ? $"int count = global::System.Math.Min({step}, {pixels} - p0);"
                    : $"int count = global::System.Math.Min({step}, pixelEnd - p0);");
                string rowsSpan, rowStride;
                if (direct)
                {
                    rowsSpan = $"x.Slice(p0 * {s.C}, count * {s.C})";
                    rowStride = Int8Code.Int(s.C);
                }
                else
                {
                    _code.Line($"{Int8Code.Runtime}PatchRows.Gather(x, window, ({tx}){_xZeroPoint}, p0, count, patches, {kp});");
                    rowsSpan = "patches";
                    rowStride = Int8Code.Int(kp);
                }
                WriteBlockProduct(rowsSpan, rowStride, direct, np, kp, fused);
                _code.Close();
                _code.Close();
                _code.Close();
            }

            /// <summary>
            /// The GEMM forms' declarations: the requantization constants, the weight panels, the int32 products' scratch
            /// and, when the windows are <paramref name="gathered"/>, the patch rows and the window geometry.
            /// </summary>
            private GemmPanels DeclareGemmBuffers(int np, int rows, int kp, bool fused, bool gathered)
            {
                var s = _s;
                string tx = XType;
                if (!HasWeightZeroPoints) _requantization.DeclareRowConstants(_code);
                var panels = GemmPanels.Declare(_context, _code, s.M, s.K, np, kp, _x.ElementType == "int8", _context.Span(_w));
                _code.Line(fused
                    ? $"// Int8Gemm requantizes in registers; the int32 products go through this scratch only on CPUs without its fused form."
                    : $"// The int32 products of a block of pixels, requantized a block at a time.");
                _code.Line($"{Int8Code.Span}<int> products = stackalloc int[{rows * np}];");
                if (!gathered) return panels;
                _code.Line($"// Patch rows are {kp} long (a multiple of 4); the {kp - s.K} values past the window stay 0 and meet zero weights.");
                _code.Line($"{Int8Code.Span}<{tx}> patches = stackalloc {tx}[{rows * kp}];");
                _code.Line("patches.Clear();");
                var wd = s.Window;
                _code.Line("// The window geometry for PatchRows, which gathers each pixel's taps in [kh][kw][c] order, x_zero_point in the padding.");
                _code.Line($"var window = new {Int8Code.Runtime}PatchWindow({s.H}, {s.W}, {s.C}, {s.KH}, {s.KW}, {wd.Strides[0]}, {wd.Strides[1]}, " +
                           $"{wd.PadBegin[0]}, {wd.PadBegin[1]}, {wd.Dilations[0]}, {wd.Dilations[1]}, {s.OH}, {s.OW});");
                return panels;
            }

            /// <summary>
            /// The product of one block of <c>count</c> rows (<paramref name="rowsSpan"/>) with the panel at <c>m0</c>
            /// (<c>channels</c> output channels), requantized into <c>y</c>: fused in registers, or through <c>products</c>.
            /// </summary>
            private void WriteBlockProduct(string rowsSpan, string rowStride, bool direct, int np, int kp, bool fused)
            {
                var s = _s;
                string? biasSpan = _runtimeFold ? "foldedBias" : _b != null ? "bias" : null;
                string gemm = $"{rowsSpan}, count, {rowStride}, {s.K}, panel, channels";
                string output = $"y.Slice(p0 * {s.M} + m0)";
                if (fused)
                    _code.Line(_requantization.FusedGemmCall(gemm, biasSpan, "m0", "channels", output, Int8Code.Int(s.M), "products"));
                else if (HasWeightZeroPoints)
                {
                    // A weight zero point adds a per-pixel term: requantize element by element.
                    _code.Line($"{Int8Code.Runtime}Int8Gemm.Multiply({gemm}, products, {np});");
                    _code.Open("for (int i = 0; i < count; i++)");
                    _code.Line($"int patchSum = {Int8Code.Runtime}Int8Dot.Sum({(direct ? $"x.Slice((p0 + i) * {s.C}, {s.C})" : $"patches.Slice(i * {kp}, {s.K})")});");
                    _code.Line($"var row = products.Slice(i * {np}, channels);");
                    _code.Line($"var output = y.Slice((p0 + i) * {s.M} + m0, channels);");
                    _code.Open("for (int j = 0; j < channels; j++)");
                    _code.Line("int m = m0 + j;");
                    _code.Line($"output[j] = {_requantization.Expression($"{Bias("m")} + row[j] - {WeightZeroPoint("m")} * patchSum", "m")};");
                    _code.Close();
                    _code.Close();
                }
                else
                {
                    _code.Line($"{Int8Code.Runtime}Int8Gemm.Multiply({gemm}, products, {np});");
                    _code.Line(_requantization.BlockCall("products", Int8Code.Int(np), biasSpan, "m0", "channels", output, Int8Code.Int(s.M), "count"));
                }
            }

            /// <summary>
            /// The GEMM form going pixel block first (see <see cref="PatchMajor"/>): each block of output pixels has its patch
            /// rows gathered once, then every panel of output channels (packed by the constructor) multiplies them. Split, unit
            /// u is a contiguous group of pixel blocks with all its channels.
            /// </summary>
            public void WriteGemmPatchMajor(GemmBlocking blocking, GemmUnits? units)
            {
                var s = _s;
                int pixels = s.N * s.OH * s.OW;
                int np = blocking.Channels, rows = blocking.Rows, kp = blocking.PaddedDepth;
                bool fused = !HasWeightZeroPoints && _requantization.FusesIntoGemm;
                _code.Open("unchecked");
                WriteHeader($"Matrix product: each output pixel's window is one row of {s.K} taps ordered [kh][kw][c] like an OHWI weight row; " +
                            $"pixels go {rows} at a time, their rows gathered once and multiplied by every panel of {np} channels " +
                            "(weights packed for Int8Gemm, exact int8 dot products on AVX-VNNI).");
                string tx = XType;
                var panels = DeclareGemmBuffers(np, rows, kp, fused, gathered: true);
                if (units == null)
                {
                    _code.Open($"for (int p0 = 0; p0 < {pixels}; p0 += {rows})");
                    _code.Line($"int count = global::System.Math.Min({rows}, {pixels} - p0);");
                }
                else
                {
                    int g = units.Groups, blocks = units.PixelBlocks;
                    rows = units.Rows;
                    _code.Line($"// Unit u: pixel group u ({blocks} blocks of {rows} pixels in {g} groups), every output channel.");
                    _code.Open("for (int unit = first; unit < end; unit++)");
                    _code.Line($"int pixelEnd = global::System.Math.Min((unit + 1) * {blocks} / {g} * {rows}, {pixels});");
                    _code.Open($"for (int p0 = unit * {blocks} / {g} * {rows}; p0 < pixelEnd; p0 += {rows})");
                    _code.Line("int count = global::System.Math.Min(" + rows + ", pixelEnd - p0);");
                }
                _code.Line($"{Int8Code.Runtime}PatchRows.Gather(x, window, ({tx}){_xZeroPoint}, p0, count, patches, {kp});");
                _code.Open($"for (int m0 = 0; m0 < {s.M}; m0 += {np})");
                _code.Line(s.M % np == 0 ? $"const int channels = {np};" : $"int channels = global::System.Math.Min({np}, {s.M} - m0);");
                panels.Select();
                WriteBlockProduct("patches", Int8Code.Int(kp), direct: false, np, kp, fused);
                _code.Close();
                _code.Close();
                if (units != null) _code.Close();
                _code.Close();
            }

            /// <summary>
            /// The direct narrow-window kernel (<c>NarrowConvolution</c>, see <see cref="NarrowConvolutionShape.Applies"/>): the
            /// input copied once into a padded image (x_zero_point in the border), each window's kernel rows read in place.
            /// </summary>
            public void WriteNarrow(NarrowBands bands, bool split)
            {
                var s = _s;
                var wd = s.Window;
                bool signed = _x.ElementType == "int8";
                int rowBytes = s.KW * s.C;
                long scratch = bands.ScratchBytes;
                _code.Open("unchecked");
                WriteHeader($"Direct convolution: in NHWC a kernel row of every window is {rowBytes} contiguous bytes (KW·C), so NarrowConvolution " +
                            "reads the windows in place from a padded copy of the input, four taps per vpdpbusd, instead of gathering patch rows for a GEMM.");
                _requantization.DeclareRowConstants(_code);
                string geometry = $"new {Int8Code.Runtime}PatchWindow({s.H}, {s.W}, {s.C}, {s.KH}, {s.KW}, {wd.Strides[0]}, {wd.Strides[1]}, " +
                                  $"{wd.PadBegin[0]}, {wd.PadBegin[1]}, {wd.Dilations[0]}, {wd.Dilations[1]}, {s.OH}, {s.OW})";
                _code.Line("// The window geometry (the same record PatchRows takes).");
                _code.Line($"var window = {geometry};");
                if (_context.CanPrepare)
                {
                    string field = _context.Prepare("byte[]", "NarrowWeights",
                        $"{Int8Code.Runtime}NarrowConvolution.PackWeights({_context.Span(_w)}, {s.M}, {geometry}, {(signed ? "true" : "false")})");
                    _code.Line($"// Weights in the kernel's [block of 8 channels][kh][4-tap group] order with per-channel corrections, packed once by the constructor.");
                    _code.Line($"{Int8Code.ReadOnlySpan}<byte> packed = {field};");
                }
                else
                {
                    _code.Line($"// Weights in the kernel's [block of 8 channels][kh][4-tap group] order with per-channel corrections.");
                    _code.Line($"{Int8Code.Span}<byte> packed = stackalloc byte[{NarrowConvolutionShape.PackedBytes(s.M, s.C, s.KH, s.KW)}];");
                    _code.Line($"{Int8Code.Runtime}NarrowConvolution.PackWeights(w, {s.M}, window, {(signed ? "true" : "false")}, packed);");
                }
                _code.Line($"// Padded input rows for bands of up to {bands.BandRows} output rows ({scratch} bytes), written by the kernel just before it reads them.");
                _code.Line($"{Int8Code.Span}<byte> scratch = stackalloc byte[{scratch}];");
                string rows;
                if (split)
                {
                    _code.Line($"// Unit u: output rows [u·{bands.Rows}/{bands.Units}, (u + 1)·{bands.Rows}/{bands.Units}) of the {bands.Rows} (counted across images).");
                    _code.Line($"int firstRow = first * {bands.Rows} / {bands.Units}, endRow = end * {bands.Rows} / {bands.Units};");
                    rows = "firstRow, endRow - firstRow";
                }
                else rows = $"0, {bands.Rows}";
                string bias = _runtimeFold ? "foldedBias" : _b != null ? "bias" : "default";
                _code.Line($"{Int8Code.Runtime}NarrowConvolution.Run(x, window, ({XType}){_xZeroPoint}, packed, {s.M}, {bias}, multipliers, shifts, " +
                           $"{_requantization.ZeroPoint}, {_requantization.ClampMin}, {_requantization.ClampMax}, y, scratch, {rows});");
                _code.Close();
            }

            /// <summary>DepthwiseConv.PackedLength: int16 weights for the taps rounded up to pairs, all channels.</summary>
            private long PackedDepthwiseWeights => ((long)_s.KH * _s.KW + 1) / 2 * 2 * _s.C;

            /// <summary>Bytes of stack the vectorized depthwise kernel takes: packed int16 weights, int32 accumulators, tap offsets.</summary>
            private long DepthwiseStackBytes => PackedDepthwiseWeights * 2 + (long)_s.C * 4 + (long)_s.KH * _s.KW * 4;

            public void WriteDepthwise()
            {
                if (DepthwiseStackBytes <= MaxStackBytes) WriteDepthwiseVectorized();
                else WriteDepthwiseScalar();
            }

            /// <summary>
            /// Depthwise through <c>DepthwiseConv</c>: the weights re-laid once per call as int16 [tap pair][channel][2] with
            /// w_zp subtracted, then per pixel one call accumulating every tap over all channels in SIMD registers, and
            /// the row requantized at once. The same wrapping int32 sums as <see cref="WriteDepthwiseScalar"/>.
            /// </summary>
            private void WriteDepthwiseVectorized()
            {
                var s = _s;
                int taps = s.KH * s.KW;
                _code.Open("unchecked");
                WriteHeader("Depthwise: every channel has its own window, so all channels of a pixel are accumulated side by side, " +
                            "in SIMD registers by DepthwiseConv; a padded tap reads x_zero_point in every channel (B' expects it).");
                _requantization.DeclareRowConstants(_code);
                if (!PerChannelWeightZeroPoints) _code.Line($"{Int8Code.ReadOnlySpan}<int> weightZeroPoints = [{Int8Code.Int(_wZeroPoints[0])}];");
                _code.Line("// Weights as [tap pair][channel][2]: each tap's channels contiguous like an NHWC input pixel, two taps per multiply-add.");
                _code.Line($"{Int8Code.Span}<short> packedWeights = stackalloc short[{PackedDepthwiseWeights}];");
                _code.Line($"{Int8Code.Runtime}DepthwiseConv.PackWeights(w, {s.C}, {taps}, weightZeroPoints, packedWeights);");
                _code.Line($"{Int8Code.Span}<int> acc = stackalloc int[{s.C}];");
                _code.Line("// Where each tap's input pixel starts in x, or -1 in the padding.");
                _code.Line($"{Int8Code.Span}<int> tapOffsets = stackalloc int[{taps}];");
                OpenPixelLoops();
                if (_runtimeFold) _code.Line("foldedBias.CopyTo(acc);");
                else if (_b != null) _code.Line("bias.CopyTo(acc);");
                else _code.Line("acc.Clear();");
                _code.Open($"for (int kh = 0; kh < {s.KH}; kh++)");
                _code.Line($"int ih = {Ih("kh")};");
                _code.Open($"for (int kw = 0; kw < {s.KW}; kw++)");
                _code.Line($"int iw = {Iw("kw")};");
                _code.Line($"tapOffsets[kh * {s.KW} + kw] = (uint)ih < {s.H}u && (uint)iw < {s.W}u ? ({InputRow("ih")} + iw) * {s.C} : -1;");
                _code.Close();
                _code.Close();
                _code.Line($"{Int8Code.Runtime}DepthwiseConv.Accumulate(x, tapOffsets, {Int8Code.Int(_xZeroPoint)}, packedWeights, acc);");
                _code.Line(_requantization.RowCall("acc", null, "0", Int8Code.Int(s.C), $"y.Slice(pixel * {s.C}, {s.C})"));
                ClosePixelLoops();
                _code.Close();
            }

            /// <summary>Depthwise one channel at a time (windows too large for the vectorized kernel's stack buffers).</summary>
            private void WriteDepthwiseScalar()
            {
                var s = _s;
                int taps = s.KH * s.KW;
                _code.Open("unchecked");
                WriteHeader("Depthwise: every channel has its own window, so all channels of a pixel are accumulated side by side.");
                _code.Line($"{Int8Code.Span}<int> acc = stackalloc int[{s.C}];");
                OpenPixelLoops();
                if (_runtimeFold) _code.Line("foldedBias.CopyTo(acc);");
                else if (_b != null) _code.Line("bias.CopyTo(acc);");
                else _code.Line("acc.Clear();");
                string weight = HasWeightZeroPoints ? $"(w[c * {taps} + tap] - {WeightZeroPoint("c")})" : $"w[c * {taps} + tap]";
                _code.Open($"for (int kh = 0; kh < {s.KH}; kh++)");
                _code.Line($"int ih = {Ih("kh")};");
                _code.Open($"for (int kw = 0; kw < {s.KW}; kw++)");
                _code.Line($"int iw = {Iw("kw")};");
                _code.Line($"int tap = kh * {s.KW} + kw;");
                _code.Open($"if ((uint)ih < {s.H}u && (uint)iw < {s.W}u)");
                _code.Line($"var input = x.Slice(({InputRow("ih")} + iw) * {s.C}, {s.C});");
                _code.Line($"for (int c = 0; c < {s.C}; c++) acc[c] += input[c] * {weight};");
                _code.Close();
                if (_xZeroPoint != 0)
                {
                    _code.Line("// A padded tap holds x_zero_point (B' expects it).");
                    _code.Line($"else for (int c = 0; c < {s.C}; c++) acc[c] += {_xZeroPoint} * {weight};");
                }
                _code.Close();
                _code.Close();
                _code.Line($"for (int c = 0; c < {s.C}; c++) y[pixel * {s.C} + c] = {_requantization.Expression("acc[c]", "c")};");
                ClosePixelLoops();
                _code.Close();
            }
        }
    }
}
