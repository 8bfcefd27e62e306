using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 matrix product against NK-packed weights: <c>C[r, j] (+)= Σₚ A[r, p]·B[j, p]</c>, B stored one row of K
/// weights per output column. The inner kernel of generated Conv (A = NHWC input rows in place for 1×1 stride-1
/// convolutions, gathered im2col rows otherwise), Gemm and MatMul.
/// </summary>
/// <remarks>
/// <para><see cref="MultiplyNKScalar"/> is the specification: each output is its K products summed in index order
/// in float32, then added to C (when accumulating).</para>
/// <para>The SIMD path works on blocks of 4 rows × 4 output columns: each step loads one vector of each of the
/// four A rows and of the four B rows and does 16 multiply-adds, so every load serves four products instead of
/// one (a single dot product is bound by loads, not arithmetic). Each of the 16 outputs keeps one partial sum per
/// lane (Vector512 steps, folded to Vector256 for the remaining 8-wide steps, then a scalar tail) and adds the lanes
/// at the end: the same products in a different order from the specification, so results differ by rounding only — the tolerance
/// stated on <see cref="FloatDot"/> (relative 1e-5 of the output range) applies. Results on one machine are
/// deterministic and do not depend on where a row or column falls in a block (the edge kernel uses the same
/// arithmetic). The four sums of one A row against four B rows are reduced together (horizontal adds), so no
/// output pays for a full horizontal sum of its own.</para>
/// </remarks>
public static class FloatGemm
{
    /// <summary>
    /// For r in [0, rows) and j in [0, n): <c>c[r·ldc + j] = Σₚ a[r·lda + p]·b[j·k + p]</c> (p in [0, k)), or
    /// <c>+=</c> that sum when <paramref name="accumulate"/>. Uses the widest SIMD the machine has.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyNK(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                  Span<float> c, int ldc, bool accumulate)
    {
        CheckBounds(a, lda, rows, b, k, n, c, ldc);
        if (rows == 0 || n == 0) return;
        if (!Vector256.IsHardwareAccelerated)
        {
            MultiplyNKScalarUnchecked(a, lda, rows, b, k, n, c, ldc, accumulate);
            return;
        }
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float pc = ref MemoryMarshal.GetReference(c);
        if ((long)rows * lda < (long)n * k)
        {
            ColumnsOuter(ref pa, lda, rows, ref pb, k, n, ref pc, ldc, accumulate);
            return;
        }
        // A is the larger matrix: keep four rows of A hot while all of B streams past them.
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ref float aRow = ref Unsafe.Add(ref pa, r * lda);
            ref float cRow = ref Unsafe.Add(ref pc, r * ldc);
            int j = 0;
            for (; j + 4 <= n; j += 4) Block4x4(ref aRow, lda, ref Unsafe.Add(ref pb, j * k), k, ref Unsafe.Add(ref cRow, j), ldc, accumulate);
            for (; j < n; j++)
            {
                for (int i = 0; i < 4; i++)
                    Store(ref Unsafe.Add(ref cRow, i * ldc + j), Dot(ref Unsafe.Add(ref aRow, i * lda), ref Unsafe.Add(ref pb, j * k), k), accumulate);
            }
        }
        for (; r < rows; r++)
        {
            ref float aRow = ref Unsafe.Add(ref pa, r * lda);
            ref float cRow = ref Unsafe.Add(ref pc, r * ldc);
            for (int j = 0; j < n; j++) Store(ref Unsafe.Add(ref cRow, j), Dot(ref aRow, ref Unsafe.Add(ref pb, j * k), k), accumulate);
        }
    }

    /// <summary>
    /// B is the larger matrix (e.g. a few im2col rows against many filters): keep four rows of B hot while all of A
    /// (small, cache-resident) streams past them. Every output's arithmetic is the same as in the row-outer order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnsOuter(ref float pa, int lda, int rows, ref float pb, int k, int n, ref float pc, int ldc, bool accumulate)
    {
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            ref float bRows = ref Unsafe.Add(ref pb, j * k);
            int r = 0;
            for (; r + 4 <= rows; r += 4) Block4x4(ref Unsafe.Add(ref pa, r * lda), lda, ref bRows, k, ref Unsafe.Add(ref pc, r * ldc + j), ldc, accumulate);
            for (; r < rows; r++)
            {
                for (int i = 0; i < 4; i++)
                    Store(ref Unsafe.Add(ref pc, r * ldc + j + i), Dot(ref Unsafe.Add(ref pa, r * lda), ref Unsafe.Add(ref bRows, i * k), k), accumulate);
            }
        }
        for (; j < n; j++)
        {
            for (int r = 0; r < rows; r++)
                Store(ref Unsafe.Add(ref pc, r * ldc + j), Dot(ref Unsafe.Add(ref pa, r * lda), ref Unsafe.Add(ref pb, j * k), k), accumulate);
        }
    }

    /// <summary>The specification of <see cref="MultiplyNK"/>: every output one dot product summed in index order.</summary>
    public static void MultiplyNKScalar(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                        Span<float> c, int ldc, bool accumulate)
    {
        CheckBounds(a, lda, rows, b, k, n, c, ldc);
        MultiplyNKScalarUnchecked(a, lda, rows, b, k, n, c, ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyNKScalarUnchecked(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n,
                                                  Span<float> c, int ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++) sum += a[r * lda + p] * b[j * k + p];
                if (accumulate) c[r * ldc + j] += sum;
                else c[r * ldc + j] = sum;
            }
        }
    }

    /// <summary>Throws (rather than letting the unchecked kernel read or write outside a span) when a matrix does not fit.</summary>
    private static void CheckBounds(ReadOnlySpan<float> a, int lda, int rows, ReadOnlySpan<float> b, int k, int n, Span<float> c, int ldc)
    {
        if (rows < 0 || n < 0 || k < 0 || lda < k || ldc < n)
            throw new ArgumentException($"FloatGemm: invalid sizes rows={rows}, n={n}, k={k}, lda={lda}, ldc={ldc}");
        if (rows == 0 || n == 0) return;
        if ((long)(rows - 1) * lda + k > a.Length)
            throw new ArgumentException($"FloatGemm: A holds {a.Length} floats; {rows} rows of {k} with stride {lda} need {(long)(rows - 1) * lda + k}", nameof(a));
        if ((long)n * k > b.Length)
            throw new ArgumentException($"FloatGemm: B holds {b.Length} floats; {n} rows of {k} need {(long)n * k}", nameof(b));
        if ((long)(rows - 1) * ldc + n > c.Length)
            throw new ArgumentException($"FloatGemm: C holds {c.Length} floats; {rows} rows of {n} with stride {ldc} need {(long)(rows - 1) * ldc + n}", nameof(c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float destination, float value, bool accumulate)
    {
        if (accumulate) destination += value;
        else destination = value;
    }

    /// <summary>
    /// One output with exactly the arithmetic of one lane set of <see cref="Block4x4"/>: Vector512 steps, their
    /// halves folded into a Vector256 that takes any remaining 8-wide steps, folded again to 4 lanes summed
    /// pairwise ((l0 + l1) + (l2 + l3)), plus the scalar tail summed on its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(ref float x, ref float y, int k)
    {
        int p = 0;
        var s256 = Vector256<float>.Zero;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            var s = Vector512<float>.Zero;
            for (; p <= k - Vector512<float>.Count; p += Vector512<float>.Count)
                s = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)p), Vector512.LoadUnsafe(ref y, (nuint)p), s);
            s256 = Fold(s);
        }
        for (; p <= k - Vector256<float>.Count; p += Vector256<float>.Count)
            s256 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)p), Vector256.LoadUnsafe(ref y, (nuint)p), s256);
        float tail = 0;
        for (; p < k; p++) tail += Unsafe.Add(ref x, p) * Unsafe.Add(ref y, p);
        return PairwiseSum(Fold(s256)) + tail;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> v) => v.GetLower() + v.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector256<float> v) => v.GetLower() + v.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float PairwiseSum(Vector128<float> v) => (v.GetElement(0) + v.GetElement(1)) + (v.GetElement(2) + v.GetElement(3));

    /// <summary>[PairwiseSum(v0), PairwiseSum(v1), PairwiseSum(v2), PairwiseSum(v3)] (two horizontal adds on x86).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> PairwiseSums(Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        if (Sse3.IsSupported) return Sse3.HorizontalAdd(Sse3.HorizontalAdd(v0, v1), Sse3.HorizontalAdd(v2, v3));
        return Vector128.Create(PairwiseSum(v0), PairwiseSum(v1), PairwiseSum(v2), PairwiseSum(v3));
    }

    /// <summary>
    /// 4 rows of A × 4 rows of B: 16 outputs, each with exactly the arithmetic of <see cref="Dot"/>. The four
    /// sums of one A row end up in one Vector128, which is the four adjacent outputs C[i, j..j+4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4(ref float a0, int lda, ref float b0, int k, ref float c0, int ldc, bool accumulate)
    {
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float a2 = ref Unsafe.Add(ref a1, lda);
        ref float a3 = ref Unsafe.Add(ref a2, lda);
        ref float b1 = ref Unsafe.Add(ref b0, k);
        ref float b2 = ref Unsafe.Add(ref b1, k);
        ref float b3 = ref Unsafe.Add(ref b2, k);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector256<float> s30 = default, s31 = default, s32 = default, s33 = default;
        int p = 0;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            Vector512<float> z00 = default, z01 = default, z02 = default, z03 = default;
            Vector512<float> z10 = default, z11 = default, z12 = default, z13 = default;
            Vector512<float> z20 = default, z21 = default, z22 = default, z23 = default;
            Vector512<float> z30 = default, z31 = default, z32 = default, z33 = default;
            for (; p <= k - Vector512<float>.Count; p += Vector512<float>.Count)
            {
                var w0 = Vector512.LoadUnsafe(ref b0, (nuint)p);
                var w1 = Vector512.LoadUnsafe(ref b1, (nuint)p);
                var w2 = Vector512.LoadUnsafe(ref b2, (nuint)p);
                var w3 = Vector512.LoadUnsafe(ref b3, (nuint)p);
                var x = Vector512.LoadUnsafe(ref a0, (nuint)p);
                z00 = Vector512.FusedMultiplyAdd(x, w0, z00); z01 = Vector512.FusedMultiplyAdd(x, w1, z01);
                z02 = Vector512.FusedMultiplyAdd(x, w2, z02); z03 = Vector512.FusedMultiplyAdd(x, w3, z03);
                x = Vector512.LoadUnsafe(ref a1, (nuint)p);
                z10 = Vector512.FusedMultiplyAdd(x, w0, z10); z11 = Vector512.FusedMultiplyAdd(x, w1, z11);
                z12 = Vector512.FusedMultiplyAdd(x, w2, z12); z13 = Vector512.FusedMultiplyAdd(x, w3, z13);
                x = Vector512.LoadUnsafe(ref a2, (nuint)p);
                z20 = Vector512.FusedMultiplyAdd(x, w0, z20); z21 = Vector512.FusedMultiplyAdd(x, w1, z21);
                z22 = Vector512.FusedMultiplyAdd(x, w2, z22); z23 = Vector512.FusedMultiplyAdd(x, w3, z23);
                x = Vector512.LoadUnsafe(ref a3, (nuint)p);
                z30 = Vector512.FusedMultiplyAdd(x, w0, z30); z31 = Vector512.FusedMultiplyAdd(x, w1, z31);
                z32 = Vector512.FusedMultiplyAdd(x, w2, z32); z33 = Vector512.FusedMultiplyAdd(x, w3, z33);
            }
            s00 = Fold(z00); s01 = Fold(z01); s02 = Fold(z02); s03 = Fold(z03);
            s10 = Fold(z10); s11 = Fold(z11); s12 = Fold(z12); s13 = Fold(z13);
            s20 = Fold(z20); s21 = Fold(z21); s22 = Fold(z22); s23 = Fold(z23);
            s30 = Fold(z30); s31 = Fold(z31); s32 = Fold(z32); s33 = Fold(z33);
        }
        for (; p <= k - Vector256<float>.Count; p += Vector256<float>.Count)
        {
            var w0 = Vector256.LoadUnsafe(ref b0, (nuint)p);
            var w1 = Vector256.LoadUnsafe(ref b1, (nuint)p);
            var w2 = Vector256.LoadUnsafe(ref b2, (nuint)p);
            var w3 = Vector256.LoadUnsafe(ref b3, (nuint)p);
            var x = Vector256.LoadUnsafe(ref a0, (nuint)p);
            s00 = Vector256.FusedMultiplyAdd(x, w0, s00); s01 = Vector256.FusedMultiplyAdd(x, w1, s01);
            s02 = Vector256.FusedMultiplyAdd(x, w2, s02); s03 = Vector256.FusedMultiplyAdd(x, w3, s03);
            x = Vector256.LoadUnsafe(ref a1, (nuint)p);
            s10 = Vector256.FusedMultiplyAdd(x, w0, s10); s11 = Vector256.FusedMultiplyAdd(x, w1, s11);
            s12 = Vector256.FusedMultiplyAdd(x, w2, s12); s13 = Vector256.FusedMultiplyAdd(x, w3, s13);
            x = Vector256.LoadUnsafe(ref a2, (nuint)p);
            s20 = Vector256.FusedMultiplyAdd(x, w0, s20); s21 = Vector256.FusedMultiplyAdd(x, w1, s21);
            s22 = Vector256.FusedMultiplyAdd(x, w2, s22); s23 = Vector256.FusedMultiplyAdd(x, w3, s23);
            x = Vector256.LoadUnsafe(ref a3, (nuint)p);
            s30 = Vector256.FusedMultiplyAdd(x, w0, s30); s31 = Vector256.FusedMultiplyAdd(x, w1, s31);
            s32 = Vector256.FusedMultiplyAdd(x, w2, s32); s33 = Vector256.FusedMultiplyAdd(x, w3, s33);
        }
        // Scalar tail, one lane per output column, summed on its own as in Dot.
        Vector128<float> t0 = default, t1 = default, t2 = default, t3 = default;
        for (; p < k; p++)
        {
            var w = Vector128.Create(Unsafe.Add(ref b0, p), Unsafe.Add(ref b1, p), Unsafe.Add(ref b2, p), Unsafe.Add(ref b3, p));
            t0 += Vector128.Create(Unsafe.Add(ref a0, p)) * w;
            t1 += Vector128.Create(Unsafe.Add(ref a1, p)) * w;
            t2 += Vector128.Create(Unsafe.Add(ref a2, p)) * w;
            t3 += Vector128.Create(Unsafe.Add(ref a3, p)) * w;
        }
        Store4(ref c0, PairwiseSums(Fold(s00), Fold(s01), Fold(s02), Fold(s03)) + t0, accumulate);
        Store4(ref Unsafe.Add(ref c0, ldc), PairwiseSums(Fold(s10), Fold(s11), Fold(s12), Fold(s13)) + t1, accumulate);
        Store4(ref Unsafe.Add(ref c0, 2 * ldc), PairwiseSums(Fold(s20), Fold(s21), Fold(s22), Fold(s23)) + t2, accumulate);
        Store4(ref Unsafe.Add(ref c0, 3 * ldc), PairwiseSums(Fold(s30), Fold(s31), Fold(s32), Fold(s33)) + t3, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float destination, Vector128<float> sums, bool accumulate)
    {
        if (accumulate) sums += Vector128.LoadUnsafe(ref destination);
        sums.StoreUnsafe(ref destination);
    }
}
