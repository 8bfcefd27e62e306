using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// im2col for float32 NHWC convolutions: the rows that turn a k×k convolution into a matrix product with OHWI filters.
/// Row i of the patch is output pixel <c>first + i</c> (pixels numbered (n·outH + oh)·outW + ow), laid out as kernel
/// rows × taps × channels (the OHWI order of one filter); taps that land in the padding are zero.
/// </summary>
/// <remarks>
/// A copy, so there is nothing to round: the patch holds exactly the input's values and zeros. With dilation 1 along
/// W, the taps of one kernel row are adjacent input pixels, so each kernel row is one run of kw·C floats; short runs
/// (the 1- and 3-channel first layers: 5 or 9 floats) are copied with one or two overlapping vector moves rather than
/// a general memory copy, whose call costs more than the move itself.
/// </remarks>
public static class FloatIm2Col
{
    /// <summary>Writes the patch rows of output pixels [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>).</summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatherNhwc(ReadOnlySpan<float> x, int inH, int inW, int channels, int outH, int outW,
                                  int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
                                  int padTop, int padLeft, int first, int count, Span<float> patch)
    {
        if (inH < 1 || inW < 1 || channels < 1 || outH < 1 || outW < 1 || kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 ||
            dilationH < 1 || dilationW < 1 || padTop < 0 || padLeft < 0 || first < 0 || count < 0)
            throw new ArgumentException("FloatIm2Col: sizes, strides and dilations must be positive, pads and pixel numbers non-negative");
        int rowLength = kernelW * channels, filter = kernelH * rowLength;
        long images = ((long)first + count + (long)outH * outW - 1) / ((long)outH * outW);
        if (images * inH * inW * channels > x.Length)
            throw new ArgumentException($"FloatIm2Col: x holds {x.Length} floats; {images} image(s) of {inH}x{inW}x{channels} need {images * inH * inW * channels}", nameof(x));
        if ((long)count * filter > patch.Length)
            throw new ArgumentException($"FloatIm2Col: patch holds {patch.Length} floats; {count} rows of {filter} need {(long)count * filter}", nameof(patch));

        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pPatch = ref MemoryMarshal.GetReference(patch);
        int plane = outH * outW;
        // Position of the first pixel; the next ones step along W, wrapping to the next output row and image
        // (counters rather than a division per pixel, which would cost more than a short row's copy).
        int n = first / plane, oh = first % plane / outW, ow = first % outW;
        for (int i = 0; i < count; i++, ow++)
        {
            if (ow == outW)
            {
                ow = 0;
                if (++oh == outH)
                {
                    oh = 0;
                    n++;
                }
            }
            int ihOrigin = oh * strideH - padTop, iwOrigin = ow * strideW - padLeft;
            ref float row = ref Unsafe.Add(ref pPatch, (nint)i * filter);
            for (int kh = 0; kh < kernelH; kh++)
            {
                ref float run = ref Unsafe.Add(ref row, kh * rowLength);
                int ih = ihOrigin + kh * dilationH;
                if ((uint)ih >= (uint)inH)
                {
                    MemoryMarshal.CreateSpan(ref run, rowLength).Clear();
                    continue;
                }
                ref float inputRow = ref Unsafe.Add(ref px, ((nint)n * inH + ih) * inW * channels);
                if (dilationW == 1)
                {
                    // Taps [firstTap, lastTap) are inside the input; the others are padding.
                    int firstTap = Math.Max(0, -iwOrigin), lastTap = Math.Min(kernelW, inW - iwOrigin);
                    if (lastTap <= firstTap)
                    {
                        MemoryMarshal.CreateSpan(ref run, rowLength).Clear();
                        continue;
                    }
                    if (firstTap > 0) MemoryMarshal.CreateSpan(ref run, firstTap * channels).Clear();
                    Copy(ref Unsafe.Add(ref inputRow, (iwOrigin + firstTap) * channels), ref Unsafe.Add(ref run, firstTap * channels), (lastTap - firstTap) * channels);
                    if (lastTap < kernelW) MemoryMarshal.CreateSpan(ref Unsafe.Add(ref run, lastTap * channels), (kernelW - lastTap) * channels).Clear();
                    continue;
                }
                for (int kw = 0; kw < kernelW; kw++)
                {
                    int iw = iwOrigin + kw * dilationW;
                    ref float tap = ref Unsafe.Add(ref run, kw * channels);
                    if ((uint)iw < (uint)inW) Copy(ref Unsafe.Add(ref inputRow, iw * channels), ref tap, channels);
                    else MemoryMarshal.CreateSpan(ref tap, channels).Clear();
                }
            }
        }
    }

    /// <summary>Copies <paramref name="length"/> floats between non-overlapping places; short runs by overlapping vector moves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ref float source, ref float destination, int length)
    {
        if (length > 16 || !Vector128.IsHardwareAccelerated)
        {
            MemoryMarshal.CreateReadOnlySpan(ref source, length).CopyTo(MemoryMarshal.CreateSpan(ref destination, length));
            return;
        }
        if (length >= 8 && Vector256.IsHardwareAccelerated)
        {
            // [0, 8) and [length − 8, length): together every element, the overlap written twice with the same value.
            var head = Vector256.LoadUnsafe(ref source);
            var tail = Vector256.LoadUnsafe(ref source, (nuint)(length - 8));
            head.StoreUnsafe(ref destination);
            tail.StoreUnsafe(ref destination, (nuint)(length - 8));
            return;
        }
        if (length >= 4)
        {
            int at = 0;
            for (; at + 4 < length; at += 4) Vector128.LoadUnsafe(ref source, (nuint)at).StoreUnsafe(ref destination, (nuint)at);
            Vector128.LoadUnsafe(ref source, (nuint)(length - 4)).StoreUnsafe(ref destination, (nuint)(length - 4));
            return;
        }
        for (int i = 0; i < length; i++) Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
    }
}
