using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 2-D convolution straight from an NHWC input (no im2col copy), for layers with few input channels (the
/// first layer of an image model: 1 or 3 channels), where gathering im2col rows of 5–27 floats costs more than the
/// multiply-adds, and for wide layers. Output pixels are computed up to six at a time: for every kernel tap and input
/// channel, one broadcast input value per pixel times up to four vectors of the filters' weights for that tap
/// (packed [tap·channel][output channel] per block of four vectors, once per call or once by <see cref="Pack"/>),
/// accumulated with fused multiply-adds. Tiles run along a row where the kernel window lies inside the input along W,
/// and down a column (over consecutive output rows whose window lies inside along H) for the columns whose window is
/// clipped by the left or right padding; a pixel runs alone only where its window is clipped both ways.
/// </summary>
/// <remarks>
/// <see cref="NhwcScalar"/> is the specification: each output starts at its bias (or 0), adds the products of the taps
/// inside the input in (kh, kw, c) order with one fused multiply-add each (padding taps are skipped: they would add
/// 0·w, which changes no finite sum), then is clamped as in <see cref="FloatPanelGemm"/>. Every SIMD path does the
/// same operations in the same order per output lane, so it gives the same bits. Against the reference executor the
/// order differs, hence the tolerance stated on <see cref="FloatDot"/>.
/// </remarks>
public static partial class FloatDirectConv
{
    /// <summary>
    /// Largest weight panel (output channels rounded up to 16 × kh·kw·C floats) this kernel takes: 4 MB, a bound on
    /// what a call without <see cref="Pack"/> repacks into the calling thread's <see cref="FloatScratch"/>. Whether the
    /// direct kernel is faster than im2col for a layer is the code generator's choice, not this bound.
    /// </summary>
    public const int MaxPanelFloats = 1 << 20;

    /// <summary>Whether <see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/> takes a layer with this many output channels and this filter size.</summary>
    public static bool Supports(int outputChannels, int filterLength) =>
        outputChannels >= 1 && filterLength >= 1 && (long)RoundUp(outputChannels, 16) * filterLength <= MaxPanelFloats;

    /// <summary>
    /// y[n, oh, ow, j] = clamp(bias[j] + Σ x[n, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, c] · w[j, kh, kw, c]) over the
    /// taps inside the input; w is OHWI, x and y NHWC. Pass an empty bias for 0 and ±∞ for no clamp. The filters are
    /// repacked at every call; constant filters can be packed once by <see cref="Pack"/>.
    /// </summary>
    [SkipLocalsInit]
    public static void Nhwc(ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, ReadOnlySpan<float> w, int outputChannels,
                            int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                            ReadOnlySpan<float> bias, float low, float high, Span<float> y, int outH, int outW) =>
        NhwcWithWidth(ChosenWidth(outputChannels), x, batch, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW,
                      dilationH, dilationW, padTop, padLeft, bias, low, high, y, outH, outW);

    /// <summary>
    /// <see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/>
    /// with the filters packed once by <see cref="Pack"/>: the same tiles in the same order, so the same bits.
    /// </summary>
    [SkipLocalsInit]
    public static void Nhwc(ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, PackedWeights w,
                            int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                            ReadOnlySpan<float> bias, float low, float high, Span<float> y, int outH, int outW)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (w.Channels != channels)
            throw new ArgumentException($"FloatDirectConv: the packed filters take {w.Channels} input channels, the input has {channels}", nameof(w));
        int m = w.OutputChannels, kernelH = w.KernelH, kernelW = w.KernelW;
        Check(x, batch, inH, inW, channels, w.Panels, m, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, y, outH, outW);
        RunPacked(w.Bits, x, inH, inW, channels, w.Panels, m, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
    }

    /// <summary><see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/> on a chosen path (512, 256, 128: that vector width; 0: the specification), for tests.</summary>
    [SkipLocalsInit]
    internal static void NhwcWithWidth(int bits, ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, ReadOnlySpan<float> w, int outputChannels,
                                       int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                       ReadOnlySpan<float> bias, float low, float high, Span<float> y, int outH, int outW)
    {
        Check(x, batch, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, y, outH, outW);
        if (bits == 0)
        {
            NhwcScalarUnchecked(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
            return;
        }
        int count = bits / 32, filter = kernelH * kernelW * channels;
        Span<float> panels = FloatScratch.Get(PanelFloats(outputChannels, filter, count));
        PackPanels(w, outputChannels, filter, count, panels);
        RunPacked(bits, x, inH, inW, channels, panels, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
    }

    /// <summary>The kernel on packed panels (or, for 0 bits, the specification on the OHWI filters).</summary>
    private static void RunPacked(int bits, ReadOnlySpan<float> x, int inH, int inW, int channels, ReadOnlySpan<float> panels, int m,
                                  int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                  ReadOnlySpan<float> bias, float low, float high, Span<float> y, int batch, int outH, int outW)
    {
        switch (bits)
        {
            case 512: Run<FloatPanelGemm.V512, Vector512<float>>(x, inH, inW, channels, panels, m, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
            case 256: Run<FloatPanelGemm.V256, Vector256<float>>(x, inH, inW, channels, panels, m, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
            case 128: Run<FloatPanelGemm.V128, Vector128<float>>(x, inH, inW, channels, panels, m, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
            default: NhwcScalarUnchecked(x, inH, inW, channels, panels, m, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
        }
    }

    /// <summary>The specification of <see cref="Nhwc(ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, int, int, int, int, int, int, int, int, ReadOnlySpan{float}, float, float, Span{float}, int, int)"/>.</summary>
    public static void NhwcScalar(ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, ReadOnlySpan<float> w, int outputChannels,
                                  int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                  ReadOnlySpan<float> bias, float low, float high, Span<float> y, int outH, int outW)
    {
        Check(x, batch, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, y, outH, outW);
        NhwcScalarUnchecked(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
    }

    private static void NhwcScalarUnchecked(ReadOnlySpan<float> x, int inH, int inW, int channels, ReadOnlySpan<float> w, int m,
                                            int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                            ReadOnlySpan<float> bias, float low, float high, Span<float> y, int batch, int outH, int outW)
    {
        int filter = kernelH * kernelW * channels;
        for (int n = 0; n < batch; n++)
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        for (int j = 0; j < m; j++)
        {
            float sum = bias.IsEmpty ? 0f : bias[j];
            for (int kh = 0; kh < kernelH; kh++)
            {
                int ih = oh * strideH - padTop + kh * dilationH;
                if ((uint)ih >= (uint)inH) continue;
                for (int kw = 0; kw < kernelW; kw++)
                {
                    int iw = ow * strideW - padLeft + kw * dilationW;
                    if ((uint)iw >= (uint)inW) continue;
                    for (int c = 0; c < channels; c++)
                        sum = MathF.FusedMultiplyAdd(x[((n * inH + ih) * inW + iw) * channels + c], w[j * filter + (kh * kernelW + kw) * channels + c], sum);
                }
            }
            if (sum < low) sum = low;
            if (sum > high) sum = high;
            y[((n * outH + oh) * outW + ow) * m + j] = sum;
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void Check(ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, ReadOnlySpan<float> w, int m,
                              int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                              ReadOnlySpan<float> bias, Span<float> y, int outH, int outW)
    {
        if (batch < 0 || inH < 1 || inW < 1 || channels < 1 || m < 1 || kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 ||
            dilationH < 1 || dilationW < 1 || padTop < 0 || padLeft < 0 || outH < 1 || outW < 1)
            throw new ArgumentException("FloatDirectConv: sizes, strides and dilations must be positive, pads non-negative");
        long filter = (long)kernelH * kernelW * channels;
        if (!Supports(m, (int)Math.Min(filter, int.MaxValue)))
            throw new ArgumentException($"FloatDirectConv: {m} output channels × filter {filter} exceed the {MaxPanelFloats}-float weight panel");
        if ((long)batch * inH * inW * channels > x.Length)
            throw new ArgumentException($"FloatDirectConv: x holds {x.Length} floats; {batch} image(s) of {inH}x{inW}x{channels} need more", nameof(x));
        if (m * filter > w.Length)
            throw new ArgumentException($"FloatDirectConv: w holds {w.Length} floats; {m} filters of {filter} need {m * filter}", nameof(w));
        if (!bias.IsEmpty && bias.Length < m)
            throw new ArgumentException($"FloatDirectConv: bias holds {bias.Length} floats; {m} output channels need {m}", nameof(bias));
        if ((long)batch * outH * outW * m > y.Length)
            throw new ArgumentException($"FloatDirectConv: y holds {y.Length} floats; {batch} image(s) of {outH}x{outW}x{m} need more", nameof(y));
    }

    /// <summary>Pixels per register tile, along a row or down a column of output.</summary>
    private const int TilePixels = 6;

    [SkipLocalsInit]
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TSimd, TVec>(ReadOnlySpan<float> x, int inH, int inW, int channels, ReadOnlySpan<float> panels, int m,
                                         int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                         ReadOnlySpan<float> bias, float low, float high, Span<float> y, int batch, int outH, int outW)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
    {
        int count = TSimd.Count, filter = kernelH * kernelW * channels;
        int width = RoundUp(m, count);
        // Every output channel's start (its bias, or 0), padded with zeros to whole vectors.
        Span<float> start = width <= 1024 ? stackalloc float[width] : new float[width];
        start.Clear();
        if (!bias.IsEmpty) bias.Slice(0, m).CopyTo(start);
        // A tile's outputs go here first when the output channels do not fill whole vectors.
        Span<float> edge = stackalloc float[TilePixels * 16];
        // Tiles along a row: pixels strideW input pixels apart; down a column: strideH input rows apart.
        var alongRow = new Geometry
        {
            InW = inW, Channels = channels, KernelW = kernelW, DilationH = dilationH, DilationW = dilationW,
            Step = strideW * channels, M = m, Filter = filter, BlockOutputs = VectorsPerPass(count) * count,
            Clamp = !(float.IsNegativeInfinity(low) && float.IsPositiveInfinity(high)), Low = low, High = high,
        };
        var downColumn = alongRow;
        downColumn.Step = strideH * inW * channels;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pw = ref MemoryMarshal.GetReference(panels);
        ref float pStart = ref MemoryMarshal.GetReference(start);
        ref float pEdge = ref MemoryMarshal.GetReference(edge);
        // Output columns whose whole kernel row lies inside the input: [interiorFirst, interiorEnd); rows likewise.
        int interiorFirst = Math.Min(outW, (padLeft + strideW - 1) / strideW);
        int lastInside = inW - 1 - (kernelW - 1) * dilationW + padLeft; // largest ow·sw whose window ends inside
        int interiorEnd = lastInside < 0 ? 0 : Math.Min(outW, lastInside / strideW + 1);
        int rowFirst = Math.Min(outH, (padTop + strideH - 1) / strideH);
        int lastRowInside = inH - 1 - (kernelH - 1) * dilationH + padTop;
        int rowEnd = lastRowInside < 0 ? 0 : Math.Min(outH, lastRowInside / strideH + 1);
        // Tiles along the rows cover the interior columns; in the rows whose whole kernel column lies inside, the other
        // columns go in tiles down the column, so that only the pixels clipped both ways (the corners of 3×3, pad 1) run
        // alone, on one row of accumulators that waits on the multiply-add latency. When fewer than six columns but six
        // or more rows are interior, every column goes down (tiles of six rather than of the few interior columns). A
        // run of interior pixels is split into ⌈length / 6⌉ tiles as even as possible (see TileSplit).
        int interiorColumns = interiorEnd - interiorFirst, interiorRows = rowEnd - rowFirst;
        bool tilesAlongRows = interiorColumns >= TilePixels || (interiorColumns >= 2 && interiorRows < TilePixels);
        bool tilesDownColumns = interiorRows >= 2;
        int alongFirst = tilesAlongRows ? interiorFirst : 0, alongEnd = tilesAlongRows ? interiorEnd : 0;
        // Tile lengths, split once per call (two divisions per tile cost ~3 % of a 3-channel layer's short tiles).
        var columnTiles = new TileSplit(interiorColumns);
        var rowTiles = new TileSplit(interiorRows);

        for (int n = 0; n < batch; n++)
        {
            ref float image = ref Unsafe.Add(ref px, (nint)n * inH * inW * channels);
            ref float outputImage = ref Unsafe.Add(ref py, (nint)n * outH * outW * m);
            int nextBand = rowFirst;
            for (int oh = 0; oh < outH; oh++)
            {
                bool columnsDown = tilesDownColumns && oh >= rowFirst && oh < rowEnd;
                if (columnsDown && oh == nextBand)
                {
                    // The border columns of this row and the next few (a band of up to six rows).
                    int bandRows = rowTiles.Length(oh - rowFirst);
                    nextBand += bandRows;
                    ref float bandRow = ref Unsafe.Add(ref image, (nint)(oh * strideH - padTop) * inW * channels);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        if (ow == alongFirst && alongEnd > alongFirst)
                        {
                            ow = alongEnd - 1;
                            continue;
                        }
                        int iwOrigin = ow * strideW - padLeft;
                        int kwFirst = iwOrigin >= 0 ? 0 : (-iwOrigin + dilationW - 1) / dilationW;
                        int kwEnd = iwOrigin >= inW ? 0 : Math.Min(kernelW, (inW - 1 - iwOrigin) / dilationW + 1);
                        bool any = kwEnd > kwFirst;
                        ref float origin = ref any ? ref Unsafe.Add(ref bandRow, (nint)(iwOrigin + kwFirst * dilationW) * channels) : ref bandRow;
                        Pixels<TSimd, TVec>(downColumn, bandRows, ref origin, kwFirst, any ? kernelH : 0, kwEnd - kwFirst,
                                            ref Unsafe.Add(ref outputImage, ((nint)oh * outW + ow) * m), outW * m, ref pw, ref pStart, ref pEdge);
                    }
                }

                int ihOrigin = oh * strideH - padTop;
                int khFirst = ihOrigin >= 0 ? 0 : (-ihOrigin + dilationH - 1) / dilationH;
                int khEnd = ihOrigin >= inH ? 0 : Math.Min(kernelH, (inH - 1 - ihOrigin) / dilationH + 1);
                int owEnd = columnsDown ? alongEnd : outW;
                int column = columnsDown ? alongFirst : 0;
                while (column < owEnd)
                {
                    // Up to six interior pixels at once (all taps inside along W), else one pixel with its taps clipped.
                    bool interior = tilesAlongRows && column >= interiorFirst && column < interiorEnd;
                    int pixels = interior ? columnTiles.Length(column - interiorFirst) : 1;
                    int iwOrigin = column * strideW - padLeft;
                    int kwFirst = interior || iwOrigin >= 0 ? 0 : (-iwOrigin + dilationW - 1) / dilationW;
                    int kwEnd = interior ? kernelW : iwOrigin >= inW ? 0 : Math.Min(kernelW, (inW - 1 - iwOrigin) / dilationW + 1);
                    // The first tap inside the input (a reference never points outside the tensor, even into padding).
                    bool any = khEnd > khFirst && kwEnd > kwFirst;
                    ref float origin = ref any
                        ? ref Unsafe.Add(ref image, ((nint)(ihOrigin + khFirst * dilationH) * inW + iwOrigin + kwFirst * dilationW) * channels)
                        : ref image;
                    Pixels<TSimd, TVec>(alongRow, pixels, ref origin, khFirst * kernelW + kwFirst, any ? khEnd - khFirst : 0, kwEnd - kwFirst,
                                        ref Unsafe.Add(ref outputImage, ((nint)oh * outW + column) * m), m, ref pw, ref pStart, ref pEdge);
                    column += pixels;
                }
            }
        }
    }

    private struct Geometry
    {
        public int InW, Channels, KernelW, DilationH, DilationW, Step, M, Filter, BlockOutputs;
        public bool Clamp;
        public float Low, High;
    }

    /// <summary>
    /// A run of interior pixels split into ⌈length / 6⌉ tiles as even as possible, the longer ones first: 27 columns'
    /// interior of 25 is five tiles of five, not four of six and a last one that overlaps the one before (a fifth more
    /// multiply-adds), and a shorter tile of four or five pixels still has enough accumulator chains to hide the
    /// multiply-add latency.
    /// </summary>
    private readonly struct TileSplit
    {
        private readonly int _shorter, _longerEnd;

        public TileSplit(int length)
        {
            if (length < 1) return;
            int tiles = (length + TilePixels - 1) / TilePixels;
            _shorter = length / tiles;
            _longerEnd = length % tiles * (_shorter + 1);
        }

        /// <summary>Pixels in the tile that starts <paramref name="offset"/> pixels into the run.</summary>
        public int Length(int offset) => offset < _longerEnd ? _shorter + 1 : _shorter;
    }

    /// <summary>
    /// One tile of 1–6 pixels × every output channel: a pass of up to <see cref="VectorsPerPass"/> whole
    /// vectors per block of the panels, then the block's last, partial vector through the edge buffer. The taps are rows ×
    /// taps from the first one inside the input (<paramref name="origin"/>, tap index <paramref name="firstTap"/> = kh·kw + kw);
    /// the pixels are <paramref name="ldy"/> floats apart in the output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pixels<TSimd, TVec>(in Geometry g, int pixels, ref float origin, int firstTap, int rows, int taps,
                                            ref float destination, int ldy, ref float panels, ref float start, ref float edge)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
    {
        int count = TSimd.Count, m = g.M, blockOutputs = g.BlockOutputs, firstWeight = firstTap * g.Channels;
        for (int b0 = 0; b0 < m; b0 += blockOutputs)
        {
            int blockWidth = Math.Min(blockOutputs, RoundUp(m - b0, count));
            // Blocks before this one are blockOutputs wide: this one starts after b0 outputs × the filter.
            ref float weights = ref Unsafe.Add(ref panels, (nint)b0 * g.Filter + firstWeight * blockWidth);
            int full = Math.Min(blockWidth, m - b0) / count;
            if (full > 0)
            {
                Tile<TSimd, TVec>(g, pixels, full, ref origin, ref weights, blockWidth, ref Unsafe.Add(ref start, b0), rows, taps, ref Unsafe.Add(ref destination, b0), ldy);
            }
            if (full * count < blockWidth)
            {
                // The last output channels do not fill a vector: the tile writes to the edge buffer, then its valid columns are copied.
                int v0 = b0 + full * count, columns = m - v0;
                ref float partial = ref Unsafe.Add(ref weights, full * count);
                Tile<TSimd, TVec>(g, pixels, 1, ref origin, ref partial, blockWidth, ref Unsafe.Add(ref start, v0), rows, taps, ref edge, count);
                for (int i = 0; i < pixels; i++)
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref edge, i * count), columns)
                        .CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref destination, (nint)i * ldy + v0), columns));
            }
        }
    }
}
