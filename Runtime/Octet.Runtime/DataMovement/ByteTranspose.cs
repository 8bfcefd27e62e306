using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// A matrix transpose of bytes, <c>destination[j][i] = source[i][j]</c>: what a relayout between NHWC and rowmajor
/// of an 8-bit tensor is (pixels × channels ↔ channels × pixels). An element loop reads or writes with a stride on one
/// side; here 16 × 16 tiles are loaded as sixteen 16-byte rows and transposed in registers by four rounds of
/// interleaves (8-, 16-, 32-, then 64-bit), so both sides move whole vectors. Edges that do not fill a tile go element
/// by element. Only where bytes land changes, so every path writes the same bytes as the element loop (the specification).
/// </summary>
internal static class ByteTranspose
{
    /// <summary>
    /// Handles a rank-2 <see cref="StridedCopy"/> box with one dimension contiguous in the source and the other in the
    /// destination (positive strides, no overlap); returns false for any other box (the caller copies it element by element).
    /// </summary>
    public static bool TryCopy(ReadOnlySpan<byte> source, int sourceOffset, ReadOnlySpan<int> sourceStrides,
        Span<byte> destination, int destinationOffset, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape)
    {
        if (!Sse2.IsSupported && !AdvSimd.Arm64.IsSupported) return false;
        int columnsDim, rowsDim;
        if (sourceStrides[0] == 1 && destinationStrides[1] == 1) (columnsDim, rowsDim) = (0, 1);
        else if (sourceStrides[1] == 1 && destinationStrides[0] == 1) (columnsDim, rowsDim) = (1, 0);
        else return false;
        int rows = shape[rowsDim], columns = shape[columnsDim];
        int sourceRowStride = sourceStrides[rowsDim], destinationRowStride = destinationStrides[columnsDim];
        if (rows == 3 && destinationRowStride == 3 && columns >= 16 && sourceRowStride >= columns && Vector128.IsHardwareAccelerated)
        {
            // Three planes into interleaved triples: an RGB image's NCHW → NHWC relayout, the first op of most CNNs.
            long planesEnd = sourceOffset + 2L * sourceRowStride + columns;
            if (sourceOffset < 0 || destinationOffset < 0 || planesEnd > source.Length || destinationOffset + 3L * columns > destination.Length)
                throw new ArgumentOutOfRangeException(nameof(shape), $"a 3 × {columns} interleave reaches past the source or destination");
            InterleaveThree(ref Unsafe.Add(ref MemoryMarshal.GetReference(source), sourceOffset), sourceRowStride,
                ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), destinationOffset), columns);
            return true;
        }
        if (rows < 16 || columns < 16 || sourceRowStride < columns || destinationRowStride < rows) return false;
        // The vector reads and writes go through unchecked references: check the two boxes' extents once.
        long sourceEnd = sourceOffset + (long)(rows - 1) * sourceRowStride + columns;
        long destinationEnd = destinationOffset + (long)(columns - 1) * destinationRowStride + rows;
        if (sourceOffset < 0 || destinationOffset < 0 || sourceEnd > source.Length || destinationEnd > destination.Length)
            throw new ArgumentOutOfRangeException(nameof(shape), $"a {rows} × {columns} transpose reaches past the source ({sourceEnd} > {source.Length}) or destination ({destinationEnd} > {destination.Length})");
        Transpose(ref Unsafe.Add(ref MemoryMarshal.GetReference(source), sourceOffset), sourceRowStride,
            ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), destinationOffset), destinationRowStride, rows, columns);
        return true;
    }

    /// <summary>
    /// <c>destination[3j + i] = source[i · sourceStride + j]</c> for i &lt; 3, j &lt; columns: 16 columns of the three rows
    /// become 48 output bytes, each output vector gathered from the three row vectors by byte shuffles (an index past 15
    /// selects 0) and combined with ORs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InterleaveThree(ref byte source, int sourceStride, ref byte destination, int columns)
    {
        // Output byte p of block k (p in 0..15, position q = 16k + p) takes row q % 3, column q / 3.
        var r0 = Vector128.Create((byte)0, 255, 255, 1, 255, 255, 2, 255, 255, 3, 255, 255, 4, 255, 255, 5);
        var g0 = Vector128.Create((byte)255, 0, 255, 255, 1, 255, 255, 2, 255, 255, 3, 255, 255, 4, 255, 255);
        var b0 = Vector128.Create((byte)255, 255, 0, 255, 255, 1, 255, 255, 2, 255, 255, 3, 255, 255, 4, 255);
        var r1 = Vector128.Create((byte)255, 255, 6, 255, 255, 7, 255, 255, 8, 255, 255, 9, 255, 255, 10, 255);
        var g1 = Vector128.Create((byte)5, 255, 255, 6, 255, 255, 7, 255, 255, 8, 255, 255, 9, 255, 255, 10);
        var b1 = Vector128.Create((byte)255, 5, 255, 255, 6, 255, 255, 7, 255, 255, 8, 255, 255, 9, 255, 255);
        var r2 = Vector128.Create((byte)255, 11, 255, 255, 12, 255, 255, 13, 255, 255, 14, 255, 255, 15, 255, 255);
        var g2 = Vector128.Create((byte)255, 255, 11, 255, 255, 12, 255, 255, 13, 255, 255, 14, 255, 255, 15, 255);
        var b2 = Vector128.Create((byte)10, 255, 255, 11, 255, 255, 12, 255, 255, 13, 255, 255, 14, 255, 255, 15);
        int j = 0;
        for (; j <= columns - 16; j += 16)
        {
            var r = Vector128.LoadUnsafe(ref source, (nuint)j);
            var g = Vector128.LoadUnsafe(ref source, (nuint)(sourceStride + j));
            var b = Vector128.LoadUnsafe(ref source, (nuint)(2 * sourceStride + j));
            ref byte output = ref Unsafe.Add(ref destination, 3 * j);
            (Pick(r, r0) | Pick(g, g0) | Pick(b, b0)).StoreUnsafe(ref output);
            (Pick(r, r1) | Pick(g, g1) | Pick(b, b1)).StoreUnsafe(ref output, 16);
            (Pick(r, r2) | Pick(g, g2) | Pick(b, b2)).StoreUnsafe(ref output, 32);
        }
        for (; j < columns; j++)
            for (int i = 0; i < 3; i++)
                Unsafe.Add(ref destination, 3 * j + i) = Unsafe.Add(ref source, i * sourceStride + j);
    }

    /// <summary>Byte i of the result is <paramref name="bytes"/>[<paramref name="indices"/>[i]], or 0 for index 255 (pshufb / tbl).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Pick(Vector128<byte> bytes, Vector128<byte> indices) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(bytes, indices)
        : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.VectorTableLookup(bytes, indices)
        : Vector128.Shuffle(bytes, indices);

    /// <summary><c>destination[j · destinationStride + i] = source[i · sourceStride + j]</c> for i &lt; rows, j &lt; columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(ref byte source, int sourceStride, ref byte destination, int destinationStride, int rows, int columns)
    {
        int i = 0;
        for (; i <= rows - 16; i += 16)
        {
            int j = 0;
            for (; j <= columns - 16; j += 16)
                Tile(ref Unsafe.Add(ref source, (nint)i * sourceStride + j), sourceStride, ref Unsafe.Add(ref destination, (nint)j * destinationStride + i), destinationStride);
            for (; j < columns; j++)
                for (int r = i; r < i + 16; r++)
                    Unsafe.Add(ref destination, (nint)j * destinationStride + r) = Unsafe.Add(ref source, (nint)r * sourceStride + j);
        }
        for (; i < rows; i++)
            for (int j = 0; j < columns; j++)
                Unsafe.Add(ref destination, (nint)j * destinationStride + i) = Unsafe.Add(ref source, (nint)i * sourceStride + j);
    }

    /// <summary>One 16 × 16 tile: rows r (16 bytes each) in, columns out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(ref byte source, int sourceStride, ref byte destination, int destinationStride)
    {
        // Round 1: rows 2k and 2k + 1 interleaved byte by byte; a[2k + h] holds columns 8h..8h + 7 of those two rows as 16-bit pairs.
        var r0 = Load(ref source, 0, sourceStride); var r1 = Load(ref source, 1, sourceStride);
        var r2 = Load(ref source, 2, sourceStride); var r3 = Load(ref source, 3, sourceStride);
        var r4 = Load(ref source, 4, sourceStride); var r5 = Load(ref source, 5, sourceStride);
        var r6 = Load(ref source, 6, sourceStride); var r7 = Load(ref source, 7, sourceStride);
        var r8 = Load(ref source, 8, sourceStride); var r9 = Load(ref source, 9, sourceStride);
        var r10 = Load(ref source, 10, sourceStride); var r11 = Load(ref source, 11, sourceStride);
        var r12 = Load(ref source, 12, sourceStride); var r13 = Load(ref source, 13, sourceStride);
        var r14 = Load(ref source, 14, sourceStride); var r15 = Load(ref source, 15, sourceStride);
        var a0 = Lo8(r0, r1); var a1 = Hi8(r0, r1); var a2 = Lo8(r2, r3); var a3 = Hi8(r2, r3);
        var a4 = Lo8(r4, r5); var a5 = Hi8(r4, r5); var a6 = Lo8(r6, r7); var a7 = Hi8(r6, r7);
        var a8 = Lo8(r8, r9); var a9 = Hi8(r8, r9); var a10 = Lo8(r10, r11); var a11 = Hi8(r10, r11);
        var a12 = Lo8(r12, r13); var a13 = Hi8(r12, r13); var a14 = Lo8(r14, r15); var a15 = Hi8(r14, r15);
        // Round 2: four rows per 32-bit element. bQG: rows 4Q..4Q + 3, columns 4G..4G + 3.
        var b00 = Lo16(a0, a2); var b01 = Hi16(a0, a2); var b02 = Lo16(a1, a3); var b03 = Hi16(a1, a3);
        var b10 = Lo16(a4, a6); var b11 = Hi16(a4, a6); var b12 = Lo16(a5, a7); var b13 = Hi16(a5, a7);
        var b20 = Lo16(a8, a10); var b21 = Hi16(a8, a10); var b22 = Lo16(a9, a11); var b23 = Hi16(a9, a11);
        var b30 = Lo16(a12, a14); var b31 = Hi16(a12, a14); var b32 = Lo16(a13, a15); var b33 = Hi16(a13, a15);
        // Round 3: eight rows per 64-bit element. cOP: rows 8O..8O + 7, columns 2P, 2P + 1.
        var c00 = Lo32(b00, b10); var c01 = Hi32(b00, b10); var c02 = Lo32(b01, b11); var c03 = Hi32(b01, b11);
        var c04 = Lo32(b02, b12); var c05 = Hi32(b02, b12); var c06 = Lo32(b03, b13); var c07 = Hi32(b03, b13);
        var c10 = Lo32(b20, b30); var c11 = Hi32(b20, b30); var c12 = Lo32(b21, b31); var c13 = Hi32(b21, b31);
        var c14 = Lo32(b22, b32); var c15 = Hi32(b22, b32); var c16 = Lo32(b23, b33); var c17 = Hi32(b23, b33);
        // Round 4: all sixteen rows of one column per register.
        Store(Lo64(c00, c10), ref destination, 0, destinationStride); Store(Hi64(c00, c10), ref destination, 1, destinationStride);
        Store(Lo64(c01, c11), ref destination, 2, destinationStride); Store(Hi64(c01, c11), ref destination, 3, destinationStride);
        Store(Lo64(c02, c12), ref destination, 4, destinationStride); Store(Hi64(c02, c12), ref destination, 5, destinationStride);
        Store(Lo64(c03, c13), ref destination, 6, destinationStride); Store(Hi64(c03, c13), ref destination, 7, destinationStride);
        Store(Lo64(c04, c14), ref destination, 8, destinationStride); Store(Hi64(c04, c14), ref destination, 9, destinationStride);
        Store(Lo64(c05, c15), ref destination, 10, destinationStride); Store(Hi64(c05, c15), ref destination, 11, destinationStride);
        Store(Lo64(c06, c16), ref destination, 12, destinationStride); Store(Hi64(c06, c16), ref destination, 13, destinationStride);
        Store(Lo64(c07, c17), ref destination, 14, destinationStride); Store(Hi64(c07, c17), ref destination, 15, destinationStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Load(ref byte origin, int row, int stride) => Vector128.LoadUnsafe(ref origin, (nuint)((nint)row * stride));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<byte> value, ref byte origin, int row, int stride) => value.StoreUnsafe(ref origin, (nuint)((nint)row * stride));

    // Interleaves of the low or high halves of two registers at 8-, 16-, 32- and 64-bit granularity (punpckl/h*, zip1/zip2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lo8(Vector128<byte> a, Vector128<byte> b) =>
        Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Hi8(Vector128<byte> a, Vector128<byte> b) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lo16(Vector128<byte> a, Vector128<byte> b) =>
        (Sse2.IsSupported ? Sse2.UnpackLow(a.AsUInt16(), b.AsUInt16()) : AdvSimd.Arm64.ZipLow(a.AsUInt16(), b.AsUInt16())).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Hi16(Vector128<byte> a, Vector128<byte> b) =>
        (Sse2.IsSupported ? Sse2.UnpackHigh(a.AsUInt16(), b.AsUInt16()) : AdvSimd.Arm64.ZipHigh(a.AsUInt16(), b.AsUInt16())).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lo32(Vector128<byte> a, Vector128<byte> b) =>
        (Sse2.IsSupported ? Sse2.UnpackLow(a.AsUInt32(), b.AsUInt32()) : AdvSimd.Arm64.ZipLow(a.AsUInt32(), b.AsUInt32())).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Hi32(Vector128<byte> a, Vector128<byte> b) =>
        (Sse2.IsSupported ? Sse2.UnpackHigh(a.AsUInt32(), b.AsUInt32()) : AdvSimd.Arm64.ZipHigh(a.AsUInt32(), b.AsUInt32())).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lo64(Vector128<byte> a, Vector128<byte> b) =>
        (Sse2.IsSupported ? Sse2.UnpackLow(a.AsUInt64(), b.AsUInt64()) : AdvSimd.Arm64.ZipLow(a.AsUInt64(), b.AsUInt64())).AsByte();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Hi64(Vector128<byte> a, Vector128<byte> b) =>
        (Sse2.IsSupported ? Sse2.UnpackHigh(a.AsUInt64(), b.AsUInt64()) : AdvSimd.Arm64.ZipHigh(a.AsUInt64(), b.AsUInt64())).AsByte();
}
