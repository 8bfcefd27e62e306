using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The matrix product with its fixed-point requantization fused in:
/// <c>output[r · outputStride + j] = Requantization.FixedPoint(Σ_k a[r, k] · w[j, k] + bias[j], M0[j], shift[j], zp, min, max)</c>,
/// the same integers as <see cref="Multiply(ReadOnlySpan{sbyte}, int, int, int, ReadOnlySpan{byte}, int, Span{int}, int)"/>
/// followed by <see cref="RequantizeRow"/>, which is its specification (and what it falls back to).
/// <para>
/// Why fuse: at the small depths of pointwise convolutions (K = 16–64) the dot products are a few <c>vpdpbusd</c> per
/// output, while storing the int32 products, reading them back and requantizing them one row at a time (reloading
/// each channel's constants per row) cost more than the products. Here each block of 6 rows × 16 channels is
/// requantized straight from its accumulator registers, with the 16 channels' constants loaded once per block.
/// </para>
/// <para>
/// The requantization in vectors, per 8 channels: the accumulators sign-extended to 64 bits (<c>vpmovsxdq</c>), the
/// exact product acc · M0 (<c>vpmuldq</c>), plus 2^(r − 1), shifted right arithmetically by r = 31 − shift
/// (<c>vpsravq</c>, which is floor division): the scalar <c>(acc · M0 + 2^(r − 1)) &gt;&gt; r</c>, as |acc · M0| &lt; 2^62
/// leaves room for the rounding term. Adding zp and clamping to [min, max] in 64 bits gives what the scalar path's
/// int32 saturation and final clamp give (both are monotone and [min, max] lies inside int32), and the clamped value's
/// low byte (<c>vpmovqb</c>) is the 8-bit output. Right shifts of 63 or more round every product to 0, like
/// multiplier 0 with shift 1; left shifts (r &lt; 1) are not handled in vectors, and such a call falls back.
/// </para>
/// </summary>
public static partial class Int8Gemm
{
    /// <summary>
    /// int8 activations, int8 outputs (see the class summary). <paramref name="products"/> is the fallback's scratch: at
    /// least <paramref name="count"/> values; the fallback goes through the rows in pieces of as many rows as it holds.
    /// </summary>
    public static void MultiplyRequantize(ReadOnlySpan<sbyte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<sbyte> output, int outputStride, Span<int> products) =>
        MultiplyRequantize<sbyte, sbyte>(a, rows, rowStride, depth, panel, count, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride, products);

    /// <summary>int8 activations, uint8 outputs.</summary>
    public static void MultiplyRequantize(ReadOnlySpan<sbyte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<byte> output, int outputStride, Span<int> products) =>
        MultiplyRequantize<sbyte, byte>(a, rows, rowStride, depth, panel, count, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride, products);

    /// <summary>uint8 activations, int8 outputs.</summary>
    public static void MultiplyRequantize(ReadOnlySpan<byte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<sbyte> output, int outputStride, Span<int> products) =>
        MultiplyRequantize<byte, sbyte>(a, rows, rowStride, depth, panel, count, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride, products);

    /// <summary>uint8 activations, uint8 outputs.</summary>
    public static void MultiplyRequantize(ReadOnlySpan<byte> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<byte> output, int outputStride, Span<int> products) =>
        MultiplyRequantize<byte, byte>(a, rows, rowStride, depth, panel, count, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride, products);

    /// <summary>
    /// Depth from which int8 (signed) rows go to the 64-bit epilogue even where the high-word one applies. Both give the
    /// same integers; measured in one process (min of batches of 20 calls, 60 rows × 64–96 channels, on the Zen 5 of
    /// docs/performance.md), the high-word kernel was 8–18 % slower for int8 rows at depths 320–576 (11.4 against 9.8 µs
    /// at 320, 19.9 against 17.0 at 576; after <see cref="Join"/> removed a false dependency, still 10.2 against 9.5 and
    /// 18.2 against 16.1), level at 96–144, and faster below 96; for uint8 rows it was as fast or faster at every depth
    /// from 16 to 576. The difference is in the product loop, not the epilogue: the JIT keeps most of the 12 accumulators
    /// in registers 16–31 and moves each one down and back around every VEX-encoded <c>vpdpbusd</c> (registers 0–15
    /// only), and more so in the int8-row instantiation of the high-word kernel.
    /// </summary>
    internal const int HighWordMaxSignedDepth = 96;

    /// <summary>Whether the high-word epilogue is the faster one for rows of <typeparamref name="T"/> this deep (see <see cref="HighWordMaxSignedDepth"/>).</summary>
    internal static bool HighWordPays<T>(int depth) where T : unmanaged => typeof(T) != typeof(sbyte) || depth < HighWordMaxSignedDepth;

    /// <summary>True when every channel's shift is a right shift (r = 31 − shift ≥ 1), which the fused kernel handles.</summary>
    public static bool FusableShifts(ReadOnlySpan<int> shifts)
    {
        foreach (int shift in shifts)
            if (shift > 30) return false;
        return true;
    }

    /// <summary>
    /// The fused kernel when the CPU has it and the shifts allow — with the high-word epilogue
    /// (<see cref="MultiplyRequantizeHighWord"/>) when every channel's shift suits it, else the 64-bit one — otherwise the
    /// specification's two steps. <paramref name="allowFused"/> and <paramref name="allowHighWord"/> let tests and
    /// measurements pick the other paths; <paramref name="highWordByDepth"/> false lets them run the high-word kernel on
    /// int8 rows deeper than <see cref="HighWordMaxSignedDepth"/>, where the 64-bit one is chosen for speed.
    /// </summary>
    internal static void MultiplyRequantize<T, TOut>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<TOut> output, int outputStride, Span<int> products, bool allowFused = true, bool allowHighWord = true, bool highWordByDepth = true)
        where T : unmanaged where TOut : unmanaged
    {
        RequantizeRow.Check(count, bias.Length, multipliers.Length, count);
        RequantizeRow.Check(count, bias.Length, shifts.Length, count);
        if (outputStride < count || (rows > 0 && (long)(rows - 1) * outputStride + count > output.Length))
            throw new ArgumentException($"Int8Gemm.MultiplyRequantize: {rows} rows of {count} outputs at stride {outputStride} do not fit {output.Length} values");
        if (allowFused && AvxVnni.IsSupported && Avx512F.VL.IsSupported && FusableShifts(shifts))
        {
            Check(a.Length, rows, rowStride, depth, panel.Length, count, rows * count, count);
            if (rows == 0) return;
            if (allowHighWord && Avx512F.IsSupported && (!highWordByDepth || HighWordPays<T>(depth)) && HighWordRequantizable(shifts, zeroPoint))
                MultiplyRequantizeHighWord(a, rows, rowStride, depth, panel, count, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride);
            else
                MultiplyRequantizeVnni512(a, rows, rowStride, depth, panel, count, bias, multipliers, shifts, zeroPoint, min, max, output, outputStride);
            return;
        }
        // The two steps, in pieces of as many rows as the scratch holds (callers may pass more rows than that).
        int piece = products.Length / count;
        if (piece < 1 && rows > 0)
            throw new ArgumentException($"Int8Gemm.MultiplyRequantize: a scratch of {products.Length} values cannot hold one row of {count} products");
        for (int r0 = 0; r0 < rows; r0 += piece)
        {
            int n = Math.Min(piece, rows - r0);
            Multiply(a.Slice(r0 * rowStride), n, rowStride, depth, panel, count, products, count);
            RequantizeRow.FixedPointBlock(products, count, bias, multipliers, shifts, zeroPoint, min, max, output.Slice(r0 * outputStride), outputStride, n, count);
        }
    }

    /// <summary>
    /// The fused kernel: AVX-VNNI products as in <see cref="MultiplyVnni"/> (6 rows × 16 channels, then single rows),
    /// requantized with AVX-512 from the accumulator registers, 8 channels at a time in 64-bit lanes (see the class
    /// summary), with the 16 channels' constants held in registers for the whole block.
    /// <para>
    /// Measured alternatives that were slower here (in one process, alternating, at K = 16, 64 and 512): finishing 16
    /// channels at once in 32-bit lanes (even and odd channels multiplied apart, then merged), and keeping the constants
    /// in a stack block reloaded per row to relieve register pressure (<c>vpdpbusd</c> is VEX-encoded, so its operands
    /// must sit in the first 16 vector registers). The unfused form (products stored, then <see cref="RequantizeRow"/>)
    /// was 10–30 % slower than this one.
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyRequantizeVnni512<T, TOut>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<TOut> output, int outputStride) where T : unmanaged where TOut : unmanaged
    {
        int groups = PaddedDepth(depth) >> 2;
        int blockBytes = groups * 32;
        ref byte pa = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(a));
        ref byte pw = ref MemoryMarshal.GetReference(panel);
        ref byte po = ref Unsafe.As<TOut, byte>(ref MemoryMarshal.GetReference(output));
        bool signed = typeof(T) == typeof(sbyte);
        Span<int> corrections = stackalloc int[RowChunk];
        // One block's per-channel constants, laid out for vector loads: M0, 2^(r − 1) and r as 64-bit lanes, bias as 32-bit.
        Span<long> constants = stackalloc long[3 * ChannelBlock];
        Span<int> blockBias = stackalloc int[ChannelBlock];
        ref long pc = ref MemoryMarshal.GetReference(constants);
        var zp = Vector512.Create((long)zeroPoint);
        var low = Vector512.Create((long)min);
        var high = Vector512.Create((long)max);
        for (int r0 = 0; r0 < rows; r0 += RowChunk)
        {
            int chunk = Math.Min(RowChunk, rows - r0);
            if (signed)
                for (int r = 0; r < chunk; r++)
                    corrections[r] = Int8Dot.Sum(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref pa, (r0 + r) * rowStride)), depth)) << 7;
            else corrections.Clear();
            for (int j0 = 0; j0 < count; j0 += ChannelBlock)
            {
                int live = Math.Min(ChannelBlock, count - j0);
                for (int j = 0; j < ChannelBlock; j++)
                {
                    // Padding channels get multiplier 0: their (unstored) outputs are clamp(zp).
                    long multiplier = 0, rightShift = 1;
                    int b = 0;
                    if (j < live)
                    {
                        int c = j0 + j;
                        multiplier = multipliers[multipliers.Length == 1 ? 0 : c];
                        rightShift = 31L - shifts[shifts.Length == 1 ? 0 : c];
                        // A right shift of 63 or more rounds |acc · M0| < 2^62 to 0: multiplier 0 gives that with any shift.
                        if (rightShift > 62) { multiplier = 0; rightShift = 1; }
                        b = bias.IsEmpty ? 0 : bias[c];
                    }
                    constants[j] = multiplier;
                    constants[ChannelBlock + j] = 1L << (int)(rightShift - 1);
                    constants[2 * ChannelBlock + j] = rightShift;
                    blockBias[j] = b;
                }
                var m0 = Vector512.LoadUnsafe(ref pc);
                var m1 = Vector512.LoadUnsafe(ref pc, 8);
                var round0 = Vector512.LoadUnsafe(ref pc, ChannelBlock);
                var round1 = Vector512.LoadUnsafe(ref pc, ChannelBlock + 8);
                var shift0 = Vector512.LoadUnsafe(ref pc, 2 * ChannelBlock).AsUInt64();
                var shift1 = Vector512.LoadUnsafe(ref pc, 2 * ChannelBlock + 8).AsUInt64();
                var bias0 = Vector256.Create((ReadOnlySpan<int>)blockBias);
                var bias1 = Vector256.Create((ReadOnlySpan<int>)blockBias.Slice(8));

                ref byte w0 = ref Unsafe.Add(ref pw, (j0 >> 3) * blockBytes);
                ref byte w1 = ref Unsafe.Add(ref w0, blockBytes);
                int r = 0;
                if (live <= 8)
                {
                    // A last block of 8 channels or fewer (24, 40 or 232 channels): its second vector holds only padding,
                    // so one vector of accumulators per row, half the products and half the requantization.
                    for (; r + RowBlock <= chunk; r += RowBlock)
                    {
                        ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                        ref byte a1 = ref Unsafe.Add(ref a0, rowStride);
                        ref byte a2 = ref Unsafe.Add(ref a1, rowStride);
                        ref byte a3 = ref Unsafe.Add(ref a2, rowStride);
                        ref byte a4 = ref Unsafe.Add(ref a3, rowStride);
                        ref byte a5 = ref Unsafe.Add(ref a4, rowStride);
                        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
                        for (int g = 0; g < groups; g++)
                        {
                            var v0 = Vector256.LoadUnsafe(ref w0, (nuint)(g * 32));
                            c0 = Dot(c0, v0, Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a0, g * 4))), signed);
                            c1 = Dot(c1, v0, Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a1, g * 4))), signed);
                            c2 = Dot(c2, v0, Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a2, g * 4))), signed);
                            c3 = Dot(c3, v0, Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a3, g * 4))), signed);
                            c4 = Dot(c4, v0, Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a4, g * 4))), signed);
                            c5 = Dot(c5, v0, Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a5, g * 4))), signed);
                        }
                        ref byte out0 = ref Unsafe.Add(ref po, (r0 + r) * outputStride + j0);
                        StoreRequantizedLow(ref out0, c0, corrections[r], bias0, m0, round0, shift0, zp, low, high, live);
                        StoreRequantizedLow(ref Unsafe.Add(ref out0, outputStride), c1, corrections[r + 1], bias0, m0, round0, shift0, zp, low, high, live);
                        StoreRequantizedLow(ref Unsafe.Add(ref out0, 2 * outputStride), c2, corrections[r + 2], bias0, m0, round0, shift0, zp, low, high, live);
                        StoreRequantizedLow(ref Unsafe.Add(ref out0, 3 * outputStride), c3, corrections[r + 3], bias0, m0, round0, shift0, zp, low, high, live);
                        StoreRequantizedLow(ref Unsafe.Add(ref out0, 4 * outputStride), c4, corrections[r + 4], bias0, m0, round0, shift0, zp, low, high, live);
                        StoreRequantizedLow(ref Unsafe.Add(ref out0, 5 * outputStride), c5, corrections[r + 5], bias0, m0, round0, shift0, zp, low, high, live);
                    }
                    for (; r < chunk; r++)
                    {
                        ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                        var c0 = DotRow(ref a0, ref w0, groups, signed, default);
                        StoreRequantizedLow(ref Unsafe.Add(ref po, (r0 + r) * outputStride + j0), c0, corrections[r], bias0, m0, round0, shift0, zp, low, high, live);
                    }
                    continue;
                }
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
                    ref byte out0 = ref Unsafe.Add(ref po, (r0 + r) * outputStride + j0);
                    StoreRequantized(ref out0, c00, c01, corrections[r], bias0, bias1, m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                    StoreRequantized(ref Unsafe.Add(ref out0, outputStride), c10, c11, corrections[r + 1], bias0, bias1, m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                    StoreRequantized(ref Unsafe.Add(ref out0, 2 * outputStride), c20, c21, corrections[r + 2], bias0, bias1, m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                    StoreRequantized(ref Unsafe.Add(ref out0, 3 * outputStride), c30, c31, corrections[r + 3], bias0, bias1, m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                    StoreRequantized(ref Unsafe.Add(ref out0, 4 * outputStride), c40, c41, corrections[r + 4], bias0, bias1, m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                    StoreRequantized(ref Unsafe.Add(ref out0, 5 * outputStride), c50, c51, corrections[r + 5], bias0, bias1, m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                }
                for (; r < chunk; r++)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                    Vector256<int> c00 = default, c01 = default;
                    DotRow(ref a0, ref w0, ref w1, groups, signed, ref c00, ref c01);
                    StoreRequantized(ref Unsafe.Add(ref po, (r0 + r) * outputStride + j0), c00, c01, corrections[r], bias0, bias1,
                        m0, m1, round0, round1, shift0, shift1, zp, low, high, live);
                }
            }
        }
    }

    /// <summary>One row's 16 channels: minus the row's correction, plus bias, requantized, the first <paramref name="live"/> stored as bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRequantized(ref byte destination, Vector256<int> sums0, Vector256<int> sums1, int correction,
        Vector256<int> bias0, Vector256<int> bias1, Vector512<long> m0, Vector512<long> m1, Vector512<long> round0, Vector512<long> round1,
        Vector512<ulong> shift0, Vector512<ulong> shift1, Vector512<long> zp, Vector512<long> low, Vector512<long> high, int live)
    {
        var c = Vector256.Create(correction);
        var bytes0 = Requantize8(sums0 - c + bias0, m0, round0, shift0, zp, low, high);
        var bytes1 = Requantize8(sums1 - c + bias1, m1, round1, shift1, zp, low, high);
        var bytes = Vector128.Create(bytes0.AsUInt64().ToScalar(), bytes1.AsUInt64().ToScalar()).AsByte();
        if (live == ChannelBlock)
        {
            bytes.StoreUnsafe(ref destination);
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = bytes.GetElement(i);
    }

    /// <summary>One row's first 8 channels (a block with at most 8 live ones): requantized, the first <paramref name="live"/> stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRequantizedLow(ref byte destination, Vector256<int> sums, int correction, Vector256<int> bias,
        Vector512<long> multipliers, Vector512<long> rounding, Vector512<ulong> shifts, Vector512<long> zp, Vector512<long> low, Vector512<long> high, int live)
    {
        var bytes = Requantize8(sums - Vector256.Create(correction) + bias, multipliers, rounding, shifts, zp, low, high);
        if (live == 8)
        {
            Unsafe.WriteUnaligned(ref destination, bytes.AsUInt64().ToScalar());
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = bytes.GetElement(i);
    }

    /// <summary>Eight accumulators requantized (see the class summary); the results are the low 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Requantize8(Vector256<int> accumulators, Vector512<long> multipliers, Vector512<long> rounding,
        Vector512<ulong> rightShifts, Vector512<long> zp, Vector512<long> low, Vector512<long> high)
    {
        var product = Avx512F.Multiply(Avx512F.ConvertToVector512Int64(accumulators).AsInt32(), multipliers.AsInt32());
        var value = Avx512F.ShiftRightArithmeticVariable(product + rounding, rightShifts) + zp;
        return Avx512F.ConvertToVector128Byte(Vector512.Min(Vector512.Max(value, low), high));
    }
}
