using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// Dot products and sums of 8-bit vectors (int8 or uint8 on either side) with an int32 result that wraps on
/// overflow, as every integer kernel accumulates. The scalar loop is the specification; the Vector128 and
/// Vector256 paths widen to 16 bits and multiply-add adjacent pairs into 32-bit lanes (no saturation: one
/// product is at most 255 · 255 and a pair at most 2 · 255 · 255 in magnitude), and wrapping addition is
/// associative, so every path returns the identical integer.
/// </summary>
public static class Int8Dot
{
    /// <summary>Σ a[i] · b[i] in int32 (wrapping).</summary>
    /// <param name="a">The first vector.</param>
    /// <param name="b">The second vector, as long as <paramref name="a"/>.</param>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b) => Dot<sbyte, sbyte>(a, b);

    /// <inheritdoc cref="Dot(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte})"/>
    public static int Dot(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b) => Dot<byte, sbyte>(a, b);

    /// <inheritdoc cref="Dot(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte})"/>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<byte> b) => Dot<sbyte, byte>(a, b);

    /// <inheritdoc cref="Dot(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte})"/>
    public static int Dot(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Dot<byte, byte>(a, b);

    /// <summary>Σ x[i] in int32 (wrapping; 8-bit values need 2^23 elements to get there).</summary>
    /// <param name="x">The values.</param>
    public static int Sum(ReadOnlySpan<sbyte> x) => Sum<sbyte>(x);

    /// <inheritdoc cref="Sum(ReadOnlySpan{sbyte})"/>
    public static int Sum(ReadOnlySpan<byte> x) => Sum<byte>(x);

    internal static int Dot<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b) where TA : unmanaged where TB : unmanaged
    {
        if (a.Length != b.Length) ThrowLengthMismatch(a.Length, b.Length);
        if (Vector256.IsHardwareAccelerated && a.Length >= Vector256<byte>.Count) return DotVector256(a, b);
        if (Vector128.IsHardwareAccelerated && a.Length >= Vector128<byte>.Count) return DotVector128(a, b);
        return DotScalar(a, b, 0, 0);
    }

    internal static int Sum<T>(ReadOnlySpan<T> x) where T : unmanaged
    {
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<byte>.Count) return SumVector256(x);
        if (Vector128.IsHardwareAccelerated && x.Length >= Vector128<byte>.Count) return SumVector128(x);
        return SumScalar(x, 0, 0);
    }

    /// <summary>The specification: <paramref name="sum"/> + Σ a[i] · b[i] for i from <paramref name="start"/>, wrapping.</summary>
    internal static int DotScalar<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int start, int sum) where TA : unmanaged where TB : unmanaged
    {
        for (int i = start; i < a.Length; i++) sum = unchecked(sum + ToInt(a[i]) * ToInt(b[i]));
        return sum;
    }

    /// <summary>The specification: <paramref name="sum"/> + Σ x[i] for i from <paramref name="start"/>, wrapping.</summary>
    internal static int SumScalar<T>(ReadOnlySpan<T> x, int start, int sum) where T : unmanaged
    {
        for (int i = start; i < x.Length; i++) sum = unchecked(sum + ToInt(x[i]));
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int DotVector256<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b) where TA : unmanaged where TB : unmanaged
    {
        if (a.Length != b.Length) ThrowLengthMismatch(a.Length, b.Length);
        ref TA pa = ref MemoryMarshal.GetReference(a);
        ref TB pb = ref MemoryMarshal.GetReference(b);
        var lanes = Vector256<int>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
        {
            var (aLow, aHigh) = Widen(Vector256.LoadUnsafe(ref pa, (nuint)i));
            var (bLow, bHigh) = Widen(Vector256.LoadUnsafe(ref pb, (nuint)i));
            lanes += MultiplyAddPairs(aLow, bLow) + MultiplyAddPairs(aHigh, bHigh);
        }
        return DotScalar(a, b, i, Vector256.Sum(lanes));
    }

    internal static int DotVector128<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b) where TA : unmanaged where TB : unmanaged
    {
        if (a.Length != b.Length) ThrowLengthMismatch(a.Length, b.Length);
        ref TA pa = ref MemoryMarshal.GetReference(a);
        ref TB pb = ref MemoryMarshal.GetReference(b);
        var lanes = Vector128<int>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            var (aLow, aHigh) = Widen(Vector128.LoadUnsafe(ref pa, (nuint)i));
            var (bLow, bHigh) = Widen(Vector128.LoadUnsafe(ref pb, (nuint)i));
            lanes += MultiplyAddPairs(aLow, bLow) + MultiplyAddPairs(aHigh, bHigh);
        }
        return DotScalar(a, b, i, Vector128.Sum(lanes));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int SumVector256<T>(ReadOnlySpan<T> x) where T : unmanaged
    {
        ref T px = ref MemoryMarshal.GetReference(x);
        var lanes = Vector256<int>.Zero;
        var ones = Vector256.Create((short)1);
        int i = 0;
        for (; i <= x.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
        {
            var (low, high) = Widen(Vector256.LoadUnsafe(ref px, (nuint)i));
            lanes += MultiplyAddPairs(low, ones) + MultiplyAddPairs(high, ones);
        }
        return SumScalar(x, i, Vector256.Sum(lanes));
    }

    internal static int SumVector128<T>(ReadOnlySpan<T> x) where T : unmanaged
    {
        ref T px = ref MemoryMarshal.GetReference(x);
        var lanes = Vector128<int>.Zero;
        var ones = Vector128.Create((short)1);
        int i = 0;
        for (; i <= x.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            var (low, high) = Widen(Vector128.LoadUnsafe(ref px, (nuint)i));
            lanes += MultiplyAddPairs(low, ones) + MultiplyAddPairs(high, ones);
        }
        return SumScalar(x, i, Vector128.Sum(lanes));
    }

    /// <summary>An 8-bit value as int: sign-extended for sbyte, zero-extended for byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value)
        : typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
        : throw new NotSupportedException($"{typeof(T)} is not an 8-bit integer type");

    /// <summary>The 32 lanes of an 8-bit vector as two vectors of 16-bit values (sign- or zero-extended by type).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<short> Lower, Vector256<short> Upper) Widen<T>(Vector256<T> v) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) return Vector256.Widen(v.AsSByte());
        var (lower, upper) = Vector256.Widen(v.AsByte());
        return (lower.AsInt16(), upper.AsInt16());
    }

    /// <inheritdoc cref="Widen{T}(Vector256{T})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector128<short> Lower, Vector128<short> Upper) Widen<T>(Vector128<T> v) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) return Vector128.Widen(v.AsSByte());
        var (lower, upper) = Vector128.Widen(v.AsByte());
        return (lower.AsInt16(), upper.AsInt16());
    }

    /// <summary>
    /// a[2j] · b[2j] + a[2j+1] · b[2j+1] per 32-bit lane (pmaddwd). Its only saturating case is two products of
    /// −32768 · −32768, which 8-bit inputs never reach. Without AVX2 the portable fallback widens to 32 bits; its
    /// lanes pair differently, but the sum over all lanes is the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> MultiplyAddPairs(Vector256<short> a, Vector256<short> b)
    {
        if (Avx2.IsSupported) return Avx2.MultiplyAddAdjacent(a, b);
        return MultiplyAddPairsPortable(a, b);
    }

    /// <summary>The fallback of <see cref="MultiplyAddPairs(Vector256{short}, Vector256{short})"/>: same lane sum, different pairing.</summary>
    internal static Vector256<int> MultiplyAddPairsPortable(Vector256<short> a, Vector256<short> b)
    {
        var (aLow, aHigh) = Vector256.Widen(a);
        var (bLow, bHigh) = Vector256.Widen(b);
        return aLow * bLow + aHigh * bHigh;
    }

    /// <inheritdoc cref="MultiplyAddPairs(Vector256{short}, Vector256{short})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> MultiplyAddPairs(Vector128<short> a, Vector128<short> b)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(a, b);
        return MultiplyAddPairsPortable(a, b);
    }

    /// <inheritdoc cref="MultiplyAddPairsPortable(Vector256{short}, Vector256{short})"/>
    internal static Vector128<int> MultiplyAddPairsPortable(Vector128<short> a, Vector128<short> b)
    {
        var (aLow, aHigh) = Vector128.Widen(a);
        var (bLow, bHigh) = Vector128.Widen(b);
        return aLow * bLow + aHigh * bHigh;
    }

    private static void ThrowLengthMismatch(int a, int b) =>
        throw new ArgumentException($"the vectors of a dot product must have the same length; got {a} and {b}");
}
