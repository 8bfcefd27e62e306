using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime.Int8;

/// <summary>
/// The window geometry of a 2-D convolution over an NHWC input: what <see cref="PatchRows"/> needs to find each output
/// pixel's taps. Built once per op by generated code from constants.
/// </summary>
public readonly record struct PatchWindow(
    int Height, int Width, int Channels, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PadTop, int PadLeft, int DilationHeight, int DilationWidth, int OutputHeight, int OutputWidth)
{
    /// <summary>Values in one pixel's window: KH · KW · C.</summary>
    public int Length => KernelHeight * KernelWidth * Channels;
}

/// <summary>
/// Gathers convolution windows into matrix rows (im2row) for the int8 GEMM: row i holds output pixel
/// <c>first + i</c>'s taps in [kh][kw][c] order (the OHWI weight row order), taps in the padding set to the pad value
/// (x_zero_point), and nothing written past <see cref="PatchWindow.Length"/> in each row.
/// <para>
/// Why a kernel: with few input channels (a 3-channel image) a kernel row is a handful of bytes, and the generated
/// per-tap <c>Span.CopyTo</c> calls cost more than the convolution's dot products. Here a kernel row wholly inside the
/// input is one copy of KW · C contiguous bytes done with overlapping unaligned loads and stores, and the pixel
/// coordinates advance incrementally instead of being divided out per pixel. <see cref="GatherScalar{T}"/> is the
/// specification; <see cref="Gather{T}"/> writes the same bytes.
/// </para>
/// </summary>
public static class PatchRows
{
    /// <summary>Rows for output pixels [<paramref name="first"/>, first + <paramref name="count"/>), row i at i · <paramref name="rowStride"/>.</summary>
    public static void Gather(ReadOnlySpan<sbyte> x, in PatchWindow window, sbyte padValue, int first, int count, Span<sbyte> rows, int rowStride) =>
        Gather<sbyte>(x, window, padValue, first, count, rows, rowStride);

    /// <inheritdoc cref="Gather(ReadOnlySpan{sbyte}, in PatchWindow, sbyte, int, int, Span{sbyte}, int)"/>
    public static void Gather(ReadOnlySpan<byte> x, in PatchWindow window, byte padValue, int first, int count, Span<byte> rows, int rowStride) =>
        Gather<byte>(x, window, padValue, first, count, rows, rowStride);

    private static void Check<T>(ReadOnlySpan<T> x, in PatchWindow window, int first, int count, Span<T> rows, int rowStride) where T : unmanaged
    {
        long pixels = (long)window.OutputHeight * window.OutputWidth;
        long images = pixels == 0 ? 0 : x.Length / ((long)window.Height * window.Width * window.Channels);
        if (count < 0 || first < 0 || rowStride < window.Length || (count > 0 && ((long)(count - 1) * rowStride + window.Length > rows.Length
                                                                             || first + count > images * pixels)))
            throw new ArgumentException($"PatchRows: pixels [{first}, {first + count}) of {images} images of {pixels} pixels " +
                                        $"into rows of {window.Length} at stride {rowStride} ({rows.Length} values) do not fit");
    }

    /// <summary>The specification: every tap on its own.</summary>
    internal static void GatherScalar<T>(ReadOnlySpan<T> x, in PatchWindow window, T padValue, int first, int count, Span<T> rows, int rowStride) where T : unmanaged
    {
        Check(x, window, first, count, rows, rowStride);
        var w = window;
        for (int i = 0; i < count; i++)
        {
            int pixel = first + i;
            int n = pixel / (w.OutputHeight * w.OutputWidth), oh = pixel / w.OutputWidth % w.OutputHeight, ow = pixel % w.OutputWidth;
            for (int kh = 0; kh < w.KernelHeight; kh++)
                for (int kw = 0; kw < w.KernelWidth; kw++)
                {
                    int ih = oh * w.StrideHeight - w.PadTop + kh * w.DilationHeight;
                    int iw = ow * w.StrideWidth - w.PadLeft + kw * w.DilationWidth;
                    bool inside = (uint)ih < (uint)w.Height && (uint)iw < (uint)w.Width;
                    for (int c = 0; c < w.Channels; c++)
                        rows[i * rowStride + (kh * w.KernelWidth + kw) * w.Channels + c] =
                            inside ? x[((n * w.Height + ih) * w.Width + iw) * w.Channels + c] : padValue;
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Gather<T>(ReadOnlySpan<T> x, in PatchWindow window, T padValue, int first, int count, Span<T> rows, int rowStride) where T : unmanaged
    {
        Check(x, window, first, count, rows, rowStride);
        if (count == 0) return;
        var w = window;
        ref byte px = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(x));
        ref byte pr = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(rows));
        byte pad = Unsafe.As<T, byte>(ref padValue);
        int c = w.Channels, kernelRow = w.KernelWidth * c;
        int pixels = w.OutputHeight * w.OutputWidth;
        int n = first / pixels, oh = first / w.OutputWidth % w.OutputHeight, ow = first % w.OutputWidth;
        for (int i = 0; i < count; i++)
        {
            ref byte row = ref Unsafe.Add(ref pr, i * rowStride);
            int iw0 = ow * w.StrideWidth - w.PadLeft;
            bool rowsInside = w.DilationWidth == 1 && iw0 >= 0 && iw0 + w.KernelWidth <= w.Width;
            for (int kh = 0; kh < w.KernelHeight; kh++)
            {
                ref byte taps = ref Unsafe.Add(ref row, kh * kernelRow);
                int ih = oh * w.StrideHeight - w.PadTop + kh * w.DilationHeight;
                if ((uint)ih >= (uint)w.Height)
                {
                    Unsafe.InitBlockUnaligned(ref taps, pad, (uint)kernelRow);
                    continue;
                }
                ref byte inputRow = ref Unsafe.Add(ref px, (n * w.Height + ih) * w.Width * c);
                if (rowsInside)
                {
                    CopySmall(ref taps, ref Unsafe.Add(ref inputRow, iw0 * c), kernelRow);
                    continue;
                }
                for (int kw = 0; kw < w.KernelWidth; kw++)
                {
                    int iw = iw0 + kw * w.DilationWidth;
                    if ((uint)iw < (uint)w.Width) CopySmall(ref Unsafe.Add(ref taps, kw * c), ref Unsafe.Add(ref inputRow, iw * c), c);
                    else Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref taps, kw * c), pad, (uint)c);
                }
            }
            if (++ow == w.OutputWidth)
            {
                ow = 0;
                if (++oh == w.OutputHeight) { oh = 0; n++; }
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes with unaligned loads and stores that may overlap each other (never the
    /// bytes outside [0, length)): a 9-byte kernel row is two 8-byte moves instead of a call to memmove.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopySmall(ref byte destination, ref byte source, int length)
    {
        if (length >= 16)
        {
            int offset = 0;
            for (; offset + 16 <= length; offset += 16)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, offset), Unsafe.ReadUnaligned<System.Runtime.Intrinsics.Vector128<byte>>(ref Unsafe.Add(ref source, offset)));
            if (offset < length)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 16), Unsafe.ReadUnaligned<System.Runtime.Intrinsics.Vector128<byte>>(ref Unsafe.Add(ref source, length - 16)));
        }
        else if (length >= 8)
        {
            ulong head = Unsafe.ReadUnaligned<ulong>(ref source), tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 8), tail);
        }
        else if (length >= 4)
        {
            uint head = Unsafe.ReadUnaligned<uint>(ref source), tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, length - 4));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 4), tail);
        }
        else
            for (int i = 0; i < length; i++) Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
    }
}
