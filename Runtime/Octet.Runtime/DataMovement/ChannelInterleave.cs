using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// Interleaves two runs of channels per pixel: what a channel shuffle with two groups (ShuffleNet) is on NHWC
/// tensors, where every output pixel's channel vector alternates channels of the two halves of the input.
/// The element loop <see cref="InterleaveScalar{T}"/> is the specification; for 8-bit elements 16 channels of
/// each run are loaded as vectors and zipped (punpcklbw/punpckhbw, zip1/zip2), which only changes where bytes
/// land, so every path writes the same bytes.
/// </summary>
public static class ChannelInterleave
{
    /// <summary>
    /// For every pixel p &lt; <paramref name="pixels"/> and k &lt; <paramref name="count"/>:
    /// <c>destination[destinationOffset + p·destinationStride + 2k] = first[firstOffset + p·firstStride + k]</c> and
    /// <c>destination[destinationOffset + p·destinationStride + 2k + 1] = second[secondOffset + p·secondStride + k]</c>.
    /// Strides are pixel strides in elements (an NHWC tensor's channel count). The destination must not overlap the sources.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A run reaches outside its span, or a size is negative.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Interleave<T>(ReadOnlySpan<T> first, int firstOffset, int firstStride,
        ReadOnlySpan<T> second, int secondOffset, int secondStride,
        Span<T> destination, int destinationOffset, int destinationStride, int count, int pixels) where T : unmanaged
    {
        CheckExtent(first.Length, firstOffset, firstStride, count, pixels, nameof(first));
        CheckExtent(second.Length, secondOffset, secondStride, count, pixels, nameof(second));
        CheckExtent(destination.Length, destinationOffset, destinationStride, 2 * count, pixels, nameof(destination));
        if (count == 0 || pixels == 0) return;
        if (Unsafe.SizeOf<T>() == 1 && count >= Vector128<byte>.Count && (Sse2.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            InterleaveBytes(
                ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(first)), firstOffset, firstStride,
                ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(second)), secondOffset, secondStride,
                ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(destination)), destinationOffset, destinationStride, count, pixels);
            return;
        }
        if (Unsafe.SizeOf<T>() == 4 && count >= Vector128<uint>.Count && (Sse2.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            // float32 and int32 as 32-bit patterns: moved, never computed on, so every value keeps its bits.
            InterleaveWords(
                ref Unsafe.As<T, uint>(ref MemoryMarshal.GetReference(first)), firstOffset, firstStride,
                ref Unsafe.As<T, uint>(ref MemoryMarshal.GetReference(second)), secondOffset, secondStride,
                ref Unsafe.As<T, uint>(ref MemoryMarshal.GetReference(destination)), destinationOffset, destinationStride, count, pixels);
            return;
        }
        InterleaveScalar(first, firstOffset, firstStride, second, secondOffset, secondStride, destination, destinationOffset, destinationStride, count, pixels);
    }

    /// <summary>The element loop: the specification of <see cref="Interleave{T}"/>, and its path without SIMD.</summary>
    public static void InterleaveScalar<T>(ReadOnlySpan<T> first, int firstOffset, int firstStride,
        ReadOnlySpan<T> second, int secondOffset, int secondStride,
        Span<T> destination, int destinationOffset, int destinationStride, int count, int pixels) where T : unmanaged
    {
        for (int p = 0; p < pixels; p++)
        {
            var a = first.Slice(firstOffset + p * firstStride, count);
            var b = second.Slice(secondOffset + p * secondStride, count);
            var to = destination.Slice(destinationOffset + p * destinationStride, 2 * count);
            for (int k = 0; k < count; k++)
            {
                to[2 * k] = a[k];
                to[2 * k + 1] = b[k];
            }
        }
    }

    /// <summary>count ≥ 16: vectors of 16 channels of each run; a last vector that would pass the end starts at count − 16 instead (it rewrites a few channels with the same bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterleaveBytes(ref byte first, int firstOffset, int firstStride, ref byte second, int secondOffset, int secondStride,
        ref byte destination, int destinationOffset, int destinationStride, int count, int pixels)
    {
        const int width = 16;
        for (int p = 0; p < pixels; p++)
        {
            ref byte a = ref Unsafe.Add(ref first, firstOffset + (nint)p * firstStride);
            ref byte b = ref Unsafe.Add(ref second, secondOffset + (nint)p * secondStride);
            ref byte to = ref Unsafe.Add(ref destination, destinationOffset + (nint)p * destinationStride);
            for (int k = 0; ; k += width)
            {
                if (k > count - width) k = count - width;
                var x = Vector128.LoadUnsafe(ref a, (nuint)k);
                var y = Vector128.LoadUnsafe(ref b, (nuint)k);
                Low(x, y).StoreUnsafe(ref to, (nuint)(2 * k));
                High(x, y).StoreUnsafe(ref to, (nuint)(2 * k + width));
                if (k == count - width) break;
            }
        }
    }

    /// <summary>The same for 32-bit elements: vectors of 4 elements of each run (count ≥ 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterleaveWords(ref uint first, int firstOffset, int firstStride, ref uint second, int secondOffset, int secondStride,
        ref uint destination, int destinationOffset, int destinationStride, int count, int pixels)
    {
        const int width = 4;
        for (int p = 0; p < pixels; p++)
        {
            ref uint a = ref Unsafe.Add(ref first, firstOffset + (nint)p * firstStride);
            ref uint b = ref Unsafe.Add(ref second, secondOffset + (nint)p * secondStride);
            ref uint to = ref Unsafe.Add(ref destination, destinationOffset + (nint)p * destinationStride);
            for (int k = 0; ; k += width)
            {
                if (k > count - width) k = count - width;
                var x = Vector128.LoadUnsafe(ref a, (nuint)k);
                var y = Vector128.LoadUnsafe(ref b, (nuint)k);
                (Sse2.IsSupported ? Sse2.UnpackLow(x, y) : AdvSimd.Arm64.ZipLow(x, y)).StoreUnsafe(ref to, (nuint)(2 * k));
                (Sse2.IsSupported ? Sse2.UnpackHigh(x, y) : AdvSimd.Arm64.ZipHigh(x, y)).StoreUnsafe(ref to, (nuint)(2 * k + width));
                if (k == count - width) break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Low(Vector128<byte> a, Vector128<byte> b) => Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> High(Vector128<byte> a, Vector128<byte> b) => Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);

    private static void CheckExtent(int length, int offset, int stride, int count, int pixels, string name)
    {
        if (offset < 0 || stride < 0 || count < 0 || pixels < 0)
            throw new ArgumentOutOfRangeException(name, $"offset {offset}, pixel stride {stride}, count {count} and pixels {pixels} must not be negative");
        if (count == 0 || pixels == 0) return;
        long end = offset + (long)(pixels - 1) * stride + count;
        if (end > length)
            throw new ArgumentOutOfRangeException(name, $"{pixels} pixels of {count} elements at offset {offset}, stride {stride} reach element {end}, past the span's {length}");
    }
}
