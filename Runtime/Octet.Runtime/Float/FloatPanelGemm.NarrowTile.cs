using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime;

public static partial class FloatPanelGemm
{
    /// <summary>Rows of the register tile of a one-vector panel.</summary>
    internal const int NarrowTileRows = 12;

    /// <summary>
    /// 12 rows × 1 vector of columns, for panels of one vector (16 columns or fewer with Vector512, 8 with Vector256):
    /// the 6 × 1 tile has only six independent accumulator chains, fewer than the multiply-add latency times its
    /// throughput (4 cycles × 2 per cycle on Zen 5), so it leaves the FMA units idle; twelve chains keep them busy.
    /// 12 accumulators, the weight vector and a broadcast fit 16 registers (AVX2) too. Each lane still adds its
    /// products in the specification's order, so the bits are those of the 6-row tiles. Measured alternating in one
    /// process against 6 × 1 tiles (packed weights): 3025×128×16 75.0 vs 82.5 µs, 3025×64×16 37.0 vs 41.4 µs,
    /// 169×384×16 11.1 vs 13.2 µs, and with Vector256 3025×64×8 34.1 vs 37.4 µs.
    /// </summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTile<TSimd, TVec>(ref float a0, int lda, ref float panel, int kc, ref float c0, int ldc,
                                                int init, ReadOnlySpan<float> bias, Epilogue epilogue)
        where TSimd : struct, ISimd<TVec>
        where TVec : struct
    {
        int count = TSimd.Count;
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float a2 = ref Unsafe.Add(ref a1, lda);
        ref float a3 = ref Unsafe.Add(ref a2, lda);
        ref float a4 = ref Unsafe.Add(ref a3, lda);
        ref float a5 = ref Unsafe.Add(ref a4, lda);
        ref float a6 = ref Unsafe.Add(ref a5, lda);
        ref float a7 = ref Unsafe.Add(ref a6, lda);
        ref float a8 = ref Unsafe.Add(ref a7, lda);
        ref float a9 = ref Unsafe.Add(ref a8, lda);
        ref float a10 = ref Unsafe.Add(ref a9, lda);
        ref float a11 = ref Unsafe.Add(ref a10, lda);
        ref float c1 = ref Unsafe.Add(ref c0, ldc);
        ref float c2 = ref Unsafe.Add(ref c1, ldc);
        ref float c3 = ref Unsafe.Add(ref c2, ldc);
        ref float c4 = ref Unsafe.Add(ref c3, ldc);
        ref float c5 = ref Unsafe.Add(ref c4, ldc);
        ref float c6 = ref Unsafe.Add(ref c5, ldc);
        ref float c7 = ref Unsafe.Add(ref c6, ldc);
        ref float c8 = ref Unsafe.Add(ref c7, ldc);
        ref float c9 = ref Unsafe.Add(ref c8, ldc);
        ref float c10 = ref Unsafe.Add(ref c9, ldc);
        ref float c11 = ref Unsafe.Add(ref c10, ldc);

        TVec s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
        if (init == InitFromC)
        {
            s0 = TSimd.Load(ref c0, 0);
            s1 = TSimd.Load(ref c1, 0);
            s2 = TSimd.Load(ref c2, 0);
            s3 = TSimd.Load(ref c3, 0);
            s4 = TSimd.Load(ref c4, 0);
            s5 = TSimd.Load(ref c5, 0);
            s6 = TSimd.Load(ref c6, 0);
            s7 = TSimd.Load(ref c7, 0);
            s8 = TSimd.Load(ref c8, 0);
            s9 = TSimd.Load(ref c9, 0);
            s10 = TSimd.Load(ref c10, 0);
            s11 = TSimd.Load(ref c11, 0);
        }
        else
        {
            // Zero or the bias: the same start for every row.
            s0 = init == InitBias ? TSimd.Load(ref MemoryMarshal.GetReference(bias), 0) : TSimd.Zero;
            s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = s9 = s10 = s11 = s0;
        }

        ref float w = ref panel;
        for (int p = 0; p < kc; p++)
        {
            TVec weights = TSimd.Load(ref w, 0);
            w = ref Unsafe.Add(ref w, count);
            s0 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a0, p)), weights, s0);
            s1 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a1, p)), weights, s1);
            s2 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a2, p)), weights, s2);
            s3 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a3, p)), weights, s3);
            s4 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a4, p)), weights, s4);
            s5 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a5, p)), weights, s5);
            s6 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a6, p)), weights, s6);
            s7 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a7, p)), weights, s7);
            s8 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a8, p)), weights, s8);
            s9 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a9, p)), weights, s9);
            s10 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a10, p)), weights, s10);
            s11 = TSimd.Fma(TSimd.Broadcast(Unsafe.Add(ref a11, p)), weights, s11);
        }

        if (epilogue.Clamp)
        {
            TVec low = TSimd.Broadcast(epilogue.Low), high = TSimd.Broadcast(epilogue.High);
            s0 = TSimd.Clamp(s0, low, high);
            s1 = TSimd.Clamp(s1, low, high);
            s2 = TSimd.Clamp(s2, low, high);
            s3 = TSimd.Clamp(s3, low, high);
            s4 = TSimd.Clamp(s4, low, high);
            s5 = TSimd.Clamp(s5, low, high);
            s6 = TSimd.Clamp(s6, low, high);
            s7 = TSimd.Clamp(s7, low, high);
            s8 = TSimd.Clamp(s8, low, high);
            s9 = TSimd.Clamp(s9, low, high);
            s10 = TSimd.Clamp(s10, low, high);
            s11 = TSimd.Clamp(s11, low, high);
        }
        TSimd.Store(s0, ref c0, 0);
        TSimd.Store(s1, ref c1, 0);
        TSimd.Store(s2, ref c2, 0);
        TSimd.Store(s3, ref c3, 0);
        TSimd.Store(s4, ref c4, 0);
        TSimd.Store(s5, ref c5, 0);
        TSimd.Store(s6, ref c6, 0);
        TSimd.Store(s7, ref c7, 0);
        TSimd.Store(s8, ref c8, 0);
        TSimd.Store(s9, ref c9, 0);
        TSimd.Store(s10, ref c10, 0);
        TSimd.Store(s11, ref c11, 0);
    }
}
