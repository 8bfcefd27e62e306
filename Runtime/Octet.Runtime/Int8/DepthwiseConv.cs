using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The inner loop of an 8-bit depthwise convolution on channels-last (NHWC) data: one output pixel's accumulators, one
/// per channel, gather <c>acc[c] += x̂[t][c] · (w[c][t] − w_zp[c])</c> over the taps t of the window, x̂ being the input
/// pixel under the tap, or x_zero_point for a tap in the padding. Weights are re-laid once per call as int16 values
/// <c>[tap pair][channel][2]</c> (<see cref="PackWeights(ReadOnlySpan{sbyte}, int, int, ReadOnlySpan{int}, Span{short})"/>):
/// channels are contiguous like the NHWC input pixel a tap meets, and each channel's two taps of a pair are adjacent
/// so that one AVX2 vpmaddwd multiplies both and adds them (an odd last tap is paired with zero weights).
/// <para>
/// Exactness: x̂ is in [−128, 255] and w − w_zp in [−255, 255], so each product and each sum of two fits int32 exactly
/// (vpmaddwd never saturates here) and the vector paths wrap exactly as the scalar loop, the specification, does.
/// </para>
/// </summary>
public static class DepthwiseConv
{
    /// <summary>Int16 values <see cref="PackWeights(ReadOnlySpan{sbyte}, int, int, ReadOnlySpan{int}, Span{short})"/> writes: taps rounded up to pairs.</summary>
    public static int PackedLength(int channels, int taps) => (taps + 1) / 2 * 2 * channels;

    /// <summary>Where weight (tap <paramref name="tap"/>, channel <paramref name="channel"/>) is in the packed layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int PackedIndex(int tap, int channel, int channels) => (tap >> 1) * 2 * channels + channel * 2 + (tap & 1);

    /// <summary>
    /// <c>packed[PackedIndex(t, c)] = weights[c · taps + t] − zeroPoints[c]</c>: OHWI depthwise weights ([channels][kh][kw][1])
    /// re-laid as [tap pair][channel][2], zero point subtracted, the odd tap past the last (if any) 0. A one-element
    /// <paramref name="zeroPoints"/> applies to every channel. <paramref name="packed"/> holds <see cref="PackedLength"/> values.
    /// </summary>
    public static void PackWeights(ReadOnlySpan<sbyte> weights, int channels, int taps, ReadOnlySpan<int> zeroPoints, Span<short> packed) =>
        PackWeights<sbyte>(weights, channels, taps, zeroPoints, packed);

    /// <inheritdoc cref="PackWeights(ReadOnlySpan{sbyte}, int, int, ReadOnlySpan{int}, Span{short})"/>
    public static void PackWeights(ReadOnlySpan<byte> weights, int channels, int taps, ReadOnlySpan<int> zeroPoints, Span<short> packed) =>
        PackWeights<byte>(weights, channels, taps, zeroPoints, packed);

    /// <summary>
    /// <see cref="PackWeights(ReadOnlySpan{sbyte}, int, int, ReadOnlySpan{int}, Span{short})"/> into a new array of
    /// <see cref="PackedLength"/> values: for a generated class's constructor, which packs constant weights once per instance.
    /// </summary>
    public static short[] PackWeights(ReadOnlySpan<sbyte> weights, int channels, int taps, ReadOnlySpan<int> zeroPoints)
    {
        var packed = new short[PackedLength(channels, taps)];
        PackWeights<sbyte>(weights, channels, taps, zeroPoints, packed);
        return packed;
    }

    /// <inheritdoc cref="PackWeights(ReadOnlySpan{sbyte}, int, int, ReadOnlySpan{int})"/>
    public static short[] PackWeights(ReadOnlySpan<byte> weights, int channels, int taps, ReadOnlySpan<int> zeroPoints)
    {
        var packed = new short[PackedLength(channels, taps)];
        PackWeights<byte>(weights, channels, taps, zeroPoints, packed);
        return packed;
    }

    /// <summary>
    /// <c>acc[c] += Σ_t x̂[t][c] · packed[PackedIndex(t, c)]</c> for the <c>channels = acc.Length</c> channels (wrapping), with
    /// x̂[t] = <c>x.Slice(tapOffsets[t], channels)</c>, or <paramref name="xZeroPoint"/> in every channel when
    /// <c>tapOffsets[t]</c> is negative (a tap in the padding).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<sbyte> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc) =>
        Accumulate<sbyte>(x, tapOffsets, xZeroPoint, packed, acc);

    /// <inheritdoc cref="Accumulate(ReadOnlySpan{sbyte}, ReadOnlySpan{int}, int, ReadOnlySpan{short}, Span{int})"/>
    public static void Accumulate(ReadOnlySpan<byte> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc) =>
        Accumulate<byte>(x, tapOffsets, xZeroPoint, packed, acc);

    internal static void PackWeights<T>(ReadOnlySpan<T> weights, int channels, int taps, ReadOnlySpan<int> zeroPoints, Span<short> packed) where T : unmanaged
    {
        if (channels < 0 || taps < 0 || weights.Length < channels * taps || packed.Length < PackedLength(channels, taps))
            throw new ArgumentException($"{channels} channels of {taps} taps need {channels * taps} weights (have {weights.Length}) and {PackedLength(channels, taps)} packed values (have {packed.Length})");
        packed.Slice(0, PackedLength(channels, taps)).Clear();
        if (zeroPoints.Length != 1 && zeroPoints.Length != channels)
            throw new ArgumentException($"expected 1 or {channels} weight zero points, got {zeroPoints.Length}");
        for (int c = 0; c < channels; c++)
        {
            int zeroPoint = zeroPoints[zeroPoints.Length == 1 ? 0 : c];
            for (int t = 0; t < taps; t++) packed[PackedIndex(t, c, channels)] = (short)(Int8Dot.ToInt(weights[c * taps + t]) - zeroPoint);
        }
    }

    internal static void Accumulate<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc) where T : unmanaged
    {
        int channels = acc.Length;
        Validate(x.Length, tapOffsets, packed.Length, channels);
        CheckZeroPoint<T>(xZeroPoint);
        AccumulateChecked(x, tapOffsets, xZeroPoint, packed, acc);
    }

    /// <summary>The vector paths pad with x_zero_point as a value of the input's type (one byte per channel).</summary>
    internal static void CheckZeroPoint<T>(int xZeroPoint)
    {
        if ((uint)(typeof(T) == typeof(sbyte) ? xZeroPoint + 128 : xZeroPoint) > 255u)
            throw new ArgumentOutOfRangeException(nameof(xZeroPoint), $"x_zero_point {xZeroPoint} is not a value of the input's type {typeof(T).Name}");
    }

    /// <summary>
    /// <see cref="Accumulate{T}"/> once the caller has established what <see cref="Validate"/> and <see cref="CheckZeroPoint{T}"/>
    /// check (every tap inside the input, enough packed weights, a padding value of the input's type).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateChecked<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc) where T : unmanaged
    {
        int channels = acc.Length;
        int c = 0;
        if (Avx512BW.IsSupported && channels >= 16)
        {
            c = AccumulateAvx512(x, tapOffsets, xZeroPoint, packed, acc);
            if (c <= channels - 8) c = AccumulateAvx2(x, tapOffsets, xZeroPoint, packed, acc, c);
            if (c < channels) AccumulateTailAvx2(x, tapOffsets, xZeroPoint, packed, acc, c);
            return;
        }
        if (Avx2.IsSupported)
        {
            c = AccumulateAvx2(x, tapOffsets, xZeroPoint, packed, acc);
            // The last channels as one more group of eight ending at the last channel, adding only in the lanes not done yet.
            if (c < channels && channels >= 8)
            {
                AccumulateTailAvx2(x, tapOffsets, xZeroPoint, packed, acc, c);
                return;
            }
        }
        else if (Vector128.IsHardwareAccelerated) c = AccumulateVector128(x, tapOffsets, xZeroPoint, packed, acc);
        AccumulateScalar(x, tapOffsets, xZeroPoint, packed, acc, c);
    }

    /// <summary>The vector paths read through unchecked references: every tap must lie inside the input and the weights.</summary>
    private static void Validate(int inputLength, ReadOnlySpan<int> tapOffsets, int packedLength, int channels)
    {
        if (packedLength < PackedLength(channels, tapOffsets.Length))
            throw new ArgumentException($"{tapOffsets.Length} taps of {channels} channels need {PackedLength(channels, tapOffsets.Length)} packed weights, have {packedLength}");
        foreach (int offset in tapOffsets)
            if (offset >= 0 && offset > inputLength - channels)
                throw new ArgumentOutOfRangeException(nameof(tapOffsets), $"a tap at {offset} reads {channels} channels past the input's {inputLength} values");
    }

    /// <summary>The specification, channels from <paramref name="start"/> on.</summary>
    internal static void AccumulateScalar<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc, int start)
        where T : unmanaged
    {
        int channels = acc.Length;
        for (int c = start; c < channels; c++)
        {
            int sum = acc[c];
            for (int t = 0; t < tapOffsets.Length; t++)
            {
                int value = tapOffsets[t] < 0 ? xZeroPoint : Int8Dot.ToInt(x[tapOffsets[t] + c]);
                sum = unchecked(sum + value * packed[PackedIndex(t, c, channels)]);
            }
            acc[c] = sum;
        }
    }

    /// <summary>Sixteen 8-bit values of the tap at <paramref name="offset"/> (channels from <paramref name="c"/>), or the padding value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Load16<T>(ref T px, int offset, int c, Vector128<byte> padding) where T : unmanaged =>
        offset < 0 ? padding : Vector128.LoadUnsafe(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref px, offset + c)));

    /// <summary>Eight 8-bit values of the tap at <paramref name="offset"/> (channels from <paramref name="c"/>) in the low half, or the padding value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Load8<T>(ref T px, int offset, int c, Vector128<byte> padding) where T : unmanaged =>
        offset < 0 ? padding : Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref px, offset + c)))).AsByte();

    /// <summary>Sixteen interleaved bytes (tap t, tap t + 1 of eight channels) as int16, sign- or zero-extended by type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen<T>(Vector128<byte> interleaved) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Avx2.ConvertToVector256Int16(interleaved.AsSByte()) : Avx2.ConvertToVector256Int16(interleaved);

    /// <summary>
    /// Two taps at a time: their bytes interleaved channel by channel (punpcklbw), widened to int16 and multiplied with the
    /// packed weight pairs by vpmaddwd, which adds each channel's two products into its int32 lane. Sixteen channels in
    /// two registers kept across all taps (then eight), so the accumulators are loaded and stored once per pixel.
    /// Returns where the scalar tail starts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int AccumulateAvx2<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc)
        where T : unmanaged => AccumulateAvx2(x, tapOffsets, xZeroPoint, packed, acc, 0);

    /// <summary>
    /// Sixteen channels at a time in one 512-bit register: two taps' 16 bytes interleaved (punpckl/hbw), widened to 32 int16
    /// values (vpmovsxbw/vpmovzxbw) and multiplied with the packed weight pairs by one vpmaddwd. Thirty-two channels go in
    /// two independent registers while they last. Returns where the rest starts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int AccumulateAvx512<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc)
        where T : unmanaged
    {
        int channels = acc.Length, taps = tapOffsets.Length;
        ref T px = ref MemoryMarshal.GetReference(x);
        ref short pw = ref MemoryMarshal.GetReference(packed);
        ref int pa = ref MemoryMarshal.GetReference(acc);
        ref int po = ref MemoryMarshal.GetReference(tapOffsets);
        var padding = Vector128.Create(unchecked((byte)xZeroPoint));
        int c = 0;
        for (; c <= channels - 32; c += 32)
        {
            var sum0 = Vector512.LoadUnsafe(ref pa, (nuint)c);
            var sum1 = Vector512.LoadUnsafe(ref pa, (nuint)(c + 16));
            for (int t = 0; t < taps; t += 2)
            {
                int first = Unsafe.Add(ref po, t), second = t + 1 < taps ? Unsafe.Add(ref po, t + 1) : -1;
                ref short weights = ref Unsafe.Add(ref pw, PackedIndex(t, c, channels));
                sum0 += Avx512BW.MultiplyAddAdjacent(Widen512<T>(Load16(ref px, first, c, padding), Load16(ref px, second, c, padding)), Vector512.LoadUnsafe(ref weights));
                sum1 += Avx512BW.MultiplyAddAdjacent(Widen512<T>(Load16(ref px, first, c + 16, padding), Load16(ref px, second, c + 16, padding)), Vector512.LoadUnsafe(ref weights, 32));
            }
            sum0.StoreUnsafe(ref pa, (nuint)c);
            sum1.StoreUnsafe(ref pa, (nuint)(c + 16));
        }
        for (; c <= channels - 16; c += 16)
        {
            var sum = Vector512.LoadUnsafe(ref pa, (nuint)c);
            for (int t = 0; t < taps; t += 2)
            {
                int first = Unsafe.Add(ref po, t), second = t + 1 < taps ? Unsafe.Add(ref po, t + 1) : -1;
                sum += Avx512BW.MultiplyAddAdjacent(Widen512<T>(Load16(ref px, first, c, padding), Load16(ref px, second, c, padding)),
                    Vector512.LoadUnsafe(ref Unsafe.Add(ref pw, PackedIndex(t, c, channels))));
            }
            sum.StoreUnsafe(ref pa, (nuint)c);
        }
        return c;
    }

    /// <summary>Sixteen channels of two taps, interleaved channel by channel and widened to int16 by type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Widen512<T>(Vector128<byte> first, Vector128<byte> second) where T : unmanaged
    {
        var interleaved = Vector256.Create(Sse2.UnpackLow(first, second), Sse2.UnpackHigh(first, second));
        return typeof(T) == typeof(sbyte) ? Avx512BW.ConvertToVector512Int16(interleaved.AsSByte()) : Avx512BW.ConvertToVector512Int16(interleaved);
    }

    /// <summary><see cref="AccumulateAvx2{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, ReadOnlySpan{short}, Span{int})"/> from channel <paramref name="start"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int AccumulateAvx2<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc, int start)
        where T : unmanaged
    {
        int channels = acc.Length, taps = tapOffsets.Length;
        ref T px = ref MemoryMarshal.GetReference(x);
        ref short pw = ref MemoryMarshal.GetReference(packed);
        ref int pa = ref MemoryMarshal.GetReference(acc);
        ref int po = ref MemoryMarshal.GetReference(tapOffsets);
        // x_zero_point is a value of the input's type, so a padded tap is that byte in every channel; the phantom tap
        // after an odd last one reads it too and meets zero weights.
        var padding = Vector128.Create(unchecked((byte)xZeroPoint));
        int c = start;
        for (; c <= channels - 16; c += 16)
        {
            var sum0 = Vector256.LoadUnsafe(ref pa, (nuint)c);
            var sum1 = Vector256.LoadUnsafe(ref pa, (nuint)(c + 8));
            for (int t = 0; t < taps; t += 2)
            {
                var first = Load16(ref px, Unsafe.Add(ref po, t), c, padding);
                var second = Load16(ref px, t + 1 < taps ? Unsafe.Add(ref po, t + 1) : -1, c, padding);
                ref short weights = ref Unsafe.Add(ref pw, PackedIndex(t, c, channels));
                sum0 = Avx2.Add(sum0, Avx2.MultiplyAddAdjacent(Widen<T>(Sse2.UnpackLow(first, second)), Vector256.LoadUnsafe(ref weights)));
                sum1 = Avx2.Add(sum1, Avx2.MultiplyAddAdjacent(Widen<T>(Sse2.UnpackHigh(first, second)), Vector256.LoadUnsafe(ref weights, 16)));
            }
            sum0.StoreUnsafe(ref pa, (nuint)c);
            sum1.StoreUnsafe(ref pa, (nuint)(c + 8));
        }
        for (; c <= channels - 8; c += 8)
        {
            var sum = Vector256.LoadUnsafe(ref pa, (nuint)c);
            for (int t = 0; t < taps; t += 2)
            {
                var first = Load8(ref px, Unsafe.Add(ref po, t), c, padding);
                var second = Load8(ref px, t + 1 < taps ? Unsafe.Add(ref po, t + 1) : -1, c, padding);
                var weights = Vector256.LoadUnsafe(ref Unsafe.Add(ref pw, PackedIndex(t, c, channels)));
                sum = Avx2.Add(sum, Avx2.MultiplyAddAdjacent(Widen<T>(Sse2.UnpackLow(first, second)), weights));
            }
            sum.StoreUnsafe(ref pa, (nuint)c);
        }
        return c;
    }

    /// <summary>
    /// Channels [<paramref name="start"/>, channels) for 0 &lt; channels − start &lt; 8 ≤ channels: the group of eight ending at
    /// the last channel is summed as in <see cref="AccumulateAvx2{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, ReadOnlySpan{short}, Span{int}, int)"/>, and its sums are added to the accumulators only in the
    /// lanes from <paramref name="start"/> on (the lanes before it were done by the main loop and get 0 added).
    /// </summary>
    internal static void AccumulateTailAvx2<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc, int start)
        where T : unmanaged
    {
        int channels = acc.Length, taps = tapOffsets.Length;
        int c = channels - 8;
        if (c < 0 || start < c || start >= channels)
            throw new ArgumentOutOfRangeException(nameof(start), $"the tail group needs 8 ≤ channels ({channels}) and start ({start}) in [{channels - 8}, {channels})");
        ref T px = ref MemoryMarshal.GetReference(x);
        ref short pw = ref MemoryMarshal.GetReference(packed);
        ref int pa = ref MemoryMarshal.GetReference(acc);
        ref int po = ref MemoryMarshal.GetReference(tapOffsets);
        var padding = Vector128.Create(unchecked((byte)xZeroPoint));
        var sum = Vector256<int>.Zero;
        for (int t = 0; t < taps; t += 2)
        {
            var first = Load8(ref px, Unsafe.Add(ref po, t), c, padding);
            var second = Load8(ref px, t + 1 < taps ? Unsafe.Add(ref po, t + 1) : -1, c, padding);
            var weights = Vector256.LoadUnsafe(ref Unsafe.Add(ref pw, PackedIndex(t, c, channels)));
            sum = Avx2.Add(sum, Avx2.MultiplyAddAdjacent(Widen<T>(Sse2.UnpackLow(first, second)), weights));
        }
        var keep = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(start - c));
        (Vector256.LoadUnsafe(ref pa, (nuint)c) + (sum & keep)).StoreUnsafe(ref pa, (nuint)c);
    }

    /// <summary>The portable path (Arm and others): eight channels at a time, widened through int16. Returns where the scalar tail starts.</summary>
    internal static int AccumulateVector128<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> tapOffsets, int xZeroPoint, ReadOnlySpan<short> packed, Span<int> acc)
        where T : unmanaged
    {
        int channels = acc.Length, taps = tapOffsets.Length;
        ref T px = ref MemoryMarshal.GetReference(x);
        ref short pw = ref MemoryMarshal.GetReference(packed);
        ref int pa = ref MemoryMarshal.GetReference(acc);
        ref int po = ref MemoryMarshal.GetReference(tapOffsets);
        var padding = Vector128.Create(xZeroPoint);
        int c = 0;
        for (; c <= channels - 8; c += 8)
        {
            var sum0 = Vector128.LoadUnsafe(ref pa, (nuint)c);
            var sum1 = Vector128.LoadUnsafe(ref pa, (nuint)(c + 4));
            for (int t = 0; t < taps; t++)
            {
                int offset = Unsafe.Add(ref po, t);
                // The eight channels' weights of tap t, every other value of the pair rows.
                ref short pair = ref Unsafe.Add(ref pw, PackedIndex(t, c, channels));
                var w0 = Vector128.Create((int)pair, Unsafe.Add(ref pair, 2), Unsafe.Add(ref pair, 4), Unsafe.Add(ref pair, 6));
                var w1 = Vector128.Create((int)Unsafe.Add(ref pair, 8), Unsafe.Add(ref pair, 10), Unsafe.Add(ref pair, 12), Unsafe.Add(ref pair, 14));
                Vector128<int> x0, x1;
                if (offset < 0) { x0 = padding; x1 = padding; }
                else
                {
                    var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref px, offset + c))));
                    var values = typeof(T) == typeof(sbyte)
                        ? Vector128.WidenLower(bytes.AsSByte())
                        : Vector128.WidenLower(bytes.AsByte()).AsInt16();
                    (x0, x1) = Vector128.Widen(values);
                }
                sum0 += x0 * w0;
                sum1 += x1 * w1;
            }
            sum0.StoreUnsafe(ref pa, (nuint)c);
            sum1.StoreUnsafe(ref pa, (nuint)(c + 4));
        }
        return c;
    }
}
