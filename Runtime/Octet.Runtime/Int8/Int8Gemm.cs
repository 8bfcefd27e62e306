using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The int8 matrix product behind QConv and QGemm: <c>result[r, j] = Σ_k a[r, k] · w[first + j, k]</c> in wrapping
/// int32, for a block of activation rows (pixels' patches, or matrix rows) against a panel of weight rows (output
/// channels, int8) that <see cref="PackPanel"/> has put into the order the SIMD kernel reads.
/// <para>
/// The SIMD kernel is AVX-VNNI <c>vpdpbusd</c> (<see cref="AvxVnni.MultiplyWideningAndAdd(Vector256{int}, Vector256{byte}, Vector256{sbyte})"/>):
/// per 32-bit lane it multiplies four unsigned bytes with four signed bytes and adds the four products to the lane.
/// It is exact: the products (at most 255 · 128 in magnitude) are summed at full width and added with wrap-around,
/// unlike <c>vpmaddubsw</c>, whose 16-bit pair sums saturate (255 · −128 · 2 &lt; −32768), so it needs neither
/// 7-bit weights nor widening. One operand must be unsigned:
/// <list type="bullet">
/// <item>uint8 activations are the unsigned operand as they are; weights are packed as they are (signed);</item>
/// <item>int8 activations are the signed operand; weights are packed as w + 128 (w XOR 0x80, unsigned), so each sum
/// holds 128 · Σ_k a[r, k] extra, which the kernel subtracts again (exact in wrapping int32).</item>
/// </list>
/// </para>
/// <para>
/// Panel layout: channels in blocks of 8, each block <c>[depth/4][8 channels][4 values]</c> (depth rounded up to a
/// multiple of 4, the channel count to a multiple of 16, padding bytes 0 — a zero product whatever the activation
/// bytes past <c>depth</c> hold). Four consecutive values of one channel form one 32-bit lane, so one
/// <c>vpdpbusd</c> takes four values of an activation row (broadcast to every lane) against four values of eight channels.
/// </para>
/// <para>The scalar loop is the specification; every path returns the identical integers.</para>
/// </summary>
public static partial class Int8Gemm
{
    /// <summary>Channels the SIMD kernel computes at once (two vectors of eight int32 lanes).</summary>
    public const int ChannelBlock = 16;

    /// <summary>Activation rows the SIMD kernel computes at once (6 rows × 2 vectors = 12 of the 16 vector registers).</summary>
    public const int RowBlock = 6;

    /// <summary>
    /// Rows whose int8 corrections (128 · Σ a) are computed at once: a multiple of <see cref="RowBlock"/>, so that only
    /// the last chunk of a call can end in single rows.
    /// </summary>
    private const int RowChunk = 10 * RowBlock;

    /// <summary><paramref name="depth"/> rounded up to a multiple of 4: the row length the kernel reads.</summary>
    public static int PaddedDepth(int depth) => (depth + 3) & ~3;

    /// <summary>Bytes of a packed panel of <paramref name="channels"/> weight rows of <paramref name="depth"/> values.</summary>
    public static int PanelBytes(int channels, int depth) =>
        (channels + ChannelBlock - 1) / ChannelBlock * ChannelBlock * PaddedDepth(depth);

    /// <summary>
    /// Packs weight rows <c>[first, first + count)</c> of <paramref name="weights"/> (row-major <c>[rows][depth]</c>, as
    /// OHWI conv weights and NK matrices are) into <paramref name="panel"/> for activations of type int8
    /// (<paramref name="signedActivations"/>) or uint8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanel(ReadOnlySpan<sbyte> weights, int depth, int first, int count, bool signedActivations, Span<byte> panel)
    {
        int padded = PaddedDepth(depth);
        int bytes = PanelBytes(count, depth);
        if (count < 1 || depth < 1 || first < 0 || (long)(first + count) * depth > weights.Length || panel.Length < bytes)
            throw new ArgumentException($"cannot pack rows [{first}, {first + count}) of depth {depth} from {weights.Length} weights into {panel.Length} bytes");
        panel.Slice(0, bytes).Clear();
        ref byte output = ref MemoryMarshal.GetReference(panel);
        int flip = signedActivations ? unchecked((int)0x80808080) : 0;
        for (int j = 0; j < count; j++)
        {
            ref byte input = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(weights.Slice((first + j) * depth, depth)));
            int baseOffset = (j >> 3) * padded * 8 + (j & 7) * 4;
            int k = 0;
            // Whole groups of four values move as one int: they stay together in one lane.
            for (; k + 4 <= depth; k += 4)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, baseOffset + k * 8), Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref input, k)) ^ flip);
            for (; k < depth; k++) Unsafe.Add(ref output, baseOffset + (k >> 2) * 32 + (k & 3)) = (byte)(Unsafe.Add(ref input, k) ^ (byte)flip);
        }
    }

    /// <summary>
    /// Packs all <paramref name="rows"/> weight rows into consecutive panels of <paramref name="panelChannels"/> rows
    /// (the last one may hold fewer), each <see cref="PanelBytes"/>(<paramref name="panelChannels"/>, depth) bytes long,
    /// so that panel i starts at i · that length: what <see cref="PackPanel"/> gives for rows [i · panelChannels, …).
    /// Generated classes call it once in their constructor, so that no inference repacks constant weights.
    /// </summary>
    public static byte[] PackPanels(ReadOnlySpan<sbyte> weights, int depth, int rows, int panelChannels, bool signedActivations)
    {
        if (rows < 1 || panelChannels < 1 || depth < 1 || (long)rows * depth > weights.Length)
            throw new ArgumentException($"cannot pack {rows} rows of depth {depth} from {weights.Length} weights in panels of {panelChannels}");
        int panelBytes = PanelBytes(panelChannels, depth);
        int panels = (rows + panelChannels - 1) / panelChannels;
        var packed = new byte[(long)panels * panelBytes];
        for (int i = 0; i < panels; i++)
        {
            int first = i * panelChannels;
            PackPanel(weights, depth, first, Math.Min(panelChannels, rows - first), signedActivations, packed.AsSpan(i * panelBytes, panelBytes));
        }
        return packed;
    }

    /// <summary>
    /// <c>result[r · resultStride + j] = Σ_k a[r · rowStride + k] · w[j, k]</c> for r &lt; <paramref name="rows"/>, j &lt;
    /// <paramref name="count"/>, k &lt; <paramref name="depth"/>, w being the panel <see cref="PackPanel"/> made of
    /// <paramref name="count"/> rows for int8 activations. Each activation row must be readable up to
    /// <see cref="PaddedDepth"/> values; values past <paramref name="depth"/> meet zero bytes, so they may hold anything.
    /// </summary>
    public static void Multiply(ReadOnlySpan<sbyte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) => Multiply<sbyte>(a, rows, rowStride, depth, panel, count, result, resultStride);

    /// <summary>As <see cref="Multiply(ReadOnlySpan{sbyte}, int, int, int, ReadOnlySpan{byte}, int, Span{int}, int)"/>, for uint8 activations (a panel packed for them).</summary>
    public static void Multiply(ReadOnlySpan<byte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) => Multiply<byte>(a, rows, rowStride, depth, panel, count, result, resultStride);

    internal static void Multiply<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged
    {
        Check(a.Length, rows, rowStride, depth, panel.Length, count, result.Length, resultStride);
        if (AvxVnni.IsSupported) MultiplyVnni(a, rows, rowStride, depth, panel, count, result, resultStride);
        else if (Avx2.IsSupported) MultiplyWidening(a, rows, rowStride, depth, panel, count, result, resultStride);
        else MultiplyScalar(a, rows, rowStride, depth, panel, count, result, resultStride);
    }

    private static void Check(int aLength, int rows, int rowStride, int depth, int panelLength, int count, int resultLength, int resultStride)
    {
        int padded = PaddedDepth(depth);
        if (rows < 0 || depth < 1 || count < 1 || rowStride < padded || resultStride < count || panelLength < PanelBytes(count, depth)
            || (rows > 0 && ((long)(rows - 1) * rowStride + padded > aLength || (long)(rows - 1) * resultStride + count > resultLength)))
            throw new ArgumentException($"Int8Gemm.Multiply: {rows} rows of depth {depth} (stride {rowStride}, {aLength} values), " +
                                        $"{count} channels ({panelLength} panel bytes), result stride {resultStride} ({resultLength} values) do not fit");
    }

    /// <summary>Weight j, k of a panel packed for activations of type <typeparamref name="T"/>.</summary>
    internal static int PanelWeight<T>(ReadOnlySpan<byte> panel, int depth, int j, int k) where T : unmanaged
    {
        byte stored = panel[(j >> 3) * PaddedDepth(depth) * 8 + (j & 7) * 4 + (k >> 2) * 32 + (k & 3)];
        return typeof(T) == typeof(sbyte) ? stored - 128 : (sbyte)stored;
    }

    /// <summary>The specification: the plain sum of products, reading the panel's weights back.</summary>
    internal static void MultiplyScalar<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < count; j++)
            {
                int sum = 0;
                for (int k = 0; k < depth; k++)
                    sum = unchecked(sum + Int8Dot.ToInt(a[r * rowStride + k]) * PanelWeight<T>(panel, depth, j, k));
                result[r * resultStride + j] = sum;
            }
    }

    /// <summary>The AVX-VNNI kernel: 6 rows × 16 channels per step (12 accumulators), then single rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyVnni<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged
    {
        int groups = PaddedDepth(depth) >> 2;
        int blockBytes = groups * 32;
        ref byte pa = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(a));
        ref byte pw = ref MemoryMarshal.GetReference(panel);
        ref int pr = ref MemoryMarshal.GetReference(result);
        bool signed = typeof(T) == typeof(sbyte);
        Span<int> corrections = stackalloc int[RowChunk];
        for (int r0 = 0; r0 < rows; r0 += RowChunk)
        {
            // int8 rows: the panel holds w + 128, so each sum has 128 · Σ_k a[r, k] extra.
            int chunk = Math.Min(RowChunk, rows - r0);
            if (signed)
                for (int r = 0; r < chunk; r++)
                    corrections[r] = Int8Dot.Sum(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref pa, (r0 + r) * rowStride)), depth)) << 7;
            else corrections.Clear();
            for (int j0 = 0; j0 < count; j0 += ChannelBlock)
            {
                ref byte w0 = ref Unsafe.Add(ref pw, (j0 >> 3) * blockBytes);
                ref byte w1 = ref Unsafe.Add(ref w0, blockBytes);
                int live = Math.Min(ChannelBlock, count - j0);
                int r = 0;
                for (; r + RowBlock <= chunk; r += RowBlock)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                    ref byte a1 = ref Unsafe.Add(ref a0, rowStride);
                    ref byte a2 = ref Unsafe.Add(ref a1, rowStride);
                    ref byte a3 = ref Unsafe.Add(ref a2, rowStride);
                    ref byte a4 = ref Unsafe.Add(ref a3, rowStride);
                    ref byte a5 = ref Unsafe.Add(ref a4, rowStride);
                    Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                    Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                    for (int g = 0; g < groups; g++)
                    {
                        var v0 = Vector256.LoadUnsafe(ref w0, (nuint)(g * 32));
                        var v1 = Vector256.LoadUnsafe(ref w1, (nuint)(g * 32));
                        var x0 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4)));
                        c00 = Dot(c00, v0, x0, signed);
                        c01 = Dot(c01, v1, x0, signed);
                        var x1 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a1, g * 4)));
                        c10 = Dot(c10, v0, x1, signed);
                        c11 = Dot(c11, v1, x1, signed);
                        var x2 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a2, g * 4)));
                        c20 = Dot(c20, v0, x2, signed);
                        c21 = Dot(c21, v1, x2, signed);
                        var x3 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a3, g * 4)));
                        c30 = Dot(c30, v0, x3, signed);
                        c31 = Dot(c31, v1, x3, signed);
                        var x4 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a4, g * 4)));
                        c40 = Dot(c40, v0, x4, signed);
                        c41 = Dot(c41, v1, x4, signed);
                        var x5 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a5, g * 4)));
                        c50 = Dot(c50, v0, x5, signed);
                        c51 = Dot(c51, v1, x5, signed);
                    }
                    ref int out0 = ref Unsafe.Add(ref pr, (r0 + r) * resultStride + j0);
                    Store(ref out0, c00, c01, corrections[r], live);
                    Store(ref Unsafe.Add(ref out0, resultStride), c10, c11, corrections[r + 1], live);
                    Store(ref Unsafe.Add(ref out0, 2 * resultStride), c20, c21, corrections[r + 2], live);
                    Store(ref Unsafe.Add(ref out0, 3 * resultStride), c30, c31, corrections[r + 3], live);
                    Store(ref Unsafe.Add(ref out0, 4 * resultStride), c40, c41, corrections[r + 4], live);
                    Store(ref Unsafe.Add(ref out0, 5 * resultStride), c50, c51, corrections[r + 5], live);
                }
                for (; r < chunk; r++)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                    Vector256<int> c00 = default, c01 = default;
                    DotRow(ref a0, ref w0, ref w1, groups, signed, ref c00, ref c01);
                    Store(ref Unsafe.Add(ref pr, (r0 + r) * resultStride + j0), c00, c01, corrections[r], live);
                }
            }
        }
    }

    /// <summary>
    /// The AVX2 kernel for CPUs without AVX-VNNI: both operands widened to 16 bits and multiplied with <c>vpmaddwd</c>,
    /// whose pair sums (at most 2 · 255 · 128 in magnitude) cannot saturate — exact, unlike <c>vpmaddubsw</c> on full-range
    /// int8 weights. One panel vector (8 channels × 4 values) widens to two vectors of 16 shorts (channels 0–3 and 4–7),
    /// and four values of a row, widened and repeated in every 64-bit lane, meet both: each 32-bit lane then holds the sum
    /// of two of a channel's four products, and a horizontal add of the two halves and a lane permute give one sum per
    /// channel. Blocks of <see cref="RowBlock"/> rows × 8 channels keep 12 accumulators, the two weight vectors and the
    /// row vector in the 16 AVX2 registers, so each widened weight vector serves six rows.
    /// Two loops share that step and return the same integers:
    /// <list type="bullet">
    /// <item><see cref="MultiplyWideningRows{T}"/> widens the activations in registers at each use (nothing to prepare);</item>
    /// <item><see cref="MultiplyWideningSlices{T}"/> widens a chunk of rows and each 8-channel block of weights once into
    /// stack buffers (in slices of <see cref="WideningSlice"/> values of depth), so the inner loop only broadcasts and
    /// multiplies; that preparation pays off from six rows and 64 values of depth when there are more than 16 channels, or
    /// for int8 rows, whose corrections it sums while widening (measured in one process against the first loop).</item>
    /// </list>
    /// </summary>
    internal static void MultiplyWidening<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged
    {
        if (rows >= RowBlock && PaddedDepth(depth) >= 64 && (count > ChannelBlock || typeof(T) == typeof(sbyte)))
            MultiplyWideningSlices(a, rows, rowStride, depth, panel, count, result, resultStride);
        else MultiplyWideningRows(a, rows, rowStride, depth, panel, count, result, resultStride);
    }

    /// <summary>Values of depth the sliced AVX2 kernel widens at once (a multiple of 4).</summary>
    private const int WideningSlice = 256;

    /// <summary>Rows the sliced AVX2 kernel widens at once: 60 × 256 shorts = 30 KiB of stack, plus 4 KiB of weights.</summary>
    private const int WideningChunk = 10 * RowBlock;

    /// <summary>The AVX2 widening step with activations widened in registers at each use (see <see cref="MultiplyWidening{T}"/>).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyWideningRows<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged
    {
        int groups = PaddedDepth(depth) >> 2;
        int blockBytes = groups * 32;
        ref byte pa = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(a));
        ref byte pw = ref MemoryMarshal.GetReference(panel);
        ref int pr = ref MemoryMarshal.GetReference(result);
        bool signed = typeof(T) == typeof(sbyte);
        Span<int> corrections = stackalloc int[RowBlock];
        for (int r0 = 0; r0 < rows; r0 += RowBlock)
        {
            int n = Math.Min(RowBlock, rows - r0);
            // int8 rows: the panel holds w + 128, so each sum has 128 · Σ_k a[r, k] extra (values past depth meet zero bytes).
            // (An inlined sum: a call per row cost as much as the products at depth 16.)
            for (int i = 0; i < n; i++)
                corrections[i] = signed ? RowSum(ref Unsafe.Add(ref pa, (r0 + i) * rowStride), depth) << 7 : 0;
            // A last block of fewer than six rows repeats its first row in the missing ones: computed, never stored.
            ref byte x0 = ref Unsafe.Add(ref pa, r0 * rowStride);
            ref byte x1 = ref Unsafe.Add(ref x0, (n > 1 ? 1 : 0) * rowStride);
            ref byte x2 = ref Unsafe.Add(ref x0, (n > 2 ? 2 : 0) * rowStride);
            ref byte x3 = ref Unsafe.Add(ref x0, (n > 3 ? 3 : 0) * rowStride);
            ref byte x4 = ref Unsafe.Add(ref x0, (n > 4 ? 4 : 0) * rowStride);
            ref byte x5 = ref Unsafe.Add(ref x0, (n > 5 ? 5 : 0) * rowStride);
            for (int j0 = 0; j0 < count; j0 += 8)
            {
                ref byte w = ref Unsafe.Add(ref pw, (j0 >> 3) * blockBytes);
                Vector256<int> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default;
                Vector256<int> l3 = default, h3 = default, l4 = default, h4 = default, l5 = default, h5 = default;
                for (int g = 0; g < groups; g++)
                {
                    // int8 activations: the panel holds w + 128 (unsigned); uint8 activations: w as it is (signed).
                    var wl = Widen(Vector128.LoadUnsafe(ref w, (nuint)(g * 32)), !signed);
                    var wh = Widen(Vector128.LoadUnsafe(ref w, (nuint)(g * 32 + 16)), !signed);
                    var v = WidenQuad(ref x0, g * 4, signed);
                    l0 += Avx2.MultiplyAddAdjacent(wl, v); h0 += Avx2.MultiplyAddAdjacent(wh, v);
                    v = WidenQuad(ref x1, g * 4, signed);
                    l1 += Avx2.MultiplyAddAdjacent(wl, v); h1 += Avx2.MultiplyAddAdjacent(wh, v);
                    v = WidenQuad(ref x2, g * 4, signed);
                    l2 += Avx2.MultiplyAddAdjacent(wl, v); h2 += Avx2.MultiplyAddAdjacent(wh, v);
                    v = WidenQuad(ref x3, g * 4, signed);
                    l3 += Avx2.MultiplyAddAdjacent(wl, v); h3 += Avx2.MultiplyAddAdjacent(wh, v);
                    v = WidenQuad(ref x4, g * 4, signed);
                    l4 += Avx2.MultiplyAddAdjacent(wl, v); h4 += Avx2.MultiplyAddAdjacent(wh, v);
                    v = WidenQuad(ref x5, g * 4, signed);
                    l5 += Avx2.MultiplyAddAdjacent(wl, v); h5 += Avx2.MultiplyAddAdjacent(wh, v);
                }
                int live = Math.Min(8, count - j0);
                ref int o = ref Unsafe.Add(ref pr, r0 * resultStride + j0);
                StoreEight(ref o, l0, h0, corrections[0], live, accumulate: false);
                if (n > 1) StoreEight(ref Unsafe.Add(ref o, resultStride), l1, h1, corrections[1], live, accumulate: false);
                if (n > 2) StoreEight(ref Unsafe.Add(ref o, 2 * resultStride), l2, h2, corrections[2], live, accumulate: false);
                if (n > 3) StoreEight(ref Unsafe.Add(ref o, 3 * resultStride), l3, h3, corrections[3], live, accumulate: false);
                if (n > 4) StoreEight(ref Unsafe.Add(ref o, 4 * resultStride), l4, h4, corrections[4], live, accumulate: false);
                if (n > 5) StoreEight(ref Unsafe.Add(ref o, 5 * resultStride), l5, h5, corrections[5], live, accumulate: false);
            }
        }
    }

    /// <summary>
    /// The AVX2 widening step with both operands widened once into stack buffers (see <see cref="MultiplyWidening{T}"/>):
    /// per slice of <see cref="WideningSlice"/> values of depth, a chunk of up to <see cref="WideningChunk"/> rows, then per
    /// 8-channel block its weights; the inner loop broadcasts four shorts of a row and multiplies. The first slice stores
    /// its sums, later slices add to them (wrapping int32, so the result does not depend on the slicing).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyWideningSlices<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged
    {
        int padded = PaddedDepth(depth);
        int blockBytes = (padded >> 2) * 32;
        ref byte pa = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(a));
        ref byte pw = ref MemoryMarshal.GetReference(panel);
        ref int pr = ref MemoryMarshal.GetReference(result);
        bool signed = typeof(T) == typeof(sbyte);
        Span<short> rowBuffer = stackalloc short[WideningChunk * WideningSlice];
        Span<short> weightBuffer = stackalloc short[8 * WideningSlice];
        Span<int> corrections = stackalloc int[WideningChunk];
        ref short xs = ref MemoryMarshal.GetReference(rowBuffer);
        ref short ws = ref MemoryMarshal.GetReference(weightBuffer);
        for (int k0 = 0; k0 < padded; k0 += WideningSlice)
        {
            int length = Math.Min(WideningSlice, padded - k0);
            bool accumulate = k0 > 0;
            for (int r0 = 0; r0 < rows; r0 += WideningChunk)
            {
                int chunk = Math.Min(WideningChunk, rows - r0);
                for (int i = 0; i < chunk; i++)
                    corrections[i] = WidenRow(ref Unsafe.Add(ref pa, (r0 + i) * rowStride), k0, k0 + length, depth, ref Unsafe.Add(ref xs, i * length), signed);
                for (int j0 = 0; j0 < count; j0 += 8)
                {
                    // The block's 8 channels × length values: 32 shorts per group of four values, in the panel's order.
                    ref byte wb = ref Unsafe.Add(ref pw, (j0 >> 3) * blockBytes + k0 * 8);
                    for (int g = 0; g < length >> 2; g++)
                    {
                        Widen(Vector128.LoadUnsafe(ref wb, (nuint)(g * 32)), !signed).StoreUnsafe(ref ws, (nuint)(g * 32));
                        Widen(Vector128.LoadUnsafe(ref wb, (nuint)(g * 32 + 16)), !signed).StoreUnsafe(ref ws, (nuint)(g * 32 + 16));
                    }
                    int live = Math.Min(8, count - j0);
                    for (int rb = 0; rb < chunk; rb += RowBlock)
                    {
                        int n = Math.Min(RowBlock, chunk - rb);
                        // As in MultiplyWideningRows: missing rows of a last short block repeat its first row.
                        ref short x0 = ref Unsafe.Add(ref xs, rb * length);
                        ref short x1 = ref Unsafe.Add(ref x0, (n > 1 ? 1 : 0) * length);
                        ref short x2 = ref Unsafe.Add(ref x0, (n > 2 ? 2 : 0) * length);
                        ref short x3 = ref Unsafe.Add(ref x0, (n > 3 ? 3 : 0) * length);
                        ref short x4 = ref Unsafe.Add(ref x0, (n > 4 ? 4 : 0) * length);
                        ref short x5 = ref Unsafe.Add(ref x0, (n > 5 ? 5 : 0) * length);
                        Vector256<int> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default;
                        Vector256<int> l3 = default, h3 = default, l4 = default, h4 = default, l5 = default, h5 = default;
                        ref short w = ref ws;
                        for (int k = 0; k < length; k += 4, w = ref Unsafe.Add(ref w, 32))
                        {
                            var wl = Vector256.LoadUnsafe(ref w);
                            var wh = Vector256.LoadUnsafe(ref w, 16);
                            var v = BroadcastQuad(ref x0, k);
                            l0 += Avx2.MultiplyAddAdjacent(wl, v); h0 += Avx2.MultiplyAddAdjacent(wh, v);
                            v = BroadcastQuad(ref x1, k);
                            l1 += Avx2.MultiplyAddAdjacent(wl, v); h1 += Avx2.MultiplyAddAdjacent(wh, v);
                            v = BroadcastQuad(ref x2, k);
                            l2 += Avx2.MultiplyAddAdjacent(wl, v); h2 += Avx2.MultiplyAddAdjacent(wh, v);
                            v = BroadcastQuad(ref x3, k);
                            l3 += Avx2.MultiplyAddAdjacent(wl, v); h3 += Avx2.MultiplyAddAdjacent(wh, v);
                            v = BroadcastQuad(ref x4, k);
                            l4 += Avx2.MultiplyAddAdjacent(wl, v); h4 += Avx2.MultiplyAddAdjacent(wh, v);
                            v = BroadcastQuad(ref x5, k);
                            l5 += Avx2.MultiplyAddAdjacent(wl, v); h5 += Avx2.MultiplyAddAdjacent(wh, v);
                        }
                        ref int o = ref Unsafe.Add(ref pr, (r0 + rb) * resultStride + j0);
                        StoreEight(ref o, l0, h0, corrections[rb], live, accumulate);
                        if (n > 1) StoreEight(ref Unsafe.Add(ref o, resultStride), l1, h1, corrections[rb + 1], live, accumulate);
                        if (n > 2) StoreEight(ref Unsafe.Add(ref o, 2 * resultStride), l2, h2, corrections[rb + 2], live, accumulate);
                        if (n > 3) StoreEight(ref Unsafe.Add(ref o, 3 * resultStride), l3, h3, corrections[rb + 3], live, accumulate);
                        if (n > 4) StoreEight(ref Unsafe.Add(ref o, 4 * resultStride), l4, h4, corrections[rb + 4], live, accumulate);
                        if (n > 5) StoreEight(ref Unsafe.Add(ref o, 5 * resultStride), l5, h5, corrections[rb + 5], live, accumulate);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Widens values [<paramref name="from"/>, <paramref name="to"/>) of a row into <paramref name="wide"/>, those at or past
    /// <paramref name="depth"/> as 0 (they may be anything in the row), and returns the slice's int8 correction: 128 · the
    /// sum of its values for int8 rows (the panel holds w + 128), 0 for uint8 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WidenRow(ref byte row, int from, int to, int depth, ref short wide, bool signed)
    {
        int end = Math.Min(to, depth);
        int k = from;
        var sums = Vector256<int>.Zero;
        for (; k + 16 <= end; k += 16)
        {
            var values = Widen(Vector128.LoadUnsafe(ref row, (nuint)k), signed);
            values.StoreUnsafe(ref wide, (nuint)(k - from));
            if (signed) sums += Avx2.MultiplyAddAdjacent(values, Vector256<short>.One);
        }
        int sum = signed ? Vector256.Sum(sums) : 0;
        for (; k < end; k++)
        {
            int value = signed ? (sbyte)Unsafe.Add(ref row, k) : Unsafe.Add(ref row, k);
            Unsafe.Add(ref wide, k - from) = (short)value;
            sum += value;
        }
        for (; k < to; k++) Unsafe.Add(ref wide, k - from) = 0;
        return signed ? sum << 7 : 0;
    }

    /// <summary>Σ of the first <paramref name="depth"/> int8 values of a row (wrapping; the specification is <see cref="Int8Dot.Sum(ReadOnlySpan{sbyte})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowSum(ref byte row, int depth)
    {
        int k = 0;
        var sums = Vector256<int>.Zero;
        for (; k + 16 <= depth; k += 16)
            sums += Avx2.MultiplyAddAdjacent(Widen(Vector128.LoadUnsafe(ref row, (nuint)k), signed: true), Vector256<short>.One);
        int sum = Vector256.Sum(sums);
        for (; k < depth; k++) sum += (sbyte)Unsafe.Add(ref row, k);
        return sum;
    }

    /// <summary>Four activation bytes at <paramref name="offset"/>, widened to shorts and repeated in all four 64-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> WidenQuad(ref byte row, int offset, bool signed) =>
        Widen(Vector128.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref row, offset))).AsByte(), signed);

    /// <summary>Four widened activations at <paramref name="offset"/>, repeated in all four 64-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> BroadcastQuad(ref short wide, int offset) =>
        Vector256.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref wide, offset)))).AsInt16();

    /// <summary>
    /// Stores (or, with <paramref name="accumulate"/>, adds to what is there) the first <paramref name="live"/> of 8 channel
    /// sums minus the row's correction. <paramref name="low"/> holds half sums of channels 0–3, <paramref name="high"/> of
    /// 4–7; the horizontal add gives channels 0, 1, 4, 5, 2, 3, 6, 7, which the permute puts in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreEight(ref int destination, Vector256<int> low, Vector256<int> high, int correction, int live, bool accumulate)
    {
        var sums = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(low, high), Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7)) - Vector256.Create(correction);
        if (live == 8)
        {
            if (accumulate) sums += Vector256.LoadUnsafe(ref destination);
            sums.StoreUnsafe(ref destination);
            return;
        }
        for (int i = 0; i < live; i++)
            Unsafe.Add(ref destination, i) = unchecked((accumulate ? Unsafe.Add(ref destination, i) : 0) + sums.GetElement(i));
    }

    /// <summary>16 bytes as 16 shorts, sign-extended when <paramref name="signed"/>, else zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen(Vector128<byte> bytes, bool signed) =>
        signed ? Avx2.ConvertToVector256Int16(bytes.AsSByte()) : Avx2.ConvertToVector256Int16(bytes);

    /// <summary>vpdpbusd with the unsigned operand chosen by the activation type (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> sum, Vector256<byte> weights, Vector256<int> activations, bool signedActivations) =>
        signedActivations
            ? AvxVnni.MultiplyWideningAndAdd(sum, weights, activations.AsSByte())
            : AvxVnni.MultiplyWideningAndAdd(sum, activations.AsByte(), weights.AsSByte());

    /// <summary>
    /// One activation row against a 16-channel block (weight streams <paramref name="w0"/> and <paramref name="w1"/>, 8
    /// channels each), added to <paramref name="c0"/> and <paramref name="c1"/>. A single row has no other rows to
    /// interleave, and one dependent <c>vpdpbusd</c> chain per vector would wait on the instruction's latency at every
    /// group: the depth is dealt to four chains per vector (groups g, g + 1, g + 2, g + 3) and summed at the end, which
    /// is the same wrapping int32 sum in another order (M = 1 products: QGemm on one row, the last rows of a tile).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotRow(ref byte a0, ref byte w0, ref byte w1, int groups, bool signed, ref Vector256<int> c0, ref Vector256<int> c1)
    {
        Vector256<int> p0 = c0, p1 = c1, q0 = default, q1 = default, s0 = default, s1 = default, t0 = default, t1 = default;
        int g = 0;
        for (; g + 4 <= groups; g += 4)
        {
            var x0 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4)));
            var x1 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4 + 4)));
            var x2 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4 + 8)));
            var x3 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4 + 12)));
            p0 = Dot(p0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32)), x0, signed);
            p1 = Dot(p1, Vector256.LoadUnsafe(ref w1, (nuint)(g * 32)), x0, signed);
            q0 = Dot(q0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32 + 32)), x1, signed);
            q1 = Dot(q1, Vector256.LoadUnsafe(ref w1, (nuint)(g * 32 + 32)), x1, signed);
            s0 = Dot(s0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32 + 64)), x2, signed);
            s1 = Dot(s1, Vector256.LoadUnsafe(ref w1, (nuint)(g * 32 + 64)), x2, signed);
            t0 = Dot(t0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32 + 96)), x3, signed);
            t1 = Dot(t1, Vector256.LoadUnsafe(ref w1, (nuint)(g * 32 + 96)), x3, signed);
        }
        for (; g < groups; g++)
        {
            var x0 = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4)));
            p0 = Dot(p0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32)), x0, signed);
            p1 = Dot(p1, Vector256.LoadUnsafe(ref w1, (nuint)(g * 32)), x0, signed);
        }
        c0 = (p0 + q0) + (s0 + t0);
        c1 = (p1 + q1) + (s1 + t1);
    }

    /// <summary>As the two-stream <see cref="DotRow(ref byte, ref byte, ref byte, int, bool, ref Vector256{int}, ref Vector256{int})"/>, for a last block of 8 channels or fewer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotRow(ref byte a0, ref byte w0, int groups, bool signed, Vector256<int> c0)
    {
        Vector256<int> p0 = c0, q0 = default, s0 = default, t0 = default;
        int g = 0;
        for (; g + 4 <= groups; g += 4)
        {
            p0 = Dot(p0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32)), Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4))), signed);
            q0 = Dot(q0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32 + 32)), Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4 + 4))), signed);
            s0 = Dot(s0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32 + 64)), Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4 + 8))), signed);
            t0 = Dot(t0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32 + 96)), Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4 + 12))), signed);
        }
        for (; g < groups; g++)
            p0 = Dot(p0, Vector256.LoadUnsafe(ref w0, (nuint)(g * 32)), Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4))), signed);
        return (p0 + q0) + (s0 + t0);
    }

    /// <summary>Stores the first <paramref name="live"/> of 16 channels minus the row's correction (the rest are padding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref int destination, Vector256<int> low, Vector256<int> high, int correction, int live)
    {
        var c = Vector256.Create(correction);
        low -= c;
        high -= c;
        if (live == ChannelBlock)
        {
            low.StoreUnsafe(ref destination);
            high.StoreUnsafe(ref destination, 8);
            return;
        }
        // No stackalloc here: it would keep this method from being inlined, and the call in the middle of the row
        // loop made the JIT spill the other accumulators to the stack on every step.
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = i < 8 ? low.GetElement(i) : high.GetElement(i - 8);
    }
}
