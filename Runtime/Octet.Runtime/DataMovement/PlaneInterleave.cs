using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// Three planes of 32-bit elements into interleaved triples, <c>destination[3j + i] = source[i · planeStride + j]</c>:
/// the NCHW → NHWC relayout of a float32 RGB image, the first op of most float image models. The element loop of
/// <see cref="StridedCopy"/> writes one element per step with a stride of three; here sixteen pixels of the three
/// planes are loaded as three vectors and rearranged into the 48 interleaved elements by two-source permutes
/// (vpermt2d), so both sides move whole vectors. Elements are moved as 32-bit patterns, never computed on, so every
/// path writes the same bits as the element loop (the specification). The 8-bit counterpart is in <see cref="ByteTranspose"/>.
/// </summary>
internal static class PlaneInterleave
{
    /// <summary>
    /// Handles a rank-2 <see cref="StridedCopy"/> box of 32-bit elements that interleaves three planes (source strides
    /// [planeStride, 1], destination strides [1, 3], shape [3, pixels], planeStride ≥ pixels); returns false for any
    /// other box (the caller copies it element by element). The source and destination must not overlap.
    /// </summary>
    public static bool TryCopy(ReadOnlySpan<uint> source, int sourceOffset, ReadOnlySpan<int> sourceStrides,
        Span<uint> destination, int destinationOffset, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape)
    {
        if (shape.Length != 2 || shape[0] != 3 || sourceStrides[1] != 1 || destinationStrides[0] != 1 || destinationStrides[1] != 3) return false;
        int pixels = shape[1], planeStride = sourceStrides[0];
        if (pixels < 1 || planeStride < pixels) return false;
        long planesEnd = sourceOffset + 2L * planeStride + pixels;
        if (sourceOffset < 0 || destinationOffset < 0 || planesEnd > source.Length || destinationOffset + 3L * pixels > destination.Length)
            throw new ArgumentOutOfRangeException(nameof(shape), $"a 3 × {pixels} interleave reaches past the source ({planesEnd} > {source.Length}) or destination ({destinationOffset + 3L * pixels} > {destination.Length})");
        Interleave(ref Unsafe.Add(ref MemoryMarshal.GetReference(source), sourceOffset), planeStride,
            ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), destinationOffset), pixels, Avx512F.IsSupported);
        return true;
    }

    /// <summary>The interleave with the vector path on or off (tests run both on one machine).</summary>
    internal static void Interleave(ref uint source, int planeStride, ref uint destination, int pixels, bool vectors)
    {
        int j = 0;
        if (vectors && Avx512F.IsSupported)
            j = InterleaveVector512(ref source, planeStride, ref destination, pixels);
        ref uint second = ref Unsafe.Add(ref source, planeStride);
        ref uint third = ref Unsafe.Add(ref source, 2 * (nint)planeStride);
        for (; j < pixels; j++)
        {
            ref uint triple = ref Unsafe.Add(ref destination, 3 * (nint)j);
            triple = Unsafe.Add(ref source, j);
            Unsafe.Add(ref triple, 1) = Unsafe.Add(ref second, j);
            Unsafe.Add(ref triple, 2) = Unsafe.Add(ref third, j);
        }
    }

    /// <summary>
    /// Whole groups of 16 pixels; returns how many pixels it did. Output vector k holds interleaved elements 16k … 16k + 15,
    /// element e of it is plane (16k + e) mod 3 of pixel (16k + e) / 3: a first permute takes planes 0 and 1 from their
    /// vectors, a second puts plane 2's elements into the remaining lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int InterleaveVector512(ref uint source, int planeStride, ref uint destination, int pixels)
    {
        ref uint second = ref Unsafe.Add(ref source, planeStride);
        ref uint third = ref Unsafe.Add(ref source, 2 * (nint)planeStride);
        // Indices: below 16 select the first operand's lane, 16 and above the second's (lane index − 16).
        var firstTwo0 = Vector512.Create(0u, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
        var withThird0 = Vector512.Create(0u, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15);
        var firstTwo1 = Vector512.Create(21u, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
        var withThird1 = Vector512.Create(0u, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15);
        var firstTwo2 = Vector512.Create(0u, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
        var withThird2 = Vector512.Create(26u, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31);
        int j = 0;
        for (; j <= pixels - 16; j += 16)
        {
            var r = Vector512.LoadUnsafe(ref source, (nuint)j);
            var g = Vector512.LoadUnsafe(ref second, (nuint)j);
            var b = Vector512.LoadUnsafe(ref third, (nuint)j);
            ref uint to = ref Unsafe.Add(ref destination, 3 * (nint)j);
            Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(r, firstTwo0, g), withThird0, b).StoreUnsafe(ref to);
            Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(r, firstTwo1, g), withThird1, b).StoreUnsafe(ref to, 16);
            Avx512F.PermuteVar16x32x2(Avx512F.PermuteVar16x32x2(r, firstTwo2, g), withThird2, b).StoreUnsafe(ref to, 32);
        }
        return j;
    }
}
