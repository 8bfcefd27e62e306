using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 2-D convolution straight from an NHWC input (no im2col copy), for layers with few input channels (the
/// first layer of an image model: 1 or 3 channels), where gathering im2col rows of 5–27 floats costs more than the
/// multiply-adds, and for wide layers with up to 64 outputs. Output pixels are computed six at a time along a row: for
/// every kernel tap and input channel, one broadcast input value per pixel times up to four vectors of the filters'
/// weights for that tap (repacked once per call, [tap·channel][output channel]), accumulated with fused multiply-adds.
/// </summary>
/// <remarks>
/// <see cref="NhwcScalar"/> is the specification: each output starts at its bias (or 0), adds the products of the taps
/// inside the input in (kh, kw, c) order with one fused multiply-add each (padding taps are skipped: they would add
/// 0·w, which changes no finite sum), then is clamped as in <see cref="FloatPanelGemm"/>. Every SIMD path does the
/// same operations in the same order per output lane, so it gives the same bits. Against the reference executor the
/// order differs, hence the tolerance stated on <see cref="FloatDot"/>.
/// </remarks>
public static class FloatDirectConv
{
    /// <summary>
    /// Largest weight panel (output channels rounded up to a vector × kh·kw·C) this kernel packs, in the calling thread's
    /// <see cref="FloatScratch"/> (64 KB: the 3×3 layers of 16 → 64 channels, 36 KB, stay in L1 while the input streams past).
    /// </summary>
    public const int MaxPanelFloats = 16384;

    /// <summary>Whether <see cref="Nhwc"/> takes a layer with this many output channels and this filter size.</summary>
    public static bool Supports(int outputChannels, int filterLength) =>
        outputChannels <= MaxOutputChannels && (long)RoundUp(outputChannels, 16) * filterLength <= MaxPanelFloats;

    /// <summary>Most output channels this kernel takes (a wider layer has enough input channels to pay for im2col).</summary>
    public const int MaxOutputChannels = 64;

    /// <summary>
    /// y[n, oh, ow, j] = clamp(bias[j] + Σ x[n, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, c] · w[j, kh, kw, c]) over the
    /// taps inside the input; w is OHWI, x and y NHWC. Pass an empty bias for 0 and ±∞ for no clamp.
    /// </summary>
    [SkipLocalsInit]
    public static void Nhwc(ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, ReadOnlySpan<float> w, int outputChannels,
                            int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                            ReadOnlySpan<float> bias, float low, float high, Span<float> y, int outH, int outW)
    {
        Check(x, batch, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, y, outH, outW);
        if (Vector512.IsHardwareAccelerated && outputChannels > 8)
            Run<FloatPanelGemm.V512, Vector512<float>>(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
        else if (Vector256.IsHardwareAccelerated)
            Run<FloatPanelGemm.V256, Vector256<float>>(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
        else if (Vector128.IsHardwareAccelerated)
            Run<FloatPanelGemm.V128, Vector128<float>>(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
        else
            NhwcScalarUnchecked(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW);
    }

    /// <summary><see cref="Nhwc"/> on a chosen path (512, 256, 128: that vector width; 0: the specification), for tests.</summary>
    [SkipLocalsInit]
    internal static void NhwcWithWidth(int bits, ReadOnlySpan<float> x, int batch, int inH, int inW, int channels, ReadOnlySpan<float> w, int outputChannels,
                                       int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                       ReadOnlySpan<float> bias, float low, float high, Span<float> y, int outH, int outW)
    {
        Check(x, batch, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, y, outH, outW);
        switch (bits)
        {
            case 512: Run<FloatPanelGemm.V512, Vector512<float>>(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
            case 256: Run<FloatPanelGemm.V256, Vector256<float>>(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
            case 128: Run<FloatPanelGemm.V128, Vector128<float>>(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
            default: NhwcScalarUnchecked(x, inH, inW, channels, w, outputChannels, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, bias, low, high, y, batch, outH, outW); break;
        }
    }

    /// <summary>The specification of <see cref="Nhwc"/>.</summary>
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
            throw new ArgumentException($"FloatDirectConv: {m} output channels (at most {MaxOutputChannels}) × filter {filter} exceed the {MaxPanelFloats}-float weight panel");
        if ((long)batch * inH * inW * channels > x.Length)
            throw new ArgumentException($"FloatDirectConv: x holds {x.Length} floats; {batch} image(s) of {inH}x{inW}x{channels} need more", nameof(x));
        if (m * filter > w.Length)
            throw new ArgumentException($"FloatDirectConv: w holds {w.Length} floats; {m} filters of {filter} need {m * filter}", nameof(w));
        if (!bias.IsEmpty && bias.Length < m)
            throw new ArgumentException($"FloatDirectConv: bias holds {bias.Length} floats; {m} output channels need {m}", nameof(bias));
        if ((long)batch * outH * outW * m > y.Length)
            throw new ArgumentException($"FloatDirectConv: y holds {y.Length} floats; {batch} image(s) of {outH}x{outW}x{m} need more", nameof(y));
    }

    /// <summary>Pixels per register tile along a row of output.</summary>
    private const int TilePixels = 6;

    [SkipLocalsInit]
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TSimd, TVec>(ReadOnlySpan<float> x, int inH, int inW, int channels, ReadOnlySpan<float> w, int m,
                                         int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft,
                                         ReadOnlySpan<float> bias, float low, float high, Span<float> y, int batch, int outH, int outW)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
    {
        int count = TSimd.Count, filter = kernelH * kernelW * channels;
        int width = RoundUp(m, count), vectors = width / count;
        // Weights as [tap·channel][output channel], output channels padded with zeros to whole vectors.
        Span<float> panel = FloatScratch.Get(filter * width);
        panel.Clear();
        for (int j = 0; j < m; j++)
            for (int t = 0; t < filter; t++) panel[t * width + j] = w[j * filter + t];
        Span<float> start = stackalloc float[MaxOutputChannels];
        start.Clear();
        if (!bias.IsEmpty) bias.Slice(0, m).CopyTo(start);
        // A tile's outputs go here first when the output channels do not fill whole vectors.
        Span<float> edge = stackalloc float[TilePixels * 16];
        var g = new Geometry
        {
            InW = inW, Channels = channels, KernelW = kernelW, DilationH = dilationH, DilationW = dilationW,
            Step = strideW * channels, Width = width, M = m,
            Clamp = !(float.IsNegativeInfinity(low) && float.IsPositiveInfinity(high)), Low = low, High = high,
        };
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pw = ref MemoryMarshal.GetReference(panel);
        ref float pStart = ref MemoryMarshal.GetReference(start);
        ref float pEdge = ref MemoryMarshal.GetReference(edge);
        int fullVectors = m / count;
        // Vectors of output channels per pass: 6 pixels × 4 vectors = 24 accumulators + 4 weight vectors fit AVX-512's
        // 32 registers; with 16 registers (AVX2, Vector128) 6 × 2.
        int group = count == 16 ? 4 : 2;
        // Output columns whose whole kernel row lies inside the input: [interiorFirst, interiorEnd).
        int interiorFirst = Math.Min(outW, (padLeft + strideW - 1) / strideW);
        int lastInside = inW - 1 - (kernelW - 1) * dilationW + padLeft; // largest ow·sw whose window ends inside
        int interiorEnd = lastInside < 0 ? 0 : Math.Min(outW, lastInside / strideW + 1);

        for (int n = 0; n < batch; n++)
        for (int oh = 0; oh < outH; oh++)
        {
            int ihOrigin = oh * strideH - padTop;
            int khFirst = ihOrigin >= 0 ? 0 : (-ihOrigin + dilationH - 1) / dilationH;
            int khEnd = ihOrigin >= inH ? 0 : Math.Min(kernelH, (inH - 1 - ihOrigin) / dilationH + 1);
            ref float imageRow = ref Unsafe.Add(ref px, (nint)n * inH * inW * channels);
            int ow = 0;
            while (ow < outW)
            {
                // Six interior pixels at once (all taps inside along W), else one pixel with its taps clipped.
                bool six = ow >= interiorFirst && ow < interiorEnd && interiorEnd - interiorFirst >= TilePixels;
                // The interior's last pixels, fewer than six: the last six-pixel tile ends at the interior's end instead
                // and recomputes a few pixels the tile before it wrote (the same operations, so the same bits), rather
                // than one-pixel tiles, whose single row of accumulators waits on the multiply-add latency.
                if (six && ow + TilePixels > interiorEnd) ow = interiorEnd - TilePixels;
                int pixels = six ? TilePixels : 1;
                int iwOrigin = ow * strideW - padLeft;
                int kwFirst = six || iwOrigin >= 0 ? 0 : (-iwOrigin + dilationW - 1) / dilationW;
                int kwEnd = six ? kernelW : iwOrigin >= inW ? 0 : Math.Min(kernelW, (inW - 1 - iwOrigin) / dilationW + 1);
                ref float yTile = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), (nint)((n * outH + oh) * outW + ow) * m);
                // The first tap inside the input (a reference never points outside the tensor, even into padding).
                bool any = khEnd > khFirst && kwEnd > kwFirst;
                ref float origin = ref any
                    ? ref Unsafe.Add(ref imageRow, ((nint)(ihOrigin + khFirst * dilationH) * inW + iwOrigin + kwFirst * dilationW) * channels)
                    : ref imageRow;
                int firstWeights = (khFirst * kernelW + kwFirst) * channels * width;
                int rows = any ? khEnd - khFirst : 0, taps = kwEnd - kwFirst;
                // Whole vectors of output channels, up to `group` of them per pass (each pass reads the input taps once).
                for (int v = 0; v < fullVectors; v += group)
                {
                    int columns = Math.Min(group, fullVectors - v);
                    ref float weights = ref Unsafe.Add(ref pw, firstWeights + v * count);
                    ref float bias0 = ref Unsafe.Add(ref pStart, v * count);
                    ref float destination = ref Unsafe.Add(ref yTile, v * count);
                    if (six) Tile<TSimd, TVec, FloatPanelGemm.R6>(g, columns, ref origin, ref weights, ref bias0, rows, taps, ref destination, m);
                    else Tile<TSimd, TVec, FloatPanelGemm.R1>(g, columns, ref origin, ref weights, ref bias0, rows, taps, ref destination, m);
                }
                if (fullVectors < vectors)
                {
                    // The last output channels do not fill a vector: the tile writes to the edge buffer, then its valid columns are copied.
                    int v = fullVectors, columns = m - v * count;
                    if (six) Tile<TSimd, TVec, FloatPanelGemm.R6>(g, 1, ref origin, ref Unsafe.Add(ref pw, firstWeights + v * count), ref Unsafe.Add(ref pStart, v * count), rows, taps, ref pEdge, count);
                    else Tile<TSimd, TVec, FloatPanelGemm.R1>(g, 1, ref origin, ref Unsafe.Add(ref pw, firstWeights + v * count), ref Unsafe.Add(ref pStart, v * count), rows, taps, ref pEdge, count);
                    for (int i = 0; i < pixels; i++)
                        edge.Slice(i * count, columns).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref yTile, i * m + v * count), columns));
                }
                ow += pixels;
            }
        }
    }

    private struct Geometry
    {
        public int InW, Channels, KernelW, DilationH, DilationW, Step, Width, M;
        public bool Clamp;
        public float Low, High;
    }

    /// <summary>
    /// TPixels output pixels (Step floats apart in the input) × <paramref name="columns"/> (1–4) vectors of output
    /// channels: the taps rows × taps from the first one inside the input (<paramref name="origin"/>, whose weights
    /// start at <paramref name="weights0"/>), every channel, in the specification's order. Each step loads the
    /// weight vectors of one tap and channel once and broadcasts each pixel's input value once for all of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TSimd, TVec, TPixels>(in Geometry g, int columns, ref float origin, ref float weights0, ref float start,
                                                   int rows, int taps, ref float destination, int ldy)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
        where TPixels : struct, FloatPanelGemm.IRowCount
    {
        switch (columns)
        {
            case 4: Tile<TSimd, TVec, TPixels, C4>(g, ref origin, ref weights0, ref start, rows, taps, ref destination, ldy); break;
            case 3: Tile<TSimd, TVec, TPixels, C3>(g, ref origin, ref weights0, ref start, rows, taps, ref destination, ldy); break;
            case 2: Tile<TSimd, TVec, TPixels, C2>(g, ref origin, ref weights0, ref start, rows, taps, ref destination, ldy); break;
            default: Tile<TSimd, TVec, TPixels, C1>(g, ref origin, ref weights0, ref start, rows, taps, ref destination, ldy); break;
        }
    }

    /// <summary>A compile-time count of weight vectors per tile (1–4).</summary>
    private readonly struct C1 : FloatPanelGemm.IRowCount { public static int Value => 1; }
    private readonly struct C2 : FloatPanelGemm.IRowCount { public static int Value => 2; }
    private readonly struct C3 : FloatPanelGemm.IRowCount { public static int Value => 3; }
    private readonly struct C4 : FloatPanelGemm.IRowCount { public static int Value => 4; }

    /// <summary>
    /// The tile of <see cref="Tile{TSimd, TVec, TPixels}"/> with TCols vectors; accumulators beyond TPixels and TCols are
    /// compiled away (both are JIT-time constants).
    /// </summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSimd, TVec, TPixels, TCols>(in Geometry g, ref float origin, ref float weights0, ref float start,
                                                          int rows, int taps, ref float destination, int ldy)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
        where TPixels : struct, FloatPanelGemm.IRowCount
        where TCols : struct, FloatPanelGemm.IRowCount
    {
        int count = TSimd.Count;
        bool six = TPixels.Value > 1;
        int cols = TCols.Value;
        int step = g.Step, channels = g.Channels, width = g.Width;
        TVec b0 = TSimd.Load(ref start, 0);
        TVec b1 = cols > 1 ? TSimd.Load(ref start, count) : b0;
        TVec b2 = cols > 2 ? TSimd.Load(ref start, 2 * count) : b0;
        TVec b3 = cols > 3 ? TSimd.Load(ref start, 3 * count) : b0;
        // s<pixel><vector>
        TVec s00 = b0, s01 = b1, s02 = b2, s03 = b3, s10 = b0, s11 = b1, s12 = b2, s13 = b3, s20 = b0, s21 = b1, s22 = b2, s23 = b3;
        TVec s30 = b0, s31 = b1, s32 = b2, s33 = b3, s40 = b0, s41 = b1, s42 = b2, s43 = b3, s50 = b0, s51 = b1, s52 = b2, s53 = b3;
        for (int kh = 0; kh < rows; kh++)
        {
            ref float inputRow = ref Unsafe.Add(ref origin, (nint)kh * g.DilationH * g.InW * channels);
            for (int kw = 0; kw < taps; kw++)
            {
                ref float x0 = ref Unsafe.Add(ref inputRow, kw * g.DilationW * channels);
                ref float weights = ref Unsafe.Add(ref weights0, (kh * g.KernelW + kw) * channels * width);
                for (int c = 0; c < channels; c++)
                {
                    ref float wc = ref Unsafe.Add(ref weights, c * width);
                    TVec w0 = TSimd.Load(ref wc, 0);
                    TVec w1 = cols > 1 ? TSimd.Load(ref wc, count) : w0;
                    TVec w2 = cols > 2 ? TSimd.Load(ref wc, 2 * count) : w0;
                    TVec w3 = cols > 3 ? TSimd.Load(ref wc, 3 * count) : w0;
                    TVec x = TSimd.Broadcast(Unsafe.Add(ref x0, c));
                    s00 = TSimd.Fma(x, w0, s00); if (cols > 1) s01 = TSimd.Fma(x, w1, s01); if (cols > 2) s02 = TSimd.Fma(x, w2, s02); if (cols > 3) s03 = TSimd.Fma(x, w3, s03);
                    if (six)
                    {
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, step + c));
                        s10 = TSimd.Fma(x, w0, s10); if (cols > 1) s11 = TSimd.Fma(x, w1, s11); if (cols > 2) s12 = TSimd.Fma(x, w2, s12); if (cols > 3) s13 = TSimd.Fma(x, w3, s13);
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 2 * step + c));
                        s20 = TSimd.Fma(x, w0, s20); if (cols > 1) s21 = TSimd.Fma(x, w1, s21); if (cols > 2) s22 = TSimd.Fma(x, w2, s22); if (cols > 3) s23 = TSimd.Fma(x, w3, s23);
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 3 * step + c));
                        s30 = TSimd.Fma(x, w0, s30); if (cols > 1) s31 = TSimd.Fma(x, w1, s31); if (cols > 2) s32 = TSimd.Fma(x, w2, s32); if (cols > 3) s33 = TSimd.Fma(x, w3, s33);
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 4 * step + c));
                        s40 = TSimd.Fma(x, w0, s40); if (cols > 1) s41 = TSimd.Fma(x, w1, s41); if (cols > 2) s42 = TSimd.Fma(x, w2, s42); if (cols > 3) s43 = TSimd.Fma(x, w3, s43);
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 5 * step + c));
                        s50 = TSimd.Fma(x, w0, s50); if (cols > 1) s51 = TSimd.Fma(x, w1, s51); if (cols > 2) s52 = TSimd.Fma(x, w2, s52); if (cols > 3) s53 = TSimd.Fma(x, w3, s53);
                    }
                }
            }
        }
        Store<TSimd, TVec, TCols>(g, s00, s01, s02, s03, ref destination);
        if (six)
        {
            Store<TSimd, TVec, TCols>(g, s10, s11, s12, s13, ref Unsafe.Add(ref destination, ldy));
            Store<TSimd, TVec, TCols>(g, s20, s21, s22, s23, ref Unsafe.Add(ref destination, 2 * ldy));
            Store<TSimd, TVec, TCols>(g, s30, s31, s32, s33, ref Unsafe.Add(ref destination, 3 * ldy));
            Store<TSimd, TVec, TCols>(g, s40, s41, s42, s43, ref Unsafe.Add(ref destination, 4 * ldy));
            Store<TSimd, TVec, TCols>(g, s50, s51, s52, s53, ref Unsafe.Add(ref destination, 5 * ldy));
        }
    }

    /// <summary>One pixel's TCols vectors of outputs, clamped when the geometry asks for it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TSimd, TVec, TCols>(in Geometry g, TVec s0, TVec s1, TVec s2, TVec s3, ref float destination)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
        where TCols : struct, FloatPanelGemm.IRowCount
    {
        int count = TSimd.Count, cols = TCols.Value;
        if (g.Clamp)
        {
            TVec low = TSimd.Broadcast(g.Low), high = TSimd.Broadcast(g.High);
            s0 = TSimd.Clamp(s0, low, high);
            if (cols > 1) s1 = TSimd.Clamp(s1, low, high);
            if (cols > 2) s2 = TSimd.Clamp(s2, low, high);
            if (cols > 3) s3 = TSimd.Clamp(s3, low, high);
        }
        TSimd.Store(s0, ref destination, 0);
        if (cols > 1) TSimd.Store(s1, ref destination, count);
        if (cols > 2) TSimd.Store(s2, ref destination, 2 * count);
        if (cols > 3) TSimd.Store(s3, ref destination, 3 * count);
    }
}
