using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int16;

/// <summary>
/// Exact dot products of an int16 vector with an 8-bit one (int8 or uint8), and exact sums of int16 values, in
/// int64: what a linear layer reading the 16-bit residual stream accumulates. The scalar loops are the
/// specification. The AVX2 path widens the 8-bit values to 16 bits and multiply-adds adjacent pairs into int32
/// lanes (vpmaddwd: a pair is at most 2 · 2^15 · 2^8 = 2^24 in magnitude, so it never saturates), adds up to
/// <see cref="ChunkSteps"/> such steps per lane (at most 2^24 · 64 = 2^30, no int32 overflow) and moves each chunk
/// into int64 lanes: every partial sum is exact, so the result is the scalar path's integer.
/// </summary>
public static class Int16Dot
{
    /// <summary>Vector steps summed in int32 lanes before they are widened to int64.</summary>
    internal const int ChunkSteps = 64;

    /// <summary>Σ a[i] · b[i], exact in int64.</summary>
    /// <param name="a">The int16 vector.</param>
    /// <param name="b">The int8 vector, as long as <paramref name="a"/>.</param>
    public static long Dot(ReadOnlySpan<short> a, ReadOnlySpan<sbyte> b) => Dot<sbyte>(a, b);

    /// <inheritdoc cref="Dot(ReadOnlySpan{short}, ReadOnlySpan{sbyte})"/>
    public static long Dot(ReadOnlySpan<short> a, ReadOnlySpan<byte> b) => Dot<byte>(a, b);

    /// <summary>Σ x[i], exact in int64.</summary>
    /// <param name="x">The values.</param>
    public static long Sum(ReadOnlySpan<short> x)
    {
        long sum = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            // 16 values per step widened to int32 (8 lanes of pair sums ≤ 2^16): chunks of 2^14 steps stay below 2^31.
            var ones = Vector256.Create((short)1);
            while (i + 16 <= x.Length)
            {
                var lanes = Vector256<int>.Zero;
                for (int steps = 0; steps < 1 << 14 && i + 16 <= x.Length; steps++, i += 16)
                    lanes += Avx2.IsSupported ? Avx2.MultiplyAddAdjacent(Vector256.Create(x.Slice(i, 16)), ones) : PairSums(x.Slice(i, 16));
                sum += WidenSum(lanes);
            }
        }
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    private static Vector256<int> PairSums(ReadOnlySpan<short> x)
    {
        var (low, high) = Vector256.Widen(Vector256.Create(x));
        return low + high;
    }

    internal static long Dot<TB>(ReadOnlySpan<short> a, ReadOnlySpan<TB> b) where TB : unmanaged
    {
        if (a.Length != b.Length) throw new ArgumentException($"Int16Dot: vectors of {a.Length} and {b.Length} values");
        if (Avx2.IsSupported && a.Length >= 16) return DotAvx2(a, b);
        return DotScalar(a, b, 0, 0);
    }

    /// <summary>The specification: <paramref name="sum"/> + Σ a[i] · b[i] for i from <paramref name="start"/>, exact.</summary>
    internal static long DotScalar<TB>(ReadOnlySpan<short> a, ReadOnlySpan<TB> b, int start, long sum) where TB : unmanaged
    {
        for (int i = start; i < a.Length; i++) sum += a[i] * ToInt(b[i]);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long DotAvx2<TB>(ReadOnlySpan<short> a, ReadOnlySpan<TB> b) where TB : unmanaged
    {
        ref short pa = ref MemoryMarshal.GetReference(a);
        ref byte pb = ref Unsafe.As<TB, byte>(ref MemoryMarshal.GetReference(b));
        long sum = 0;
        int i = 0, n = a.Length;
        while (i + 16 <= n)
        {
            var lanes = Vector256<int>.Zero;
            for (int steps = 0; steps < ChunkSteps && i + 16 <= n; steps++, i += 16)
            {
                var va = Vector256.LoadUnsafe(ref pa, (nuint)i);
                var bytes = Vector128.LoadUnsafe(ref pb, (nuint)i);
                var vb = typeof(TB) == typeof(sbyte) ? Avx2.ConvertToVector256Int16(bytes.AsSByte()) : Avx2.ConvertToVector256Int16(bytes);
                lanes += Avx2.MultiplyAddAdjacent(va, vb);
            }
            sum += WidenSum(lanes);
        }
        return DotScalar(a, b, i, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long WidenSum(Vector256<int> lanes)
    {
        var (low, high) = Vector256.Widen(lanes);
        return Vector256.Sum(low + high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value)
        : typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
        : throw new NotSupportedException($"{typeof(T)} is not an 8-bit element type");
}
