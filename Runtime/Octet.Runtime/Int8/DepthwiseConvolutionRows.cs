using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The row kernels of <see cref="DepthwiseConvolution"/> (AVX-512BW and AVX2): the layer is walked one output row at a
/// time, and within a row one block of 16 (or 8) channels at a time along the row, each block's accumulators in one
/// register from the bias to the stored bytes, requantized there with constants prepared once per call.
/// <list type="bullet">
/// <item>3×3 undilated windows at stride 1 or 2 (every depthwise layer of MobileNet and ShuffleNet): the whole row slides
/// along the input, each input column loaded and widened once for the two or three pixels that share it; a padded input
/// row is a stack row of x_zero_point bytes and a padded column a register of it, so no pixel takes a slower path
/// (<see cref="Window3x3Avx512{TX, TY}"/>).</item>
/// <item>Other windows: the row's interior pixels (window inside the input) read their taps at fixed steps from the
/// window's origin, with no padding test and no per-pixel offset table (<see cref="InteriorAvx512{TX, TY}"/>); border
/// pixels get an offset table and x_zero_point in place of the padded taps.</item>
/// </list>
/// A channel count that is not a multiple of the block ends with one more block ending at the last channel: it
/// recomputes a few channels of the block before it and writes them again with the same values, so every load and
/// store stays inside the pixel (the output never aliases the input: a window reads neighbouring pixels).
/// <para>
/// Two taps per multiply-add: each tap's 16 (8) bytes are widened to int32 lanes (vpmovsxbd/vpmovzxbd), the second tap
/// moved to the high int16 of each lane, and vpmaddwd multiplies both with the channel's two int16 weights and adds them
/// (the 3×3 kernel pairs window rows 0 and 1 of a column, and row 2 with a zero weight; the general kernel pairs taps as
/// the packed weights do, [tap pair][channel][2]). The products and their pair sums fit int32 exactly (see
/// <see cref="DepthwiseConv"/>), and the int32 sums wrap as the scalar specification's do.
/// </para>
/// <para>
/// Requantization is <see cref="Requantization.FixedPoint"/> per lane: the exact 64-bit product acc · M0 (vpmuldq on
/// even and odd lanes), plus 2^(r − 1), shifted right by r = 31 − shift (1 ≤ r ≤ 62; arithmetic vpsravq on AVX-512, the
/// 2^62-biased logical shift of <see cref="RequantizeRow"/> on AVX2), clamped to [min − zp, max − zp] and offset by zp.
/// A channel with r ≥ 63 rounds to 0 (multiplier 0); a layer with a left shift (r ≤ 0) uses the per-pixel path.
/// On AVX-512, a layer whose every right shift is 33 or more (<c>Int8Gemm.HighWordRequantizable</c>) takes the high-word
/// epilogue instead: the same integers from the high 32 bits of the products, in 32-bit lanes (see
/// <c>Int8Gemm.RequantizeHighWord.cs</c>; mobilenetv3's 3×3 layers 1.22–1.38× faster in one process, alternating).
/// </para>
/// </summary>
public static partial class DepthwiseConvolution
{
    /// <summary>
    /// One block's requantization constants, 64-bit halves split into even and odd lanes; with <see cref="HighWord"/>, the
    /// high-word epilogue's C = 2^(s − 1) + zp · 2^s and s = r − 32 in 32-bit lanes instead (see
    /// <c>Int8Gemm.RequantizeHighWord.cs</c>), which needs a third of the instructions.
    /// </summary>
    private struct BlockConstants512
    {
        public Vector512<int> Bias, Multiplier, OddMultiplier;
        public Vector512<long> EvenRounding, OddRounding;
        public Vector512<ulong> EvenShift, OddShift;
        public Vector512<int> HighOffset;
        public Vector512<uint> HighShift;
        public bool HighWord;
    }

    /// <summary>The AVX2 form of <see cref="BlockConstants512"/>: rounding includes the 2^62 bias, Unbias = 2^62 &gt;&gt; r.</summary>
    private struct BlockConstants256
    {
        public Vector256<int> Bias, Multiplier, OddMultiplier;
        public Vector256<ulong> EvenRounding, OddRounding, EvenShift, OddShift, EvenUnbias, OddUnbias;
    }

    /// <summary>Most channels the row kernels take: their per-block constants (≤ 36 KiB for 1,024 channels) live on the stack.</summary>
    internal const int MaxRowKernelChannels = 1024;

    /// <summary>True when the row kernels apply: at most <see cref="MaxRowKernelChannels"/> channels, every shift a right shift (r ≥ 1).</summary>
    internal static bool RowKernelsApply(ReadOnlySpan<int> shifts, int channels)
    {
        if (channels > MaxRowKernelChannels) return false;
        int count = shifts.Length == 1 ? 1 : channels;
        for (int c = 0; c < count; c++)
            if (31 - shifts[c] <= 0) return false;
        return true;
    }

    /// <summary>Block b's first channel: blocks of <paramref name="width"/>, the last one ending at the last channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BlockStart(int block, int blocks, int channels, int width) => block < blocks - 1 ? block * width : channels - width;

    /// <summary>The first interior pixel and the end of the interior range of a row (windows inside the input horizontally).</summary>
    private static (int Begin, int End) InteriorColumns(in Geometry g)
    {
        int reachWidth = (g.KernelWidth - 1) * g.DilationWidth;
        int begin = (g.PadLeft + g.StrideWidth - 1) / g.StrideWidth;
        int last = g.InputWidth - 1 - reachWidth + g.PadLeft;
        int end = last < 0 ? 0 : Math.Min(g.OutputWidth, last / g.StrideWidth + 1);
        return end > begin ? (begin, end) : (0, 0);
    }

    /// <summary>Pair p's two steps from the window origin (elements); the phantom partner of an odd last tap repeats the tap (its weights are 0).</summary>
    private static void PairSteps(in Geometry g, Span<int> steps)
    {
        int taps = g.KernelHeight * g.KernelWidth;
        for (int t = 0; t < steps.Length; t++)
        {
            int tap = t < taps ? t : taps - 1;
            int kh = tap / g.KernelWidth, kw = tap % g.KernelWidth;
            steps[t] = (kh * g.DilationHeight * g.InputWidth + kw * g.DilationWidth) * g.Channels;
        }
    }

    /// <summary>A border pixel's tap offsets into x (elements), −1 for a tap in the padding; pairs rounded up with −1.</summary>
    private static void BorderOffsets(in Geometry g, int n, int ih0, int iw0, Span<int> offsets)
    {
        offsets.Fill(-1);
        for (int kh = 0; kh < g.KernelHeight; kh++)
        {
            int ih = ih0 + kh * g.DilationHeight;
            if ((uint)ih >= (uint)g.InputHeight) continue;
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int iw = iw0 + kw * g.DilationWidth;
                if ((uint)iw < (uint)g.InputWidth) offsets[kh * g.KernelWidth + kw] = ((n * g.InputHeight + ih) * g.InputWidth + iw) * g.Channels;
            }
        }
    }

    // ---------------------------------------------------------------- AVX-512 (16 channels per block)

    /// <summary>The whole layer on AVX-512BW; the caller has checked the geometry and spans, channels ≥ 16 and <see cref="RowKernelsApply"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowsAvx512<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<short> packed, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        Span<TY> y, Geometry g, int xZeroPoint, int yZeroPoint, int min, int max, bool allowHighWord = true) where TX : unmanaged where TY : unmanaged
    {
        // The high-word epilogue where every channel's shift suits it (tests turn it off to check the 64-bit one).
        bool highWord = allowHighWord && Int8Gemm.HighWordRequantizable(shifts.Length == 1 ? shifts : shifts.Slice(0, g.Channels), yZeroPoint);
        const int Width = 16;
        int channels = g.Channels, taps = g.KernelHeight * g.KernelWidth, pairs = (taps + 1) / 2;
        int blocks = (channels + Width - 1) / Width;
        Span<BlockConstants512> constants = stackalloc BlockConstants512[blocks];
        ref int pm = ref MemoryMarshal.GetReference(multipliers);
        ref int pshift = ref MemoryMarshal.GetReference(shifts);
        ref int pb = ref MemoryMarshal.GetReference(bias);
        for (int block = 0; block < blocks; block++)
        {
            int start = BlockStart(block, blocks, channels, Width);
            // The caller checked that multipliers and shifts hold 1 or ≥ channels values and bias 0 or ≥ channels.
            var mv = multipliers.Length == 1 ? Vector512.Create(pm) : Vector512.LoadUnsafe(ref pm, (nuint)start);
            var rv = Vector512.Create(31) - (shifts.Length == 1 ? Vector512.Create(pshift) : Vector512.LoadUnsafe(ref pshift, (nuint)start));
            // A right shift of 63 or more rounds |acc · M0| < 2^62 to 0: the same as multiplier 0 with shift 1.
            var vanishing = Vector512.GreaterThan(rv, Vector512.Create(62));
            mv = Vector512.AndNot(mv, vanishing);
            rv = Vector512.ConditionalSelect(vanishing, Vector512<int>.One, rv);
            var rEven = rv.AsInt64() & Vector512.Create(0xFFFFFFFFL);
            var rOdd = Vector512.ShiftRightLogical(rv.AsInt64(), 32);
            ref var k = ref constants[block];
            k.Bias = bias.IsEmpty ? Vector512<int>.Zero : Vector512.LoadUnsafe(ref pb, (nuint)start);
            k.Multiplier = mv;
            // vpmuldq reads the low int32 of each 64-bit lane: the odd channels' multipliers moved there.
            k.OddMultiplier = Vector512.ShiftRightLogical(mv.AsInt64(), 32).AsInt32();
            k.EvenShift = rEven.AsUInt64();
            k.OddShift = rOdd.AsUInt64();
            k.EvenRounding = Rounding512(rEven);
            k.OddRounding = Rounding512(rOdd);
            k.HighWord = highWord;
            if (highWord)
            {
                // s = r − 32 (vanishing channels: M0 = 0 and s = 1); HighWordRequantizable has checked r ≥ 33 and |C| < 2^30.
                var s = Vector512.ConditionalSelect(vanishing, Vector512<int>.One, rv - Vector512.Create(32));
                k.HighShift = s.AsUInt32();
                k.HighOffset = Avx512F.ShiftLeftLogicalVariable(Vector512<int>.One, (s - Vector512<int>.One).AsUInt32())
                               + Avx512F.ShiftLeftLogicalVariable(Vector512.Create(yZeroPoint), s.AsUInt32());
            }
        }

        Span<int> steps = stackalloc int[2 * pairs];
        PairSteps(g, steps);
        Span<int> offsets = stackalloc int[2 * pairs];
        var (interiorBegin, interiorEnd) = InteriorColumns(g);
        int reachHeight = (g.KernelHeight - 1) * g.DilationHeight;
        // 3×3 windows, undilated, stride 1 or 2: whole rows slide along the input reusing columns (see Window3x3Avx512).
        bool window3x3 = g.KernelHeight == 3 && g.KernelWidth == 3 && g.DilationHeight == 1 && g.DilationWidth == 1 && g.StrideWidth <= 2;
        // A padded input row is a row of x_zero_point bytes, so that no pixel takes the border path.
        int rowLength = g.InputWidth * channels;
        bool paddedRows = window3x3 && rowLength <= MaxPaddingRow;
        Span<byte> paddingRow = paddedRows ? stackalloc byte[rowLength] : default;
        paddingRow.Fill(unchecked((byte)xZeroPoint));
        ref byte pr = ref MemoryMarshal.GetReference(paddingRow);
        ref byte px = ref Unsafe.As<TX, byte>(ref MemoryMarshal.GetReference(x));
        ref byte py = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(y));
        ref short pw = ref MemoryMarshal.GetReference(packed);
        ref int ps = ref MemoryMarshal.GetReference(steps);
        ref int po = ref MemoryMarshal.GetReference(offsets);
        var padding = Vector512.Create(xZeroPoint);
        // The clamp bounds as Requantize512 reads them: [min − zp, max − zp] in 64-bit lanes, or for the high-word
        // epilogue [min, max] in 32-bit lanes (the same registers, reinterpreted).
        var low = highWord ? Vector512.Create(min).AsInt64() : Vector512.Create((long)(min - yZeroPoint));
        var high = highWord ? Vector512.Create(max).AsInt64() : Vector512.Create((long)(max - yZeroPoint));
        var zp = Vector512.Create(yZeroPoint);
        for (int n = 0; n < g.Batch; n++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
            {
                int ih0 = oh * g.StrideHeight - g.PadTop;
                bool rowInside = ih0 >= 0 && ih0 + reachHeight < g.InputHeight;
                int rowPixel = (n * g.OutputHeight + oh) * g.OutputWidth;
                if (paddedRows)
                {
                    // The whole row, borders included: padded rows read the x_zero_point row, padded columns a register of it.
                    int image = n * g.InputHeight;
                    ref byte row0 = ref (uint)ih0 < (uint)g.InputHeight ? ref Unsafe.Add(ref px, (image + ih0) * rowLength) : ref pr;
                    ref byte row1 = ref (uint)(ih0 + 1) < (uint)g.InputHeight ? ref Unsafe.Add(ref px, (image + ih0 + 1) * rowLength) : ref pr;
                    ref byte row2 = ref (uint)(ih0 + 2) < (uint)g.InputHeight ? ref Unsafe.Add(ref px, (image + ih0 + 2) * rowLength) : ref pr;
                    for (int block = 0; block < blocks; block++)
                    {
                        int start = BlockStart(block, blocks, channels, Width);
                        Window3x3Avx512<TX, TY>(ref Unsafe.Add(ref row0, start), ref Unsafe.Add(ref row1, start), ref Unsafe.Add(ref row2, start),
                            ref Unsafe.Add(ref py, rowPixel * channels + start), ref Unsafe.Add(ref pw, 2 * start), channels, g.OutputWidth, g.StrideWidth,
                            -g.PadLeft, g.InputWidth, xZeroPoint, constants[block], low, high, zp);
                    }
                    continue;
                }
                for (int ow = 0; ow < g.OutputWidth; ow++)
                {
                    if (rowInside && ow == interiorBegin && interiorEnd > interiorBegin)
                    {
                        int count = interiorEnd - interiorBegin;
                        int column = (ow * g.StrideWidth - g.PadLeft) * channels;
                        int origin = (n * g.InputHeight + ih0) * rowLength + column;
                        for (int block = 0; block < blocks; block++)
                        {
                            int start = BlockStart(block, blocks, channels, Width);
                            InteriorAvx512<TX, TY>(ref Unsafe.Add(ref px, origin + start), ref Unsafe.Add(ref py, (rowPixel + ow) * channels + start),
                                ref Unsafe.Add(ref pw, 2 * start), ref ps, pairs, channels, count, g.StrideWidth * channels, constants[block], low, high, zp);
                        }
                        ow = interiorEnd - 1;
                        continue;
                    }
                    BorderOffsets(g, n, ih0, ow * g.StrideWidth - g.PadLeft, offsets);
                    for (int block = 0; block < blocks; block++)
                    {
                        int start = BlockStart(block, blocks, channels, Width);
                        var acc = BorderAvx512<TX>(ref Unsafe.Add(ref px, start), ref po, ref Unsafe.Add(ref pw, 2 * start), pairs, channels, padding, constants[block].Bias);
                        Requantize512<TY>(acc, constants[block], low, high, zp, ref Unsafe.Add(ref py, (rowPixel + ow) * channels + start));
                    }
                }
            }
    }

    /// <summary>Longest input row (bytes) the 3×3 path pads with a stack row of x_zero_point.</summary>
    private const int MaxPaddingRow = 16 * 1024;

    /// <summary>2^(r − 1) per 64-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> Rounding512(Vector512<long> rightShift) =>
        Avx512F.ShiftLeftLogicalVariable(Vector512<long>.One, (rightShift - Vector512<long>.One).AsUInt64());

    /// <summary>
    /// <paramref name="count"/> interior pixels of one block: <paramref name="x"/> at the first window's origin (block's first
    /// channel), pixels <paramref name="inputStep"/> elements apart in x and <paramref name="channels"/> apart in y.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InteriorAvx512<TX, TY>(ref byte x, ref byte y, ref short weights, ref int steps, int pairs, int channels, int count, int inputStep,
        in BlockConstants512 k, Vector512<long> low, Vector512<long> high, Vector512<int> zp) where TX : unmanaged where TY : unmanaged
    {
        var lowHalf = Vector512.Create(0xFFFF);
        nint pairStride = 2 * channels;
        for (int i = 0; i < count; i++)
        {
            var acc = k.Bias;
            ref short w = ref weights;
            for (int p = 0; p < pairs; p++)
            {
                var first = Widen512<TX>(Vector128.LoadUnsafe(ref x, (nuint)Unsafe.Add(ref steps, 2 * p)));
                var second = Widen512<TX>(Vector128.LoadUnsafe(ref x, (nuint)Unsafe.Add(ref steps, 2 * p + 1)));
                var both = (first & lowHalf) | Vector512.ShiftLeft(second, 16);
                acc += Avx512BW.MultiplyAddAdjacent(both.AsInt16(), Vector512.LoadUnsafe(ref w));
                w = ref Unsafe.Add(ref w, pairStride);
            }
            Requantize512<TY>(acc, k, low, high, zp, ref y);
            x = ref Unsafe.Add(ref x, inputStep);
            y = ref Unsafe.Add(ref y, channels);
        }
    }

    /// <summary>
    /// One block of a whole output row of a 3×3 undilated window, stride 1 or 2, sliding along the row: each input column
    /// of the window is loaded and widened once for all the pixels that share it (three at stride 1, two at stride 2), as
    /// one register holding its rows 0 and 1 as int16 pairs and one holding row 2 (whose partner weight is 0, so its high
    /// half does not matter). Six vpmaddwd per pixel, weights in registers. <paramref name="row0"/> to <paramref name="row2"/>
    /// are the window's three input rows at column 0 (the block's first channel), or a row of x_zero_point; a column
    /// outside [0, <paramref name="width"/>) is x_zero_point. <paramref name="firstColumn"/> is the first pixel's leftmost column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Window3x3Avx512<TX, TY>(ref byte row0, ref byte row1, ref byte row2, ref byte y, ref short weights, int channels, int count, int stride,
        int firstColumn, int width, int xZeroPoint, in BlockConstants512 k, Vector512<long> low, Vector512<long> high, Vector512<int> zp) where TX : unmanaged where TY : unmanaged
    {
        // The packed pairs hold taps (0, 1), (2, 3), (4, 5), (6, 7), (8, 0) of each channel (window row-major); re-paired
        // by column: top_kw = (row 0, row 1) at column kw, bottom_kw = (row 2, 0).
        nint pair = 2 * channels;
        var lowHalf = Vector512.Create(0xFFFF);
        var highHalf = Vector512.Create(unchecked((int)0xFFFF0000));
        var p01 = Vector512.LoadUnsafe(ref weights).AsInt32();
        var p23 = Vector512.LoadUnsafe(ref Unsafe.Add(ref weights, pair)).AsInt32();
        var p45 = Vector512.LoadUnsafe(ref Unsafe.Add(ref weights, 2 * pair)).AsInt32();
        var p67 = Vector512.LoadUnsafe(ref Unsafe.Add(ref weights, 3 * pair)).AsInt32();
        var p8 = Vector512.LoadUnsafe(ref Unsafe.Add(ref weights, 4 * pair)).AsInt32();
        var top0 = ((p01 & lowHalf) | (p23 & highHalf)).AsInt16();                                  // taps 0, 3
        var top1 = (Vector512.ShiftRightLogical(p01, 16) | Vector512.ShiftLeft(p45, 16)).AsInt16();  // taps 1, 4
        var top2 = ((p23 & lowHalf) | (p45 & highHalf)).AsInt16();                                  // taps 2, 5
        var bottom0 = (p67 & lowHalf).AsInt16();                                                    // tap 6
        var bottom1 = Vector512.ShiftRightLogical(p67, 16).AsInt16();                               // tap 7
        var bottom2 = (p8 & lowHalf).AsInt16();                                                     // tap 8
        var padLast = Vector512.Create(xZeroPoint);
        var padPair = (padLast & lowHalf) | Vector512.ShiftLeft(padLast, 16);
        var bias = k.Bias;
        int column = firstColumn;
        var pair0 = ColumnPair512<TX>(ref row0, ref row1, column, width, channels, padPair);
        var last0 = ColumnLast512<TX>(ref row2, column, width, channels, padLast);
        if (stride == 1)
        {
            var pair1 = ColumnPair512<TX>(ref row0, ref row1, column + 1, width, channels, padPair);
            var last1 = ColumnLast512<TX>(ref row2, column + 1, width, channels, padLast);
            for (int i = 0; i < count; i++)
            {
                var pair2 = ColumnPair512<TX>(ref row0, ref row1, column + 2, width, channels, padPair);
                var last2 = ColumnLast512<TX>(ref row2, column + 2, width, channels, padLast);
                var acc = bias + Avx512BW.MultiplyAddAdjacent(pair0.AsInt16(), top0) + Avx512BW.MultiplyAddAdjacent(last0.AsInt16(), bottom0);
                acc += Avx512BW.MultiplyAddAdjacent(pair1.AsInt16(), top1) + Avx512BW.MultiplyAddAdjacent(last1.AsInt16(), bottom1);
                acc += Avx512BW.MultiplyAddAdjacent(pair2.AsInt16(), top2) + Avx512BW.MultiplyAddAdjacent(last2.AsInt16(), bottom2);
                Requantize512<TY>(acc, k, low, high, zp, ref y);
                pair0 = pair1; last0 = last1;
                pair1 = pair2; last1 = last2;
                column++;
                y = ref Unsafe.Add(ref y, channels);
            }
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                var pair1 = ColumnPair512<TX>(ref row0, ref row1, column + 1, width, channels, padPair);
                var last1 = ColumnLast512<TX>(ref row2, column + 1, width, channels, padLast);
                var pair2 = ColumnPair512<TX>(ref row0, ref row1, column + 2, width, channels, padPair);
                var last2 = ColumnLast512<TX>(ref row2, column + 2, width, channels, padLast);
                var acc = bias + Avx512BW.MultiplyAddAdjacent(pair0.AsInt16(), top0) + Avx512BW.MultiplyAddAdjacent(last0.AsInt16(), bottom0);
                acc += Avx512BW.MultiplyAddAdjacent(pair1.AsInt16(), top1) + Avx512BW.MultiplyAddAdjacent(last1.AsInt16(), bottom1);
                acc += Avx512BW.MultiplyAddAdjacent(pair2.AsInt16(), top2) + Avx512BW.MultiplyAddAdjacent(last2.AsInt16(), bottom2);
                Requantize512<TY>(acc, k, low, high, zp, ref y);
                pair0 = pair2; last0 = last2;
                column += 2;
                y = ref Unsafe.Add(ref y, channels);
            }
        }
    }

    /// <summary>Window rows 0 and 1 of input column <paramref name="column"/> as int16 pairs in int32 lanes (row 0 low, row 1 high), or the padding pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> ColumnPair512<TX>(ref byte row0, ref byte row1, int column, int width, int channels, Vector512<int> padding) where TX : unmanaged
    {
        if ((uint)column >= (uint)width) return padding;
        nuint offset = (nuint)(column * channels);
        return (Widen512<TX>(Vector128.LoadUnsafe(ref row0, offset)) & Vector512.Create(0xFFFF))
            | Vector512.ShiftLeft(Widen512<TX>(Vector128.LoadUnsafe(ref row1, offset)), 16);
    }

    /// <summary>Window row 2 of input column <paramref name="column"/> as int32 lanes, or x_zero_point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> ColumnLast512<TX>(ref byte row2, int column, int width, int channels, Vector512<int> padding) where TX : unmanaged =>
        (uint)column >= (uint)width ? padding : Widen512<TX>(Vector128.LoadUnsafe(ref row2, (nuint)(column * channels)));

    /// <summary>One block of a border pixel: taps at <paramref name="offsets"/> from <paramref name="x"/>, x_zero_point where −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> BorderAvx512<TX>(ref byte x, ref int offsets, ref short weights, int pairs, int channels, Vector512<int> padding, Vector512<int> acc)
        where TX : unmanaged
    {
        var lowHalf = Vector512.Create(0xFFFF);
        nint pairStride = 2 * channels;
        for (int p = 0; p < pairs; p++)
        {
            int a = Unsafe.Add(ref offsets, 2 * p), b = Unsafe.Add(ref offsets, 2 * p + 1);
            var first = a < 0 ? padding : Widen512<TX>(Vector128.LoadUnsafe(ref x, (nuint)a));
            var second = b < 0 ? padding : Widen512<TX>(Vector128.LoadUnsafe(ref x, (nuint)b));
            var both = (first & lowHalf) | Vector512.ShiftLeft(second, 16);
            acc += Avx512BW.MultiplyAddAdjacent(both.AsInt16(), Vector512.LoadUnsafe(ref weights));
            weights = ref Unsafe.Add(ref weights, pairStride);
        }
        return acc;
    }

    /// <summary>Sixteen 8-bit values as int32 lanes, sign- or zero-extended by type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Widen512<TX>(Vector128<byte> bytes) where TX : unmanaged =>
        typeof(TX) == typeof(sbyte) ? Avx512F.ConvertToVector512Int32(bytes.AsSByte()) : Avx512F.ConvertToVector512Int32(bytes);

    /// <summary>Sixteen accumulators to sixteen 8-bit outputs at <paramref name="y"/> (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Requantize512<TY>(Vector512<int> acc, in BlockConstants512 k, Vector512<long> low, Vector512<long> high, Vector512<int> zp, ref byte y)
        where TY : unmanaged
    {
        if (k.HighWord)
        {
            Int8Gemm.RequantizeHighWord(acc, k.Multiplier, k.OddMultiplier, Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31),
                k.HighOffset, k.HighShift, low.AsInt32(), high.AsInt32()).StoreUnsafe(ref y);
            return;
        }
        var even = Avx512F.Multiply(acc, k.Multiplier);
        var odd = Avx512F.Multiply(Vector512.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), k.OddMultiplier);
        // |acc · M0| < 2^62 and 2^(r − 1) ≤ 2^61: the sum cannot overflow, and the arithmetic shift is the scalar floor.
        even = Avx512F.ShiftRightArithmeticVariable(even + k.EvenRounding, k.EvenShift);
        odd = Avx512F.ShiftRightArithmeticVariable(odd + k.OddRounding, k.OddShift);
        even = Vector512.Min(Vector512.Max(even, low), high);
        odd = Vector512.Min(Vector512.Max(odd, low), high);
        // Each clamped value fits the low int32 of its lane: odd ones moved up, even ones kept, then the zero point.
        var values = ((even & Vector512.Create(0xFFFFFFFFL)) | Vector512.ShiftLeft(odd, 32)).AsInt32() + zp;
        // Every value is inside the 8-bit type's range: truncating to bytes (vpmovdb) keeps it.
        Avx512F.ConvertToVector128Byte(values.AsUInt32()).StoreUnsafe(ref y);
    }

    // ---------------------------------------------------------------- AVX2 (8 channels per block)

    /// <summary>The whole layer on AVX2; the caller has checked the geometry and spans, channels ≥ 8 and <see cref="RowKernelsApply"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowsAvx2<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<short> packed, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        Span<TY> y, Geometry g, int xZeroPoint, int yZeroPoint, int min, int max) where TX : unmanaged where TY : unmanaged
    {
        const int Width = 8;
        int channels = g.Channels, taps = g.KernelHeight * g.KernelWidth, pairs = (taps + 1) / 2;
        int blocks = (channels + Width - 1) / Width;
        Span<BlockConstants256> constants = stackalloc BlockConstants256[blocks];
        ref int pm = ref MemoryMarshal.GetReference(multipliers);
        ref int pshift = ref MemoryMarshal.GetReference(shifts);
        ref int pb = ref MemoryMarshal.GetReference(bias);
        for (int block = 0; block < blocks; block++)
        {
            int start = BlockStart(block, blocks, channels, Width);
            var mv = multipliers.Length == 1 ? Vector256.Create(pm) : Vector256.LoadUnsafe(ref pm, (nuint)start);
            var rv = Vector256.Create(31) - (shifts.Length == 1 ? Vector256.Create(pshift) : Vector256.LoadUnsafe(ref pshift, (nuint)start));
            var vanishing = Vector256.GreaterThan(rv, Vector256.Create(62));
            mv = Vector256.AndNot(mv, vanishing);
            rv = Vector256.ConditionalSelect(vanishing, Vector256<int>.One, rv);
            var rEven = (rv.AsInt64() & Vector256.Create(0xFFFFFFFFL)).AsUInt64();
            var rOdd = Vector256.ShiftRightLogical(rv.AsInt64(), 32).AsUInt64();
            var bias62 = Vector256.Create(1UL << 62);
            ref var k = ref constants[block];
            k.Bias = bias.IsEmpty ? Vector256<int>.Zero : Vector256.LoadUnsafe(ref pb, (nuint)start);
            k.Multiplier = mv;
            k.OddMultiplier = Vector256.ShiftRightLogical(mv.AsInt64(), 32).AsInt32();
            k.EvenShift = rEven;
            k.OddShift = rOdd;
            k.EvenRounding = Avx2.ShiftLeftLogicalVariable(Vector256<ulong>.One, rEven - Vector256<ulong>.One) + bias62;
            k.OddRounding = Avx2.ShiftLeftLogicalVariable(Vector256<ulong>.One, rOdd - Vector256<ulong>.One) + bias62;
            k.EvenUnbias = Avx2.ShiftRightLogicalVariable(bias62, rEven);
            k.OddUnbias = Avx2.ShiftRightLogicalVariable(bias62, rOdd);
        }

        Span<int> steps = stackalloc int[2 * pairs];
        PairSteps(g, steps);
        Span<int> offsets = stackalloc int[2 * pairs];
        var (interiorBegin, interiorEnd) = InteriorColumns(g);
        int reachHeight = (g.KernelHeight - 1) * g.DilationHeight;
        ref byte px = ref Unsafe.As<TX, byte>(ref MemoryMarshal.GetReference(x));
        ref byte py = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(y));
        ref short pw = ref MemoryMarshal.GetReference(packed);
        ref int ps = ref MemoryMarshal.GetReference(steps);
        ref int po = ref MemoryMarshal.GetReference(offsets);
        // The 3×3 sliding rows of the AVX-512 path (see there), eight channels per block.
        bool window3x3 = g.KernelHeight == 3 && g.KernelWidth == 3 && g.DilationHeight == 1 && g.DilationWidth == 1 && g.StrideWidth <= 2;
        int rowLength = g.InputWidth * channels;
        bool paddedRows = window3x3 && rowLength <= MaxPaddingRow;
        Span<byte> paddingRow = paddedRows ? stackalloc byte[rowLength] : default;
        paddingRow.Fill(unchecked((byte)xZeroPoint));
        ref byte pr = ref MemoryMarshal.GetReference(paddingRow);
        var padding = Vector256.Create(xZeroPoint);
        var low = Vector256.Create((long)(min - yZeroPoint));
        var high = Vector256.Create((long)(max - yZeroPoint));
        var zp = Vector256.Create(yZeroPoint);
        for (int n = 0; n < g.Batch; n++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
            {
                int ih0 = oh * g.StrideHeight - g.PadTop;
                bool rowInside = ih0 >= 0 && ih0 + reachHeight < g.InputHeight;
                int rowPixel = (n * g.OutputHeight + oh) * g.OutputWidth;
                if (paddedRows)
                {
                    int image = n * g.InputHeight;
                    ref byte row0 = ref (uint)ih0 < (uint)g.InputHeight ? ref Unsafe.Add(ref px, (image + ih0) * rowLength) : ref pr;
                    ref byte row1 = ref (uint)(ih0 + 1) < (uint)g.InputHeight ? ref Unsafe.Add(ref px, (image + ih0 + 1) * rowLength) : ref pr;
                    ref byte row2 = ref (uint)(ih0 + 2) < (uint)g.InputHeight ? ref Unsafe.Add(ref px, (image + ih0 + 2) * rowLength) : ref pr;
                    for (int block = 0; block < blocks; block++)
                    {
                        int start = BlockStart(block, blocks, channels, Width);
                        Window3x3Avx2<TX, TY>(ref Unsafe.Add(ref row0, start), ref Unsafe.Add(ref row1, start), ref Unsafe.Add(ref row2, start),
                            ref Unsafe.Add(ref py, rowPixel * channels + start), ref Unsafe.Add(ref pw, 2 * start), channels, g.OutputWidth, g.StrideWidth,
                            -g.PadLeft, g.InputWidth, xZeroPoint, constants[block], low, high, zp);
                    }
                    continue;
                }
                for (int ow = 0; ow < g.OutputWidth; ow++)
                {
                    if (rowInside && ow == interiorBegin && interiorEnd > interiorBegin)
                    {
                        int origin = ((n * g.InputHeight + ih0) * g.InputWidth + ow * g.StrideWidth - g.PadLeft) * channels;
                        int count = interiorEnd - interiorBegin;
                        for (int block = 0; block < blocks; block++)
                        {
                            int start = BlockStart(block, blocks, channels, Width);
                            InteriorAvx2<TX, TY>(ref Unsafe.Add(ref px, origin + start), ref Unsafe.Add(ref py, (rowPixel + ow) * channels + start),
                                ref Unsafe.Add(ref pw, 2 * start), ref ps, pairs, channels, count, g.StrideWidth * channels, constants[block], low, high, zp);
                        }
                        ow = interiorEnd - 1;
                        continue;
                    }
                    BorderOffsets(g, n, ih0, ow * g.StrideWidth - g.PadLeft, offsets);
                    for (int block = 0; block < blocks; block++)
                    {
                        int start = BlockStart(block, blocks, channels, Width);
                        var acc = BorderAvx2<TX>(ref Unsafe.Add(ref px, start), ref po, ref Unsafe.Add(ref pw, 2 * start), pairs, channels, padding, constants[block].Bias);
                        Requantize256<TY>(acc, constants[block], low, high, zp, ref Unsafe.Add(ref py, (rowPixel + ow) * channels + start));
                    }
                }
            }
    }

    /// <summary>The AVX2 form of <see cref="InteriorAvx512{TX, TY}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InteriorAvx2<TX, TY>(ref byte x, ref byte y, ref short weights, ref int steps, int pairs, int channels, int count, int inputStep,
        in BlockConstants256 k, Vector256<long> low, Vector256<long> high, Vector256<int> zp) where TX : unmanaged where TY : unmanaged
    {
        var lowHalf = Vector256.Create(0xFFFF);
        nint pairStride = 2 * channels;
        for (int i = 0; i < count; i++)
        {
            var acc = k.Bias;
            ref short w = ref weights;
            for (int p = 0; p < pairs; p++)
            {
                var first = Widen256<TX>(ref Unsafe.Add(ref x, Unsafe.Add(ref steps, 2 * p)));
                var second = Widen256<TX>(ref Unsafe.Add(ref x, Unsafe.Add(ref steps, 2 * p + 1)));
                var both = (first & lowHalf) | Vector256.ShiftLeft(second, 16);
                acc += Avx2.MultiplyAddAdjacent(both.AsInt16(), Vector256.LoadUnsafe(ref w));
                w = ref Unsafe.Add(ref w, pairStride);
            }
            Requantize256<TY>(acc, k, low, high, zp, ref y);
            x = ref Unsafe.Add(ref x, inputStep);
            y = ref Unsafe.Add(ref y, channels);
        }
    }

    /// <summary>The AVX2 form of <see cref="Window3x3Avx512{TX, TY}"/>: eight channels per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Window3x3Avx2<TX, TY>(ref byte row0, ref byte row1, ref byte row2, ref byte y, ref short weights, int channels, int count, int stride,
        int firstColumn, int width, int xZeroPoint, in BlockConstants256 k, Vector256<long> low, Vector256<long> high, Vector256<int> zp) where TX : unmanaged where TY : unmanaged
    {
        nint pair = 2 * channels;
        var lowHalf = Vector256.Create(0xFFFF);
        var highHalf = Vector256.Create(unchecked((int)0xFFFF0000));
        var p01 = Vector256.LoadUnsafe(ref weights).AsInt32();
        var p23 = Vector256.LoadUnsafe(ref Unsafe.Add(ref weights, pair)).AsInt32();
        var p45 = Vector256.LoadUnsafe(ref Unsafe.Add(ref weights, 2 * pair)).AsInt32();
        var p67 = Vector256.LoadUnsafe(ref Unsafe.Add(ref weights, 3 * pair)).AsInt32();
        var p8 = Vector256.LoadUnsafe(ref Unsafe.Add(ref weights, 4 * pair)).AsInt32();
        var top0 = ((p01 & lowHalf) | (p23 & highHalf)).AsInt16();                                  // taps 0, 3
        var top1 = (Vector256.ShiftRightLogical(p01, 16) | Vector256.ShiftLeft(p45, 16)).AsInt16();  // taps 1, 4
        var top2 = ((p23 & lowHalf) | (p45 & highHalf)).AsInt16();                                  // taps 2, 5
        var bottom0 = (p67 & lowHalf).AsInt16();                                                    // tap 6
        var bottom1 = Vector256.ShiftRightLogical(p67, 16).AsInt16();                               // tap 7
        var bottom2 = (p8 & lowHalf).AsInt16();                                                     // tap 8
        var padLast = Vector256.Create(xZeroPoint);
        var padPair = (padLast & lowHalf) | Vector256.ShiftLeft(padLast, 16);
        var bias = k.Bias;
        int column = firstColumn;
        var pair0 = ColumnPair256<TX>(ref row0, ref row1, column, width, channels, padPair);
        var last0 = ColumnLast256<TX>(ref row2, column, width, channels, padLast);
        if (stride == 1)
        {
            var pair1 = ColumnPair256<TX>(ref row0, ref row1, column + 1, width, channels, padPair);
            var last1 = ColumnLast256<TX>(ref row2, column + 1, width, channels, padLast);
            for (int i = 0; i < count; i++)
            {
                var pair2 = ColumnPair256<TX>(ref row0, ref row1, column + 2, width, channels, padPair);
                var last2 = ColumnLast256<TX>(ref row2, column + 2, width, channels, padLast);
                var acc = bias + Avx2.MultiplyAddAdjacent(pair0.AsInt16(), top0) + Avx2.MultiplyAddAdjacent(last0.AsInt16(), bottom0);
                acc += Avx2.MultiplyAddAdjacent(pair1.AsInt16(), top1) + Avx2.MultiplyAddAdjacent(last1.AsInt16(), bottom1);
                acc += Avx2.MultiplyAddAdjacent(pair2.AsInt16(), top2) + Avx2.MultiplyAddAdjacent(last2.AsInt16(), bottom2);
                Requantize256<TY>(acc, k, low, high, zp, ref y);
                pair0 = pair1; last0 = last1;
                pair1 = pair2; last1 = last2;
                column++;
                y = ref Unsafe.Add(ref y, channels);
            }
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                var pair1 = ColumnPair256<TX>(ref row0, ref row1, column + 1, width, channels, padPair);
                var last1 = ColumnLast256<TX>(ref row2, column + 1, width, channels, padLast);
                var pair2 = ColumnPair256<TX>(ref row0, ref row1, column + 2, width, channels, padPair);
                var last2 = ColumnLast256<TX>(ref row2, column + 2, width, channels, padLast);
                var acc = bias + Avx2.MultiplyAddAdjacent(pair0.AsInt16(), top0) + Avx2.MultiplyAddAdjacent(last0.AsInt16(), bottom0);
                acc += Avx2.MultiplyAddAdjacent(pair1.AsInt16(), top1) + Avx2.MultiplyAddAdjacent(last1.AsInt16(), bottom1);
                acc += Avx2.MultiplyAddAdjacent(pair2.AsInt16(), top2) + Avx2.MultiplyAddAdjacent(last2.AsInt16(), bottom2);
                Requantize256<TY>(acc, k, low, high, zp, ref y);
                pair0 = pair2; last0 = last2;
                column += 2;
                y = ref Unsafe.Add(ref y, channels);
            }
        }
    }

    /// <summary>The AVX2 form of <see cref="ColumnPair512{TX}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ColumnPair256<TX>(ref byte row0, ref byte row1, int column, int width, int channels, Vector256<int> padding) where TX : unmanaged
    {
        if ((uint)column >= (uint)width) return padding;
        nint offset = column * channels;
        return (Widen256<TX>(ref Unsafe.Add(ref row0, offset)) & Vector256.Create(0xFFFF)) | Vector256.ShiftLeft(Widen256<TX>(ref Unsafe.Add(ref row1, offset)), 16);
    }

    /// <summary>The AVX2 form of <see cref="ColumnLast512{TX}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ColumnLast256<TX>(ref byte row2, int column, int width, int channels, Vector256<int> padding) where TX : unmanaged =>
        (uint)column >= (uint)width ? padding : Widen256<TX>(ref Unsafe.Add(ref row2, column * channels));

    /// <summary>The AVX2 form of <see cref="BorderAvx512{TX}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BorderAvx2<TX>(ref byte x, ref int offsets, ref short weights, int pairs, int channels, Vector256<int> padding, Vector256<int> acc)
        where TX : unmanaged
    {
        var lowHalf = Vector256.Create(0xFFFF);
        nint pairStride = 2 * channels;
        for (int p = 0; p < pairs; p++)
        {
            int a = Unsafe.Add(ref offsets, 2 * p), b = Unsafe.Add(ref offsets, 2 * p + 1);
            var first = a < 0 ? padding : Widen256<TX>(ref Unsafe.Add(ref x, a));
            var second = b < 0 ? padding : Widen256<TX>(ref Unsafe.Add(ref x, b));
            var both = (first & lowHalf) | Vector256.ShiftLeft(second, 16);
            acc += Avx2.MultiplyAddAdjacent(both.AsInt16(), Vector256.LoadUnsafe(ref weights));
            weights = ref Unsafe.Add(ref weights, pairStride);
        }
        return acc;
    }

    /// <summary>Eight 8-bit values at <paramref name="source"/> as int32 lanes, sign- or zero-extended by type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen256<TX>(ref byte source) where TX : unmanaged
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref source)).AsByte();
        return typeof(TX) == typeof(sbyte) ? Avx2.ConvertToVector256Int32(bytes.AsSByte()) : Avx2.ConvertToVector256Int32(bytes);
    }

    /// <summary>Eight accumulators to eight 8-bit outputs at <paramref name="y"/>: <see cref="RequantizeRow"/>'s biased logical shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Requantize256<TY>(Vector256<int> acc, in BlockConstants256 k, Vector256<long> low, Vector256<long> high, Vector256<int> zp, ref byte y)
        where TY : unmanaged
    {
        var even = Avx2.Multiply(acc, k.Multiplier).AsUInt64();
        var odd = Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), k.OddMultiplier).AsUInt64();
        // + 2^(r − 1) + 2^62 keeps the sum in [0, 2^64) (|acc · M0| < 2^62); the logical shift minus 2^62 >> r is the floor.
        var evenValue = (Avx2.ShiftRightLogicalVariable(even + k.EvenRounding, k.EvenShift) - k.EvenUnbias).AsInt64();
        var oddValue = (Avx2.ShiftRightLogicalVariable(odd + k.OddRounding, k.OddShift) - k.OddUnbias).AsInt64();
        evenValue = Vector256.Min(Vector256.Max(evenValue, low), high);
        oddValue = Vector256.Min(Vector256.Max(oddValue, low), high);
        var values = ((evenValue & Vector256.Create(0xFFFFFFFFL)) | Avx2.ShiftLeftLogical(oddValue, 32)).AsInt32() + zp;
        var shorts = Vector128.Narrow(values.GetLower(), values.GetUpper());
        Vector128<byte> bytes = typeof(TY) == typeof(sbyte)
            ? Vector128.Narrow(shorts, shorts).AsByte()
            : Vector128.Narrow(shorts.AsUInt16(), shorts.AsUInt16());
        Unsafe.WriteUnaligned(ref y, bytes.AsUInt64().ToScalar());
    }
}
