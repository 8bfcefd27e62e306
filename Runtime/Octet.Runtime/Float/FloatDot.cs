using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 dot products: the inner loop of generated Conv, Gemm and MatMul kernels.
/// </summary>
/// <remarks>
/// <para><see cref="DotScalar"/> is the specification: products summed left to right in float32. The SIMD paths
/// keep one partial sum per vector lane and add the lanes at the end, so they add the same products in a
/// different order. Float addition is not associative, so results differ from the scalar path (and from the
/// compiler's reference executor, whose Conv and Gemm kernels sum in yet another order) by rounding only.</para>
/// <para>Tolerance: for k products of magnitude at most p, any two summation orders differ by at most about
/// 2·k·ε·p (ε = 2⁻²⁴ ≈ 6e-8); with rounding errors of random sign the typical difference is √k·ε·p. Kernels built
/// on these primitives are therefore checked against the reference to a relative 1e-5 of the output range
/// (the largest |reference output|), which holds comfortably for the k (≤ a few thousand) of real layers.</para>
/// <para>Which SIMD width runs depends on the machine (Vector512, else Vector256, else Vector128), so the last bits of
/// a result may differ between machines; results on one machine are deterministic.</para>
/// </remarks>
public static class FloatDot
{
    /// <summary>The specification: Σ a[i]·b[i] for i in [0, a.Length), summed in index order in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        b = b[..a.Length];
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Σ a[i]·b[i] for i in [0, a.Length) with the widest SIMD the machine has (<paramref name="b"/> may be longer).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        b = b[..a.Length];
        if (Vector512.IsHardwareAccelerated && a.Length >= Vector512<float>.Count) return Dot512(a, b);
        if (Vector256.IsHardwareAccelerated && a.Length >= Vector256<float>.Count) return Dot256(a, b);
        if (Vector128.IsHardwareAccelerated && a.Length >= Vector128<float>.Count) return Dot128(a, b);
        return DotScalar(a, b);
    }

    /// <summary>
    /// <c>output[r] = Dot(x, rows[r·rowStride ..])</c> for every r in [0, output.Length): one input vector against
    /// consecutive rows of a matrix (Gemm against NK-packed weights, a Conv patch against OHWI filters).
    /// Each result is bit-identical to <see cref="Dot"/> of that row; rows are processed four at a time so each
    /// load of <paramref name="x"/> serves four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotRows(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int rowStride, Span<float> output)
    {
        int r = 0;
        if (x.Length >= 16 && Vector512.IsHardwareAccelerated)
        {
            for (; r + 4 <= output.Length; r += 4) Dot512x4(x, rows, r * rowStride, rowStride, output.Slice(r, 4), accumulate: false);
        }
        else if (x.Length >= 8 && Vector256.IsHardwareAccelerated && !Vector512.IsHardwareAccelerated)
        {
            for (; r + 4 <= output.Length; r += 4) Dot256x4(x, rows, r * rowStride, rowStride, output.Slice(r, 4), accumulate: false);
        }
        for (; r < output.Length; r++) output[r] = Dot(x, rows.Slice(r * rowStride, x.Length));
    }

    /// <summary><c>output[r] += Dot(x, rows[r·rowStride ..])</c>: as <see cref="DotRows"/>, adding to what is there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateDotRows(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int rowStride, Span<float> output)
    {
        int r = 0;
        if (x.Length >= 16 && Vector512.IsHardwareAccelerated)
        {
            for (; r + 4 <= output.Length; r += 4) Dot512x4(x, rows, r * rowStride, rowStride, output.Slice(r, 4), accumulate: true);
        }
        else if (x.Length >= 8 && Vector256.IsHardwareAccelerated && !Vector512.IsHardwareAccelerated)
        {
            for (; r + 4 <= output.Length; r += 4) Dot256x4(x, rows, r * rowStride, rowStride, output.Slice(r, 4), accumulate: true);
        }
        for (; r < output.Length; r++) output[r] += Dot(x, rows.Slice(r * rowStride, x.Length));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot512(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        var sum = Vector512<float>.Zero;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            sum += Vector512.LoadUnsafe(ref pa, (nuint)i) * Vector512.LoadUnsafe(ref pb, (nuint)i);
        float total = Vector512.Sum(sum);
        for (; i < n; i++) total += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot256(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        var sum = Vector256<float>.Zero;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            sum += Vector256.LoadUnsafe(ref pa, (nuint)i) * Vector256.LoadUnsafe(ref pb, (nuint)i);
        float total = Vector256.Sum(sum);
        for (; i < n; i++) total += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot128(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        var sum = Vector128<float>.Zero;
        for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            sum += Vector128.LoadUnsafe(ref pa, (nuint)i) * Vector128.LoadUnsafe(ref pb, (nuint)i);
        float total = Vector128.Sum(sum);
        for (; i < n; i++) total += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return total;
    }

    /// <summary>Four <see cref="Dot512"/>s sharing the loads of x; each row's arithmetic is exactly Dot512's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot512x4(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int start, int stride, Span<float> output, bool accumulate)
    {
        int n = x.Length;
        // Bounds: the last of the four rows must hold n elements (throws rather than reads outside the span).
        _ = rows.Slice(start + 3 * stride, n);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float p0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(rows), start);
        ref float p1 = ref Unsafe.Add(ref p0, stride);
        ref float p2 = ref Unsafe.Add(ref p1, stride);
        ref float p3 = ref Unsafe.Add(ref p2, stride);
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var v = Vector512.LoadUnsafe(ref px, (nuint)i);
            s0 += v * Vector512.LoadUnsafe(ref p0, (nuint)i);
            s1 += v * Vector512.LoadUnsafe(ref p1, (nuint)i);
            s2 += v * Vector512.LoadUnsafe(ref p2, (nuint)i);
            s3 += v * Vector512.LoadUnsafe(ref p3, (nuint)i);
        }
        float t0 = Vector512.Sum(s0), t1 = Vector512.Sum(s1), t2 = Vector512.Sum(s2), t3 = Vector512.Sum(s3);
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref px, i);
            t0 += v * Unsafe.Add(ref p0, i);
            t1 += v * Unsafe.Add(ref p1, i);
            t2 += v * Unsafe.Add(ref p2, i);
            t3 += v * Unsafe.Add(ref p3, i);
        }
        Store4(output, t0, t1, t2, t3, accumulate);
    }

    /// <summary>Four <see cref="Dot256"/>s sharing the loads of x; each row's arithmetic is exactly Dot256's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot256x4(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int start, int stride, Span<float> output, bool accumulate)
    {
        int n = x.Length;
        _ = rows.Slice(start + 3 * stride, n);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float p0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(rows), start);
        ref float p1 = ref Unsafe.Add(ref p0, stride);
        ref float p2 = ref Unsafe.Add(ref p1, stride);
        ref float p3 = ref Unsafe.Add(ref p2, stride);
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var v = Vector256.LoadUnsafe(ref px, (nuint)i);
            s0 += v * Vector256.LoadUnsafe(ref p0, (nuint)i);
            s1 += v * Vector256.LoadUnsafe(ref p1, (nuint)i);
            s2 += v * Vector256.LoadUnsafe(ref p2, (nuint)i);
            s3 += v * Vector256.LoadUnsafe(ref p3, (nuint)i);
        }
        float t0 = Vector256.Sum(s0), t1 = Vector256.Sum(s1), t2 = Vector256.Sum(s2), t3 = Vector256.Sum(s3);
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref px, i);
            t0 += v * Unsafe.Add(ref p0, i);
            t1 += v * Unsafe.Add(ref p1, i);
            t2 += v * Unsafe.Add(ref p2, i);
            t3 += v * Unsafe.Add(ref p3, i);
        }
        Store4(output, t0, t1, t2, t3, accumulate);
    }

    private static void Store4(Span<float> output, float t0, float t1, float t2, float t3, bool accumulate)
    {
        if (accumulate)
        {
            output[0] += t0; output[1] += t1; output[2] += t2; output[3] += t3;
        }
        else
        {
            output[0] = t0; output[1] = t1; output[2] = t2; output[3] = t3;
        }
    }
}
