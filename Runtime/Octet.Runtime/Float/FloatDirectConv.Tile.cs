using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

public static partial class FloatDirectConv
{
    /// <summary><see cref="Tile{TSimd, TVec, TPixels}"/> for 1–6 pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TSimd, TVec>(in Geometry g, int pixels, int columns, ref float origin, ref float weights0, int width, ref float start,
                                          int rows, int taps, ref float destination, int ldy)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
    {
        switch (pixels)
        {
            case 6: Tile<TSimd, TVec, FloatPanelGemm.R6>(g, columns, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            case 5: Tile<TSimd, TVec, FloatPanelGemm.R5>(g, columns, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            case 4: Tile<TSimd, TVec, FloatPanelGemm.R4>(g, columns, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            case 3: Tile<TSimd, TVec, FloatPanelGemm.R3>(g, columns, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            case 2: Tile<TSimd, TVec, FloatPanelGemm.R2>(g, columns, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            default: Tile<TSimd, TVec, FloatPanelGemm.R1>(g, columns, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
        }
    }

    /// <summary>
    /// TPixels output pixels (Step floats apart in the input, <paramref name="ldy"/> apart in the output: along a row
    /// or down a column) × <paramref name="columns"/> (1–4) vectors of output channels: the taps rows × taps from the
    /// first one inside the input (<paramref name="origin"/>, whose weights start at <paramref name="weights0"/>, rows
    /// of <paramref name="width"/> floats per tap and channel), every channel, in the specification's order. Each step
    /// loads the weight vectors of one tap and channel once and broadcasts each pixel's input value once for all of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TSimd, TVec, TPixels>(in Geometry g, int columns, ref float origin, ref float weights0, int width, ref float start,
                                                   int rows, int taps, ref float destination, int ldy)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
        where TPixels : struct, FloatPanelGemm.IRowCount
    {
        switch (columns)
        {
            case 4: Tile<TSimd, TVec, TPixels, FloatPanelGemm.C4>(g, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            case 3: Tile<TSimd, TVec, TPixels, FloatPanelGemm.C3>(g, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            case 2: Tile<TSimd, TVec, TPixels, FloatPanelGemm.C2>(g, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
            default: Tile<TSimd, TVec, TPixels, FloatPanelGemm.C1>(g, ref origin, ref weights0, width, ref start, rows, taps, ref destination, ldy); break;
        }
    }

    /// <summary>
    /// The tile of <see cref="Tile{TSimd, TVec, TPixels}"/> with TCols vectors; accumulators beyond TPixels and TCols are
    /// compiled away (both are JIT-time constants).
    /// </summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSimd, TVec, TPixels, TCols>(in Geometry g, ref float origin, ref float weights0, int width, ref float start,
                                                          int rows, int taps, ref float destination, int ldy)
        where TSimd : struct, FloatPanelGemm.ISimd<TVec>
        where TVec : struct
        where TPixels : struct, FloatPanelGemm.IRowCount
        where TCols : struct, FloatPanelGemm.IRowCount
    {
        int count = TSimd.Count;
        int pixels = TPixels.Value;
        int cols = TCols.Value;
        int step = g.Step, channels = g.Channels;
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
                    if (pixels > 1)
                    {
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, step + c));
                        s10 = TSimd.Fma(x, w0, s10); if (cols > 1) s11 = TSimd.Fma(x, w1, s11); if (cols > 2) s12 = TSimd.Fma(x, w2, s12); if (cols > 3) s13 = TSimd.Fma(x, w3, s13);
                    }
                    if (pixels > 2)
                    {
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 2 * step + c));
                        s20 = TSimd.Fma(x, w0, s20); if (cols > 1) s21 = TSimd.Fma(x, w1, s21); if (cols > 2) s22 = TSimd.Fma(x, w2, s22); if (cols > 3) s23 = TSimd.Fma(x, w3, s23);
                    }
                    if (pixels > 3)
                    {
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 3 * step + c));
                        s30 = TSimd.Fma(x, w0, s30); if (cols > 1) s31 = TSimd.Fma(x, w1, s31); if (cols > 2) s32 = TSimd.Fma(x, w2, s32); if (cols > 3) s33 = TSimd.Fma(x, w3, s33);
                    }
                    if (pixels > 4)
                    {
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 4 * step + c));
                        s40 = TSimd.Fma(x, w0, s40); if (cols > 1) s41 = TSimd.Fma(x, w1, s41); if (cols > 2) s42 = TSimd.Fma(x, w2, s42); if (cols > 3) s43 = TSimd.Fma(x, w3, s43);
                    }
                    if (pixels > 5)
                    {
                        x = TSimd.Broadcast(Unsafe.Add(ref x0, 5 * step + c));
                        s50 = TSimd.Fma(x, w0, s50); if (cols > 1) s51 = TSimd.Fma(x, w1, s51); if (cols > 2) s52 = TSimd.Fma(x, w2, s52); if (cols > 3) s53 = TSimd.Fma(x, w3, s53);
                    }
                }
            }
        }
        Store<TSimd, TVec, TCols>(g, s00, s01, s02, s03, ref destination);
        if (pixels > 1) Store<TSimd, TVec, TCols>(g, s10, s11, s12, s13, ref Unsafe.Add(ref destination, ldy));
        if (pixels > 2) Store<TSimd, TVec, TCols>(g, s20, s21, s22, s23, ref Unsafe.Add(ref destination, 2 * ldy));
        if (pixels > 3) Store<TSimd, TVec, TCols>(g, s30, s31, s32, s33, ref Unsafe.Add(ref destination, 3 * ldy));
        if (pixels > 4) Store<TSimd, TVec, TCols>(g, s40, s41, s42, s43, ref Unsafe.Add(ref destination, 4 * ldy));
        if (pixels > 5) Store<TSimd, TVec, TCols>(g, s50, s51, s52, s53, ref Unsafe.Add(ref destination, 5 * ldy));
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
