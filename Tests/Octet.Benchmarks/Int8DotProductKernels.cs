using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;

namespace Octet.Benchmarks;

/// <summary>
/// Benchmark-only int8 GEMM micro-kernels that do the job of <see cref="Int8Gemm.Multiply(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, Span{int}, int)"/>
/// (uint8 activation rows × int8 weight rows, exact int32 sums, output channels in panels of 16) with the other ways
/// of building an exact int8 dot product on x86, so that <see cref="Int8DotProductBenchmarks"/> can time them side by side:
/// <list type="bullet">
/// <item><b>7-bit weights, <c>vpmaddubsw</c> + <c>vpmaddwd</c>(ones)</b> (<see cref="MultiplyQuads256{TDot}"/> /
/// <see cref="MultiplyQuads512{TDot}"/> with <see cref="SevenBit256"/> / <see cref="SevenBit512"/>). <c>vpmaddubsw</c>
/// multiplies unsigned bytes a by signed bytes w and adds adjacent pairs into an int16 with signed saturation:
/// <c>sat16(a0·w0 + a1·w1)</c>. With a ∈ [0, 255] and w ∈ [w_min, w_max] the pair sum lies in
/// [2·255·w_min, 2·255·w_max]; it is exact iff 2·255·w_max ≤ 32767 (w_max ≤ 64.25) and 2·255·w_min ≥ −32768
/// (w_min ≥ −64.25), i.e. iff every weight is in [−64, 64]; the 7-bit two's-complement range [−64, 63] is inside it
/// (worst pair sums ±32640). Full int8 weights are not: 255·(−128)·2 = −65280 saturates to −32768. <c>vpmaddwd</c>
/// against ones then adds the two int16 pair sums of each 32-bit lane exactly (|sum| ≤ 65280), so each lane gets
/// a0·w0 + a1·w1 + a2·w2 + a3·w3 — the same lane contents as <c>vpdpbusd</c>, which is why these kernels read the same
/// four-values-per-lane panel as the runtime's VNNI kernel and differ from it only in that one step.</item>
/// <item><b>Exact widening to 16 bits, <c>vpmaddwd</c></b> (<see cref="MultiplyPairs256"/> / <see cref="MultiplyPairs512"/>):
/// weights are pre-widened to int16 when the panel is packed and each block of activation rows is widened to int16
/// once into scratch (timed), so the inner loop is one broadcast and one <c>vpmaddwd</c> + <c>vpaddd</c> per 16
/// products — the best case for widening. The runtime's own AVX2 fallback, <c>Int8Gemm.MultiplyWidening</c> (one row
/// at a time, weights widened at every use), is reached through <see cref="ShippedWidening"/>.</item>
/// </list>
/// All kernels block rows as the runtime's VNNI kernel does (chunks of <see cref="RowChunk"/> rows, per 16-channel
/// panel 6 rows × 2 vectors on 256 bits, 12 rows × 1 vector on 512 bits) so the comparison is of the arithmetic,
/// not of the loop structure. Results are row-major <c>[rows][channels]</c>.
/// </summary>
internal static class Int8DotProductKernels
{
    /// <summary>Activation rows kept hot in L1 while every 16-channel panel passes over them (a multiple of 6 and 12).</summary>
    public const int RowChunk = 48;

    /// <summary>Output channels per panel, as in the runtime.</summary>
    public const int Channels = 16;

    /// <summary>Values of one 32-bit lane in the byte (quad) panels.</summary>
    public static int PaddedDepth(int depth) => (depth + 3) & ~3;

    /// <summary>The plain sum of products: <c>result[r, j] = Σ_k a[r, k] · w[j, k]</c>, the specification every kernel is checked against.</summary>
    public static void MultiplyScalar(byte[] a, int rows, int rowStride, sbyte[] w, int depth, int channels, int[] result)
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < channels; j++)
            {
                int sum = 0;
                for (int k = 0; k < depth; k++) sum += a[r * rowStride + k] * w[j * depth + k];
                result[r * channels + j] = sum;
            }
    }

    // ---------- four values per 32-bit lane (vpmaddubsw + vpmaddwd, vpdpbusd) ----------

    /// <summary>One accumulate step on 256 bits: each int32 lane += Σ of its four u8 × s8 products.</summary>
    public interface IQuadDot256
    {
        static abstract Vector256<int> Dot(Vector256<int> sum, Vector256<byte> activations, Vector256<sbyte> weights);
    }

    /// <summary>As <see cref="IQuadDot256"/> on 512 bits.</summary>
    public interface IQuadDot512
    {
        static abstract Vector512<int> Dot(Vector512<int> sum, Vector512<byte> activations, Vector512<sbyte> weights);
    }

    /// <summary><c>vpmaddubsw</c>, <c>vpmaddwd</c> with ones, <c>vpaddd</c>: exact only for weights in [−64, 64] (see the class summary).</summary>
    public readonly struct SevenBit256 : IQuadDot256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> sum, Vector256<byte> activations, Vector256<sbyte> weights) =>
            sum + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(activations, weights), Vector256<short>.One);
    }

    /// <summary>As <see cref="SevenBit256"/> with AVX-512BW.</summary>
    public readonly struct SevenBit512 : IQuadDot512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> Dot(Vector512<int> sum, Vector512<byte> activations, Vector512<sbyte> weights) =>
            sum + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(activations, weights), Vector512<short>.One);
    }

    /// <summary>AVX-VNNI <c>vpdpbusd</c> (exact for any int8 weight): the runtime's step, to check this file's loop structure against it.</summary>
    public readonly struct Vnni256 : IQuadDot256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> sum, Vector256<byte> activations, Vector256<sbyte> weights) =>
            AvxVnni.MultiplyWideningAndAdd(sum, activations, weights);
    }

    /// <summary>
    /// Packs <c>w</c> (<c>[channels][depth]</c>) for <see cref="MultiplyQuads512{TDot}"/>: panels of 16 channels, each
    /// <c>[depth/4][16 channels][4 values]</c>, zero padding (a 64-byte vector per group of four depth values).
    /// The 256-bit kernel reads the runtime's own panel (<see cref="Int8Gemm.PackPanel"/>, 8-channel blocks).
    /// </summary>
    public static byte[] PackQuads16(sbyte[] w, int depth, int channels)
    {
        int padded = PaddedDepth(depth);
        int panels = (channels + Channels - 1) / Channels;
        var panel = new byte[panels * Channels * padded];
        for (int j = 0; j < channels; j++)
            for (int k = 0; k < depth; k++)
                panel[(j / Channels) * Channels * padded + (k >> 2) * 64 + (j % Channels) * 4 + (k & 3)] = (byte)w[j * depth + k];
        return panel;
    }

    /// <summary>
    /// 256 bits, 6 rows × 16 channels per step over the runtime's panel layout (<see cref="Int8Gemm.PackPanel"/> for uint8
    /// activations: 8-channel blocks <c>[depth/4][8][4]</c>). <paramref name="a"/> rows are <paramref name="rowStride"/> ≥ padded depth apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyQuads256<TDot>(byte[] a, int rows, int rowStride, int depth, byte[] panel, int channels, int[] result)
        where TDot : struct, IQuadDot256
    {
        int groups = PaddedDepth(depth) >> 2;
        int blockBytes = groups * 32;
        ref byte pa = ref MemoryMarshal.GetArrayDataReference(a);
        ref byte pw = ref MemoryMarshal.GetArrayDataReference(panel);
        ref int pr = ref MemoryMarshal.GetArrayDataReference(result);
        for (int r0 = 0; r0 < rows; r0 += RowChunk)
        {
            int chunkEnd = Math.Min(rows, r0 + RowChunk);
            for (int j0 = 0; j0 < channels; j0 += Channels)
            {
                ref byte w0 = ref Unsafe.Add(ref pw, (j0 >> 3) * blockBytes);
                ref byte w1 = ref Unsafe.Add(ref w0, blockBytes);
                int live = Math.Min(Channels, channels - j0);
                int r = r0;
                for (; r + 6 <= chunkEnd; r += 6)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, r * rowStride);
                    ref byte a1 = ref Unsafe.Add(ref a0, rowStride);
                    ref byte a2 = ref Unsafe.Add(ref a1, rowStride);
                    ref byte a3 = ref Unsafe.Add(ref a2, rowStride);
                    ref byte a4 = ref Unsafe.Add(ref a3, rowStride);
                    ref byte a5 = ref Unsafe.Add(ref a4, rowStride);
                    Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                    Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                    for (int g = 0; g < groups; g++)
                    {
                        var v0 = Vector256.LoadUnsafe(ref w0, (nuint)(g * 32)).AsSByte();
                        var v1 = Vector256.LoadUnsafe(ref w1, (nuint)(g * 32)).AsSByte();
                        var x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4))).AsByte();
                        c00 = TDot.Dot(c00, x, v0);
                        c01 = TDot.Dot(c01, x, v1);
                        x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a1, g * 4))).AsByte();
                        c10 = TDot.Dot(c10, x, v0);
                        c11 = TDot.Dot(c11, x, v1);
                        x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a2, g * 4))).AsByte();
                        c20 = TDot.Dot(c20, x, v0);
                        c21 = TDot.Dot(c21, x, v1);
                        x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a3, g * 4))).AsByte();
                        c30 = TDot.Dot(c30, x, v0);
                        c31 = TDot.Dot(c31, x, v1);
                        x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a4, g * 4))).AsByte();
                        c40 = TDot.Dot(c40, x, v0);
                        c41 = TDot.Dot(c41, x, v1);
                        x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a5, g * 4))).AsByte();
                        c50 = TDot.Dot(c50, x, v0);
                        c51 = TDot.Dot(c51, x, v1);
                    }
                    ref int out0 = ref Unsafe.Add(ref pr, r * channels + j0);
                    Store(ref out0, c00, c01, live);
                    Store(ref Unsafe.Add(ref out0, channels), c10, c11, live);
                    Store(ref Unsafe.Add(ref out0, 2 * channels), c20, c21, live);
                    Store(ref Unsafe.Add(ref out0, 3 * channels), c30, c31, live);
                    Store(ref Unsafe.Add(ref out0, 4 * channels), c40, c41, live);
                    Store(ref Unsafe.Add(ref out0, 5 * channels), c50, c51, live);
                }
                for (; r < chunkEnd; r++)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, r * rowStride);
                    Vector256<int> c00 = default, c01 = default;
                    for (int g = 0; g < groups; g++)
                    {
                        var x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4))).AsByte();
                        c00 = TDot.Dot(c00, x, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32)).AsSByte());
                        c01 = TDot.Dot(c01, x, Vector256.LoadUnsafe(ref w1, (nuint)(g * 32)).AsSByte());
                    }
                    Store(ref Unsafe.Add(ref pr, r * channels + j0), c00, c01, live);
                }
            }
        }
    }

    /// <summary>512 bits, 12 rows × 16 channels per step over <see cref="PackQuads16"/> panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyQuads512<TDot>(byte[] a, int rows, int rowStride, int depth, byte[] panel, int channels, int[] result)
        where TDot : struct, IQuadDot512
    {
        int groups = PaddedDepth(depth) >> 2;
        int panelBytes = groups * 64;
        ref byte pa = ref MemoryMarshal.GetArrayDataReference(a);
        ref byte pw = ref MemoryMarshal.GetArrayDataReference(panel);
        ref int pr = ref MemoryMarshal.GetArrayDataReference(result);
        for (int r0 = 0; r0 < rows; r0 += RowChunk)
        {
            int chunkEnd = Math.Min(rows, r0 + RowChunk);
            for (int j0 = 0; j0 < channels; j0 += Channels)
            {
                ref byte w = ref Unsafe.Add(ref pw, (j0 / Channels) * panelBytes);
                int live = Math.Min(Channels, channels - j0);
                int r = r0;
                for (; r + 12 <= chunkEnd; r += 12)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, r * rowStride);
                    Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
                    Vector512<int> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
                    for (int g = 0; g < groups; g++)
                    {
                        var v = Vector512.LoadUnsafe(ref w, (nuint)(g * 64)).AsSByte();
                        ref byte column = ref Unsafe.Add(ref a0, g * 4);
                        c0 = TDot.Dot(c0, Broadcast512(ref column, 0), v);
                        c1 = TDot.Dot(c1, Broadcast512(ref column, rowStride), v);
                        c2 = TDot.Dot(c2, Broadcast512(ref column, 2 * rowStride), v);
                        c3 = TDot.Dot(c3, Broadcast512(ref column, 3 * rowStride), v);
                        c4 = TDot.Dot(c4, Broadcast512(ref column, 4 * rowStride), v);
                        c5 = TDot.Dot(c5, Broadcast512(ref column, 5 * rowStride), v);
                        c6 = TDot.Dot(c6, Broadcast512(ref column, 6 * rowStride), v);
                        c7 = TDot.Dot(c7, Broadcast512(ref column, 7 * rowStride), v);
                        c8 = TDot.Dot(c8, Broadcast512(ref column, 8 * rowStride), v);
                        c9 = TDot.Dot(c9, Broadcast512(ref column, 9 * rowStride), v);
                        c10 = TDot.Dot(c10, Broadcast512(ref column, 10 * rowStride), v);
                        c11 = TDot.Dot(c11, Broadcast512(ref column, 11 * rowStride), v);
                    }
                    ref int out0 = ref Unsafe.Add(ref pr, r * channels + j0);
                    Store(ref out0, c0, live);
                    Store(ref Unsafe.Add(ref out0, channels), c1, live);
                    Store(ref Unsafe.Add(ref out0, 2 * channels), c2, live);
                    Store(ref Unsafe.Add(ref out0, 3 * channels), c3, live);
                    Store(ref Unsafe.Add(ref out0, 4 * channels), c4, live);
                    Store(ref Unsafe.Add(ref out0, 5 * channels), c5, live);
                    Store(ref Unsafe.Add(ref out0, 6 * channels), c6, live);
                    Store(ref Unsafe.Add(ref out0, 7 * channels), c7, live);
                    Store(ref Unsafe.Add(ref out0, 8 * channels), c8, live);
                    Store(ref Unsafe.Add(ref out0, 9 * channels), c9, live);
                    Store(ref Unsafe.Add(ref out0, 10 * channels), c10, live);
                    Store(ref Unsafe.Add(ref out0, 11 * channels), c11, live);
                }
                for (; r < chunkEnd; r++)
                {
                    ref byte column = ref Unsafe.Add(ref pa, r * rowStride);
                    Vector512<int> c0 = default;
                    for (int g = 0; g < groups; g++)
                        c0 = TDot.Dot(c0, Broadcast512(ref column, g * 4), Vector512.LoadUnsafe(ref w, (nuint)(g * 64)).AsSByte());
                    Store(ref Unsafe.Add(ref pr, r * channels + j0), c0, live);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Broadcast512(ref byte source, int offset) =>
        Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref source, offset))).AsByte();

    // ---------- two int16 values per 32-bit lane (exact widening, vpmaddwd) ----------

    /// <summary>
    /// Packs <c>w</c> (<c>[channels][depth]</c>) widened to int16 for <see cref="MultiplyPairs256"/> and
    /// <see cref="MultiplyPairs512"/>: panels of 16 channels, each <c>[paddedDepth/2][16 channels][2 values]</c>
    /// (32 int16 = two 256-bit or one 512-bit vector per pair of depth values), zero padding.
    /// </summary>
    public static short[] PackPairs16(sbyte[] w, int depth, int channels)
    {
        int padded = PaddedDepth(depth);
        int panels = (channels + Channels - 1) / Channels;
        var panel = new short[panels * Channels * padded];
        for (int j = 0; j < channels; j++)
            for (int k = 0; k < depth; k++)
                panel[(j / Channels) * Channels * padded + (k >> 1) * 32 + (j % Channels) * 2 + (k & 1)] = w[j * depth + k];
        return panel;
    }

    /// <summary>Scratch for one chunk of activation rows widened to int16 (<see cref="RowChunk"/> × padded depth values).</summary>
    public static short[] CreateWideScratch(int depth) => new short[RowChunk * PaddedDepth(depth)];

    /// <summary>Rows [r0, r0 + count) of <paramref name="a"/> zero-extended to int16 into <paramref name="wide"/> (row stride = padded depth).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenRows(byte[] a, int r0, int count, int rowStride, int padded, short[] wide)
    {
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<byte> source = a.AsSpan((r0 + r) * rowStride, padded);
            Span<short> target = wide.AsSpan(r * padded, padded);
            int k = 0;
            for (; k + 16 <= padded; k += 16)
                Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)k))
                    .StoreUnsafe(ref MemoryMarshal.GetReference(target), (nuint)k);
            for (; k < padded; k++) target[k] = source[k];
        }
    }

    /// <summary>256 bits, 6 rows × 16 channels per step: broadcast two int16 activations, <c>vpmaddwd</c> against two int16 weights of 8 channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPairs256(byte[] a, int rows, int rowStride, int depth, short[] panel, int channels, short[] wide, int[] result)
    {
        int padded = PaddedDepth(depth);
        int pairs = padded >> 1;
        ref short pw = ref MemoryMarshal.GetArrayDataReference(panel);
        ref int pr = ref MemoryMarshal.GetArrayDataReference(result);
        ref short px = ref MemoryMarshal.GetArrayDataReference(wide);
        for (int r0 = 0; r0 < rows; r0 += RowChunk)
        {
            int chunk = Math.Min(RowChunk, rows - r0);
            WidenRows(a, r0, chunk, rowStride, padded, wide);
            for (int j0 = 0; j0 < channels; j0 += Channels)
            {
                ref short w = ref Unsafe.Add(ref pw, (j0 / Channels) * Channels * padded);
                int live = Math.Min(Channels, channels - j0);
                int r = 0;
                for (; r + 6 <= chunk; r += 6)
                {
                    ref short a0 = ref Unsafe.Add(ref px, r * padded);
                    Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                    Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                    for (int p = 0; p < pairs; p++)
                    {
                        var v0 = Vector256.LoadUnsafe(ref w, (nuint)(p * 32));
                        var v1 = Vector256.LoadUnsafe(ref w, (nuint)(p * 32 + 16));
                        ref short column = ref Unsafe.Add(ref a0, p * 2);
                        var x = Broadcast256(ref column, 0);
                        c00 += Avx2.MultiplyAddAdjacent(x, v0);
                        c01 += Avx2.MultiplyAddAdjacent(x, v1);
                        x = Broadcast256(ref column, padded);
                        c10 += Avx2.MultiplyAddAdjacent(x, v0);
                        c11 += Avx2.MultiplyAddAdjacent(x, v1);
                        x = Broadcast256(ref column, 2 * padded);
                        c20 += Avx2.MultiplyAddAdjacent(x, v0);
                        c21 += Avx2.MultiplyAddAdjacent(x, v1);
                        x = Broadcast256(ref column, 3 * padded);
                        c30 += Avx2.MultiplyAddAdjacent(x, v0);
                        c31 += Avx2.MultiplyAddAdjacent(x, v1);
                        x = Broadcast256(ref column, 4 * padded);
                        c40 += Avx2.MultiplyAddAdjacent(x, v0);
                        c41 += Avx2.MultiplyAddAdjacent(x, v1);
                        x = Broadcast256(ref column, 5 * padded);
                        c50 += Avx2.MultiplyAddAdjacent(x, v0);
                        c51 += Avx2.MultiplyAddAdjacent(x, v1);
                    }
                    ref int out0 = ref Unsafe.Add(ref pr, (r0 + r) * channels + j0);
                    Store(ref out0, c00, c01, live);
                    Store(ref Unsafe.Add(ref out0, channels), c10, c11, live);
                    Store(ref Unsafe.Add(ref out0, 2 * channels), c20, c21, live);
                    Store(ref Unsafe.Add(ref out0, 3 * channels), c30, c31, live);
                    Store(ref Unsafe.Add(ref out0, 4 * channels), c40, c41, live);
                    Store(ref Unsafe.Add(ref out0, 5 * channels), c50, c51, live);
                }
                for (; r < chunk; r++)
                {
                    ref short column = ref Unsafe.Add(ref px, r * padded);
                    Vector256<int> c00 = default, c01 = default;
                    for (int p = 0; p < pairs; p++)
                    {
                        var x = Broadcast256(ref column, p * 2);
                        c00 += Avx2.MultiplyAddAdjacent(x, Vector256.LoadUnsafe(ref w, (nuint)(p * 32)));
                        c01 += Avx2.MultiplyAddAdjacent(x, Vector256.LoadUnsafe(ref w, (nuint)(p * 32 + 16)));
                    }
                    Store(ref Unsafe.Add(ref pr, (r0 + r) * channels + j0), c00, c01, live);
                }
            }
        }
    }

    /// <summary>512 bits, 12 rows × 16 channels per step: as <see cref="MultiplyPairs256"/> with one vector per pair of depth values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPairs512(byte[] a, int rows, int rowStride, int depth, short[] panel, int channels, short[] wide, int[] result)
    {
        int padded = PaddedDepth(depth);
        int pairs = padded >> 1;
        ref short pw = ref MemoryMarshal.GetArrayDataReference(panel);
        ref int pr = ref MemoryMarshal.GetArrayDataReference(result);
        ref short px = ref MemoryMarshal.GetArrayDataReference(wide);
        for (int r0 = 0; r0 < rows; r0 += RowChunk)
        {
            int chunk = Math.Min(RowChunk, rows - r0);
            WidenRows(a, r0, chunk, rowStride, padded, wide);
            for (int j0 = 0; j0 < channels; j0 += Channels)
            {
                ref short w = ref Unsafe.Add(ref pw, (j0 / Channels) * Channels * padded);
                int live = Math.Min(Channels, channels - j0);
                int r = 0;
                for (; r + 12 <= chunk; r += 12)
                {
                    ref short a0 = ref Unsafe.Add(ref px, r * padded);
                    Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
                    Vector512<int> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
                    for (int p = 0; p < pairs; p++)
                    {
                        var v = Vector512.LoadUnsafe(ref w, (nuint)(p * 32));
                        ref short column = ref Unsafe.Add(ref a0, p * 2);
                        c0 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 0), v);
                        c1 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, padded), v);
                        c2 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 2 * padded), v);
                        c3 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 3 * padded), v);
                        c4 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 4 * padded), v);
                        c5 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 5 * padded), v);
                        c6 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 6 * padded), v);
                        c7 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 7 * padded), v);
                        c8 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 8 * padded), v);
                        c9 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 9 * padded), v);
                        c10 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 10 * padded), v);
                        c11 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, 11 * padded), v);
                    }
                    ref int out0 = ref Unsafe.Add(ref pr, (r0 + r) * channels + j0);
                    Store(ref out0, c0, live);
                    Store(ref Unsafe.Add(ref out0, channels), c1, live);
                    Store(ref Unsafe.Add(ref out0, 2 * channels), c2, live);
                    Store(ref Unsafe.Add(ref out0, 3 * channels), c3, live);
                    Store(ref Unsafe.Add(ref out0, 4 * channels), c4, live);
                    Store(ref Unsafe.Add(ref out0, 5 * channels), c5, live);
                    Store(ref Unsafe.Add(ref out0, 6 * channels), c6, live);
                    Store(ref Unsafe.Add(ref out0, 7 * channels), c7, live);
                    Store(ref Unsafe.Add(ref out0, 8 * channels), c8, live);
                    Store(ref Unsafe.Add(ref out0, 9 * channels), c9, live);
                    Store(ref Unsafe.Add(ref out0, 10 * channels), c10, live);
                    Store(ref Unsafe.Add(ref out0, 11 * channels), c11, live);
                }
                for (; r < chunk; r++)
                {
                    ref short column = ref Unsafe.Add(ref px, r * padded);
                    Vector512<int> c0 = default;
                    for (int p = 0; p < pairs; p++)
                        c0 += Avx512BW.MultiplyAddAdjacent(Broadcast512(ref column, p * 2), Vector512.LoadUnsafe(ref w, (nuint)(p * 32)));
                    Store(ref Unsafe.Add(ref pr, (r0 + r) * channels + j0), c0, live);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Broadcast256(ref short source, int offset) =>
        Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref source, offset)))).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Broadcast512(ref short source, int offset) =>
        Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref source, offset)))).AsInt16();

    // ---------- stores ----------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref int destination, Vector256<int> low, Vector256<int> high, int live)
    {
        if (live == Channels)
        {
            low.StoreUnsafe(ref destination);
            high.StoreUnsafe(ref destination, 8);
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = i < 8 ? low.GetElement(i) : high.GetElement(i - 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref int destination, Vector512<int> sums, int live)
    {
        if (live == Channels)
        {
            sums.StoreUnsafe(ref destination);
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = sums.GetElement(i);
    }

    // ---------- the runtime's AVX2 fallback, as shipped ----------

    /// <summary>The signature of <c>Int8Gemm.MultiplyWidening&lt;byte&gt;</c>.</summary>
    public delegate void WideningKernel(ReadOnlySpan<byte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride);

    /// <summary>
    /// The runtime's internal <c>Int8Gemm.MultiplyWidening&lt;byte&gt;</c> (what Octet runs on AVX2 CPUs without AVX-VNNI),
    /// bound by reflection so the benchmark times the shipped code itself rather than a copy; one delegate call per GEMM.
    /// </summary>
    public static WideningKernel ShippedWidening()
    {
        var method = typeof(Int8Gemm).GetMethod("MultiplyWidening", BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException("Octet.Runtime.Int8.Int8Gemm.MultiplyWidening<T> not found: the benchmark needs updating");
        return method.MakeGenericMethod(typeof(byte)).CreateDelegate<WideningKernel>();
    }
}
