using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 2-D convolution straight from an NHWC input (no im2col copy), for layers with few input channels (the
/// first layer of an image model: 1 or 3 channels), where gathering im2col rows of 5–27 floats costs more than the
/// multiply-adds. Output pixels are computed six at a time along a row: for every kernel tap and input channel, one
/// broadcast input value per pixel times a vector of the filters' weights for that tap (repacked once per call,
/// [tap·channel][output channel]), accumulated with fused multiply-adds.
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
    /// <summary>Largest weight panel (output channels rounded up to a vector × kh·kw·C) this kernel packs on the stack.</summary>
    public const int MaxPanelFloats = 8192;

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
        Span<float> panel = stackalloc float[MaxPanelFloats];
        panel.Slice(0, filter * width).Clear();
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
        bool exact = width == m;
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
                bool six = ow >= interiorFirst && ow + TilePixels <= interiorEnd;
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
                for (int v = 0; v < vectors; v++)
                {
                    ref float destination = ref exact ? ref Unsafe.Add(ref yTile, v * count) : ref pEdge;
                    int ldy = exact ? m : count;
                    if (six) Tile<TSimd, TVec, FloatPanelGemm.R6>(g, ref origin, ref Unsafe.Add(ref pw, firstWeights + v * count), ref Unsafe.Add(ref pStart, v * count), any ? khEnd - khFirst : 0, kwEnd - kwFirst, ref destination, ldy);
                    else Tile<TSimd, TVec, FloatPanelGemm.R1>(g, ref origin, ref Unsafe.Add(ref pw, firstWeights + v * count), ref Unsafe.Add(ref pStart, v * count), any ? khEnd - khFirst : 0, kwEnd - kwFirst, ref destination, ldy);
                    if (!exact)
                    {
                        int columns = Math.Min(count, m - v * count);
                        for (int i = 0; i < pixels; i++)
                            edge.Slice(i * count, columns).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref yTile, i * m + v * count), columns));
                    }
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
    /// TPixels output pixels (Step floats apart in the input) × one vector of output channels: the taps
    /// rows × taps from the first one inside the input (<paramref name="origin"/>, whose weights start at
    /// <paramref name="weights0"/>), every channel, in the specification's order.
    /// </summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSimd, TVec, TPixels>(in Geometry g, ref float origin, ref float weights0, ref float start,
                                                   int rows, int taps, ref float destination, int ldy)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
        where TPixels : struct, FloatPanelGemm.IRowCount
    {
        int pixels = TPixels.Value, step = g.Step, channels = g.Channels, width = g.Width;
        var s0 = TSimd.Load(ref start, 0);
        TVec s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
        for (int kh = 0; kh < rows; kh++)
        {
            ref float inputRow = ref Unsafe.Add(ref origin, (nint)kh * g.DilationH * g.InW * channels);
            for (int kw = 0; kw < taps; kw++)
            {
                ref float x0 = ref Unsafe.Add(ref inputRow, kw * g.DilationW * channels);
                ref float weights = ref Unsafe.Add(ref weights0, (kh * g.KernelW + kw) * channels * width);
                for (int c = 0; c < channels; c++)
                {
                    var wv = TSimd.Load(ref weights, c * width);
                    s0 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref x0, c)), wv, s0);
                    if (pixels > 1)
                    {
                        s1 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref x0, step + c)), wv, s1);
                        s2 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref x0, 2 * step + c)), wv, s2);
                        s3 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref x0, 3 * step + c)), wv, s3);
                        s4 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref x0, 4 * step + c)), wv, s4);
                        s5 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref x0, 5 * step + c)), wv, s5);
                    }
                }
            }
        }
        if (g.Clamp)
        {
            TVec low = TSimd.Broadcast(g.Low), high = TSimd.Broadcast(g.High);
            s0 = TSimd.Clamp(s0, low, high);
            if (pixels > 1)
            {
                s1 = TSimd.Clamp(s1, low, high); s2 = TSimd.Clamp(s2, low, high);
                s3 = TSimd.Clamp(s3, low, high); s4 = TSimd.Clamp(s4, low, high); s5 = TSimd.Clamp(s5, low, high);
            }
        }
        TSimd.Store(s0, ref destination, 0);
        if (pixels > 1)
        {
            TSimd.Store(s1, ref destination, ldy); TSimd.Store(s2, ref destination, 2 * ldy);
            TSimd.Store(s3, ref destination, 3 * ldy); TSimd.Store(s4, ref destination, 4 * ldy); TSimd.Store(s5, ref destination, 5 * ldy);
        }
    }
}
