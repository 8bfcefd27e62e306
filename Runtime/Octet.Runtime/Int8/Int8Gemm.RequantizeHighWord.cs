using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The fused kernel's second epilogue, for right shifts r = 31 − shift of 33 or more (multipliers below 1/4, which is
/// what convolutions and matrix products of quantized networks nearly always have): it finishes 16 channels at once in
/// 32-bit lanes, with about a third of the instructions of the 64-bit epilogue in <see cref="MultiplyRequantizeVnni512"/>.
/// <para>
/// Why it is exact. With P = acc · M0 (|P| ≤ 2^62) split as P = hi · 2^32 + lo (hi = floor(P / 2^32), the high 32 bits
/// of the 64-bit product; 0 ≤ lo &lt; 2^32), and r ≥ 33, the rounding term 2^(r − 1) is a multiple of 2^32, so
/// floor((P + 2^(r − 1)) / 2^r) = floor((hi + 2^(r − 33)) / 2^(r − 32)): the low word never matters. Adding the zero
/// point times 2^(r − 32) before that shift adds exactly zp after it. So, with s = r − 32 and the per-channel constant
/// C = 2^(s − 1) + zp · 2^s, <c>(hi + C) &gt;&gt; s</c> (arithmetic) is the scalar path's rounded value plus zp; it
/// needs no int32 saturation (r ≥ 31 keeps the rounded value inside int32), and as |hi| ≤ 2^30, |C| &lt; 2^30 keeps
/// hi + C inside int32 (<see cref="HighWordRequantizable"/> checks that). Clamping to [min, max] is the scalar final clamp.
/// Right shifts of 63 or more round every product to 0: multiplier 0 with s = 1 gives exactly zp.
/// </para>
/// <para>
/// Per row of 16 channels: the two accumulator vectors joined into one 512-bit register, even and odd channels'
/// exact products (two <c>vpmuldq</c>, the odd ones after a 64-bit shift), their high words gathered back into
/// channel order (<c>vpermt2d</c>), one add, one variable arithmetic shift (<c>vpsravd</c>), the clamp, and
/// <c>vpmovdb</c> to 16 bytes. The bias is the accumulators' starting value. A last block of 8 channels or fewer puts
/// two rows into one register (the constants repeat in both halves), so it costs half as much per row.
/// </para>
/// </summary>
public static partial class Int8Gemm
{
    /// <summary>Rows whose int8 corrections the high-word kernel computes at once (a multiple of <see cref="RowBlock"/>).</summary>
    private const int HighWordRowChunk = 40 * RowBlock;

    /// <summary>
    /// True when every channel's requantization fits the high-word epilogue: a right shift r = 31 − shift of 33 or
    /// more (63 or more counts, as it rounds everything to 0), and a rounding-plus-zero-point constant
    /// 2^(r − 33) + zp · 2^(r − 32) below 2^30 in magnitude.
    /// </summary>
    internal static bool HighWordRequantizable(ReadOnlySpan<int> shifts, int zeroPoint)
    {
        foreach (int shift in shifts)
        {
            long rightShift = 31L - shift;
            if (rightShift > 62) continue;
            if (rightShift < 33) return false;
            if (Math.Abs(HighWordOffset((int)rightShift - 32, zeroPoint)) >= 1L << 30) return false;
        }
        return true;
    }

    /// <summary>C = 2^(s − 1) + zp · 2^s (see the class summary).</summary>
    private static long HighWordOffset(int s, int zeroPoint) => (1L << (s - 1)) + ((long)zeroPoint << s);

    /// <summary>
    /// The fused kernel with the high-word epilogue: products as in <see cref="MultiplyVnni"/> (6 rows × 16 channels, then
    /// single rows), accumulators starting at the bias; the caller has checked <see cref="HighWordRequantizable"/>.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyRequantizeHighWord<T, TOut>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel, int count,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<TOut> output, int outputStride) where T : unmanaged where TOut : unmanaged
    {
        int groups = PaddedDepth(depth) >> 2;
        int blockBytes = groups * 32;
        ref byte pa = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(a));
        ref byte pw = ref MemoryMarshal.GetReference(panel);
        ref byte po = ref Unsafe.As<TOut, byte>(ref MemoryMarshal.GetReference(output));
        bool signed = typeof(T) == typeof(sbyte);
        Span<int> corrections = stackalloc int[HighWordRowChunk];
        // One block's per-channel constants in channel order: M0, C, s and the bias.
        Span<int> constants = stackalloc int[4 * ChannelBlock];
        ref int pc = ref MemoryMarshal.GetReference(constants);
        var low = Vector512.Create(min);
        var high = Vector512.Create(max);
        // Lane 2i takes the high word of the even product i (dword 2i + 1 of the first source), lane 2i + 1 that of the
        // odd product i (dword 2i + 1 of the second source, index 16 + 2i + 1).
        var gather = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
        int chunkRows = signed ? HighWordRowChunk : rows;
        for (int r0 = 0; r0 < rows; r0 += chunkRows)
        {
            int chunk = Math.Min(chunkRows, rows - r0);
            // int8 rows: the panel holds w + 128, so each sum has 128 · Σ_k a[r, k] extra.
            if (signed)
                for (int r = 0; r < chunk; r++)
                    corrections[r] = Int8Dot.Sum(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref pa, (r0 + r) * rowStride)), depth)) << 7;
            for (int j0 = 0; j0 < count; j0 += ChannelBlock)
            {
                int live = Math.Min(ChannelBlock, count - j0);
                bool paired = live <= 8;
                if (live == ChannelBlock)
                    HighWordConstants(multipliers, shifts, bias, zeroPoint, j0, ref pc);
                else for (int j = 0; j < ChannelBlock; j++)
                {
                    // A block of 8 channels or fewer repeats them in the upper half, for the row held there.
                    int lane = paired ? j & 7 : j;
                    // Padding channels get multiplier 0 and s = 1: their (unstored) outputs are clamp(zp).
                    int multiplier = 0, s = 1, b = 0;
                    if (lane < live)
                    {
                        int c = j0 + lane;
                        long rightShift = 31L - shifts[shifts.Length == 1 ? 0 : c];
                        if (rightShift <= 62)
                        {
                            multiplier = multipliers[multipliers.Length == 1 ? 0 : c];
                            s = (int)rightShift - 32;
                        }
                        b = bias.IsEmpty ? 0 : bias[c];
                    }
                    constants[j] = multiplier;
                    constants[ChannelBlock + j] = (int)HighWordOffset(s, zeroPoint);
                    constants[2 * ChannelBlock + j] = s;
                    constants[3 * ChannelBlock + j] = b;
                }
                var mEven = Vector512.LoadUnsafe(ref pc);
                var mOdd = Vector512.ShiftRightLogical(mEven.AsInt64(), 32).AsInt32();
                var offset = Vector512.LoadUnsafe(ref pc, ChannelBlock);
                var shift = Vector512.LoadUnsafe(ref pc, 2 * ChannelBlock).AsUInt32();
                var bias0 = Vector256.LoadUnsafe(ref pc, 3 * ChannelBlock);
                var bias1 = Vector256.LoadUnsafe(ref pc, 3 * ChannelBlock + 8);

                ref byte w0 = ref Unsafe.Add(ref pw, (j0 >> 3) * blockBytes);
                ref byte w1 = ref Unsafe.Add(ref w0, blockBytes);
                int r = 0;
                if (paired)
                {
                    // A last block of 8 channels or fewer (24, 40 or 120 channels): one vector of accumulators per row,
                    // and two rows per requantization.
                    for (; r + RowBlock <= chunk; r += RowBlock)
                    {
                        ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                        ref byte a1 = ref Unsafe.Add(ref a0, rowStride);
                        ref byte a2 = ref Unsafe.Add(ref a1, rowStride);
                        ref byte a3 = ref Unsafe.Add(ref a2, rowStride);
                        ref byte a4 = ref Unsafe.Add(ref a3, rowStride);
                        ref byte a5 = ref Unsafe.Add(ref a4, rowStride);
                        Vector256<int> c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0;
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
                        StorePair(ref out0, outputStride, Corrected(c0, c1, corrections, r, r + 1, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                        StorePair(ref Unsafe.Add(ref out0, 2 * outputStride), outputStride, Corrected(c2, c3, corrections, r + 2, r + 3, signed),
                            mEven, mOdd, gather, offset, shift, low, high, live);
                        StorePair(ref Unsafe.Add(ref out0, 4 * outputStride), outputStride, Corrected(c4, c5, corrections, r + 4, r + 5, signed),
                            mEven, mOdd, gather, offset, shift, low, high, live);
                    }
                    for (; r < chunk; r++)
                    {
                        ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                        var c0 = DotRow(ref a0, ref w0, groups, signed, bias0);
                        var bytes = RequantizeHighWord(Corrected(c0, c0, corrections, r, r, signed), mEven, mOdd, gather, offset, shift, low, high);
                        StoreLow(ref Unsafe.Add(ref po, (r0 + r) * outputStride + j0), bytes, live);
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
                    Vector256<int> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
                    Vector256<int> c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
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
                    StoreSixteen(ref out0, Corrected(c00, c01, corrections, r, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                    StoreSixteen(ref Unsafe.Add(ref out0, outputStride), Corrected(c10, c11, corrections, r + 1, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                    StoreSixteen(ref Unsafe.Add(ref out0, 2 * outputStride), Corrected(c20, c21, corrections, r + 2, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                    StoreSixteen(ref Unsafe.Add(ref out0, 3 * outputStride), Corrected(c30, c31, corrections, r + 3, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                    StoreSixteen(ref Unsafe.Add(ref out0, 4 * outputStride), Corrected(c40, c41, corrections, r + 4, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                    StoreSixteen(ref Unsafe.Add(ref out0, 5 * outputStride), Corrected(c50, c51, corrections, r + 5, signed), mEven, mOdd, gather, offset, shift, low, high, live);
                }
                for (; r < chunk; r++)
                {
                    ref byte a0 = ref Unsafe.Add(ref pa, (r0 + r) * rowStride);
                    Vector256<int> c00 = bias0, c01 = bias1;
                    DotRow(ref a0, ref w0, ref w1, groups, signed, ref c00, ref c01);
                    StoreSixteen(ref Unsafe.Add(ref po, (r0 + r) * outputStride + j0), Corrected(c00, c01, corrections, r, signed),
                        mEven, mOdd, gather, offset, shift, low, high, live);
                }
            }
        }
    }

    /// <summary>
    /// A whole block's constants (channels j0 to j0 + 15) as the scalar loop of <see cref="MultiplyRequantizeHighWord"/>
    /// sets them, computed in vectors: callers pass a few dozen rows per call, and building the constants one channel at
    /// a time cost about a quarter of the kernel's time at depth 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HighWordConstants(ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, ReadOnlySpan<int> bias, int zeroPoint, int j0, ref int constants)
    {
        var multiplier = multipliers.Length == 1 ? Vector512.Create(multipliers[0]) : Vector512.Create(multipliers.Slice(j0, ChannelBlock));
        var shift = shifts.Length == 1 ? Vector512.Create(shifts[0]) : Vector512.Create(shifts.Slice(j0, ChannelBlock));
        // Right shifts of 63 or more (shift ≤ −32; compared on the shift itself, as 31 − shift could overflow) become
        // multiplier 0 with s = 1; the others have s = 31 − shift − 32 = −1 − shift in [1, 30].
        var vanishing = Vector512.LessThan(shift, Vector512.Create(-31));
        var s = Vector512.ConditionalSelect(vanishing, Vector512<int>.One, Vector512.Create(-1) - shift);
        multiplier = Vector512.AndNot(multiplier, vanishing);
        // C = 2^(s − 1) + zp · 2^s; HighWordRequantizable has checked |C| < 2^30, so neither term overflows.
        var offset = Avx512F.ShiftLeftLogicalVariable(Vector512<int>.One, (s - Vector512<int>.One).AsUInt32())
                     + Avx512F.ShiftLeftLogicalVariable(Vector512.Create(zeroPoint), s.AsUInt32());
        multiplier.StoreUnsafe(ref constants);
        offset.StoreUnsafe(ref constants, ChannelBlock);
        s.StoreUnsafe(ref constants, 2 * ChannelBlock);
        (bias.IsEmpty ? Vector512<int>.Zero : Vector512.Create(bias.Slice(j0, ChannelBlock))).StoreUnsafe(ref constants, 3 * ChannelBlock);
    }

    /// <summary>One row's 16 accumulators in one register, minus the row's int8 correction (none for uint8 rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Corrected(Vector256<int> low, Vector256<int> high, Span<int> corrections, int row, bool signed)
    {
        var sums = Join(low, high);
        return signed ? sums - Vector512.Create(corrections[row]) : sums;
    }

    /// <summary>Two rows' 8 accumulators in one register (row <paramref name="first"/> below), minus their int8 corrections.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Corrected(Vector256<int> first, Vector256<int> second, Span<int> corrections, int firstRow, int secondRow, bool signed)
    {
        var sums = Join(first, second);
        return signed ? sums - Vector512.Create(Vector256.Create(corrections[firstRow]), Vector256.Create(corrections[secondRow])) : sums;
    }

    /// <summary>
    /// <paramref name="low"/> and <paramref name="high"/> as one register: <paramref name="low"/>'s register widened (no
    /// instruction) and <paramref name="high"/> inserted. The JIT compiles <c>Vector512.Create(low, high)</c> as two inserts
    /// into a register holding an older value, which ties each tile's epilogue to the previous one (a false dependency).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> Join(Vector256<int> low, Vector256<int> high) => low.ToVector512Unsafe().WithUpper(high);

    /// <summary>16 accumulators requantized by the high-word epilogue (see the class summary), as 16 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> RequantizeHighWord(Vector512<int> accumulators, Vector512<int> mEven, Vector512<int> mOdd, Vector512<int> gather,
        Vector512<int> offset, Vector512<uint> shift, Vector512<int> low, Vector512<int> high)
    {
        var even = Avx512F.Multiply(accumulators, mEven).AsInt32();
        var odd = Avx512F.Multiply(Vector512.ShiftRightLogical(accumulators.AsInt64(), 32).AsInt32(), mOdd).AsInt32();
        var value = Avx512F.ShiftRightArithmeticVariable(Avx512F.PermuteVar16x32x2(even, gather, odd) + offset, shift);
        // Every clamped value is inside the 8-bit type's range: truncating to bytes (vpmovdb) keeps it.
        return Avx512F.ConvertToVector128Byte(Vector512.Min(Vector512.Max(value, low), high));
    }

    /// <summary>One row's 16 channels requantized, the first <paramref name="live"/> stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSixteen(ref byte destination, Vector512<int> accumulators, Vector512<int> mEven, Vector512<int> mOdd, Vector512<int> gather,
        Vector512<int> offset, Vector512<uint> shift, Vector512<int> low, Vector512<int> high, int live)
    {
        var bytes = RequantizeHighWord(accumulators, mEven, mOdd, gather, offset, shift, low, high);
        if (live == ChannelBlock)
        {
            bytes.StoreUnsafe(ref destination);
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = bytes.GetElement(i);
    }

    /// <summary>Two rows' first 8 channels (a block of at most 8 live ones) requantized together, each row's first <paramref name="live"/> stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(ref byte destination, int outputStride, Vector512<int> accumulators, Vector512<int> mEven, Vector512<int> mOdd,
        Vector512<int> gather, Vector512<int> offset, Vector512<uint> shift, Vector512<int> low, Vector512<int> high, int live)
    {
        var bytes = RequantizeHighWord(accumulators, mEven, mOdd, gather, offset, shift, low, high);
        StoreLow(ref destination, bytes, live);
        StoreLow(ref Unsafe.Add(ref destination, outputStride), Vector128.Create(bytes.AsUInt64().GetElement(1)).AsByte(), live);
    }

    /// <summary>The first <paramref name="live"/> (at most 8) of the low 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLow(ref byte destination, Vector128<byte> bytes, int live)
    {
        if (live == 8)
        {
            Unsafe.WriteUnaligned(ref destination, bytes.AsUInt64().ToScalar());
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = bytes.GetElement(i);
    }
}
