using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime.Int8;

/// <summary>
/// Element-wise accumulation of 8-bit vectors into int32 sums: what channels-last pooling does per tap
/// (every channel of a pixel at once). The scalar loop is the specification; the vector path widens and adds,
/// wrapping as the scalar one does.
/// </summary>
public static class Accumulate
{
    /// <summary><c>sums[i] += x[i]</c> for every i (wrapping).</summary>
    /// <param name="sums">The running sums, as long as <paramref name="x"/>.</param>
    /// <param name="x">The values to add.</param>
    public static void Add(Span<int> sums, ReadOnlySpan<sbyte> x) => Add<sbyte>(sums, x);

    /// <inheritdoc cref="Add(Span{int}, ReadOnlySpan{sbyte})"/>
    public static void Add(Span<int> sums, ReadOnlySpan<byte> x) => Add<byte>(sums, x);

    internal static void Add<T>(Span<int> sums, ReadOnlySpan<T> x) where T : unmanaged
    {
        if (sums.Length != x.Length)
            throw new ArgumentException($"sums ({sums.Length}) and values ({x.Length}) must have the same length");
        int i = 0;
        if (Vector256.IsHardwareAccelerated) i = AddVector256(sums, x);
        AddScalar(sums, x, i);
    }

    /// <summary>The specification, from index <paramref name="start"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddScalar<T>(Span<int> sums, ReadOnlySpan<T> x, int start) where T : unmanaged
    {
        for (int i = start; i < x.Length; i++) sums[i] = unchecked(sums[i] + Int8Dot.ToInt(x[i]));
    }

    /// <summary>Adds whole blocks of 32 values; returns where the scalar tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int AddVector256<T>(Span<int> sums, ReadOnlySpan<T> x) where T : unmanaged
    {
        ref T px = ref MemoryMarshal.GetReference(x);
        ref int ps = ref MemoryMarshal.GetReference(sums);
        int i = 0;
        for (; i <= x.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
        {
            var (low, high) = Int8Dot.Widen(Vector256.LoadUnsafe(ref px, (nuint)i));
            var (q0, q1) = Vector256.Widen(low);
            var (q2, q3) = Vector256.Widen(high);
            (Vector256.LoadUnsafe(ref ps, (nuint)i) + q0).StoreUnsafe(ref ps, (nuint)i);
            (Vector256.LoadUnsafe(ref ps, (nuint)(i + 8)) + q1).StoreUnsafe(ref ps, (nuint)(i + 8));
            (Vector256.LoadUnsafe(ref ps, (nuint)(i + 16)) + q2).StoreUnsafe(ref ps, (nuint)(i + 16));
            (Vector256.LoadUnsafe(ref ps, (nuint)(i + 24)) + q3).StoreUnsafe(ref ps, (nuint)(i + 24));
        }
        return i;
    }
}
