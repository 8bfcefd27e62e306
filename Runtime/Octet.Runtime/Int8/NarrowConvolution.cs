using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// Direct int8 convolution for windows whose kernel rows are short (KW · C ≤ <see cref="MaxKernelRowBytes"/> bytes, e.g.
/// the 1-channel 5×5 first layer and the 8-channel 5×5 second layer of MNIST), group 1, int8 weights, fixed-point
/// requantization: <c>y[n, oh, ow, m] = Requantization.FixedPoint(bias[m] + Σ_{kh,kw,c} x̂ · w[m, kh, kw, c], ...)</c>, x̂
/// being x inside the input and the pad value (x_zero_point) in the padding, sums in wrapping int32.
/// <see cref="RunScalar{T, TOut}"/> is that definition and the specification; every other path gives the same integers.
/// <para>
/// Why a kernel of its own: the GEMM form gathers each pixel's window into a patch row first. With one input channel a
/// 5×5 window is five 5-byte copies per pixel to feed 25 multiply-adds per channel, and 8 output channels fill half of
/// the GEMM's 16-channel block, so the gathering and per-row bookkeeping cost several times the products. Here the input
/// is copied into a padded scratch image (pad value in the border), and in NHWC order a kernel row of every pixel is then
/// KW · C contiguous bytes of a scratch row: the kernel reads its taps in place, four at a time, with nothing gathered.
/// </para>
/// <para>
/// Bands and work units: the output rows (counted across images) go in bands, each band's padded input rows written into
/// the scratch just before its windows read them (a small scratch stays in L1; rows the windows of two bands share are
/// padded twice). A call may take any range of output rows, so a large layer splits into work units of row ranges that
/// share nothing but the read-only input and packed weights; each output's integers do not depend on the range or the
/// band it falls in.
/// </para>
/// <para>
/// Products (AVX-VNNI <c>vpdpbusd</c>: four unsigned bytes times four signed bytes added to an int32 lane, exact, no
/// saturation): each kernel row's KW · C taps are cut into groups of four (the last group padded with zero weights, so
/// whatever bytes follow in the scratch row add nothing). The activations are the unsigned operand: uint8 as they are,
/// int8 moved to x + 128 while the scratch image is written (x XOR 0x80), which adds 128 · Σ w[m] to channel m's sum; the
/// packed weights carry −128 · Σ w[m] per channel to take it out again (exact in wrapping int32). One four-byte group of
/// a pixel is broadcast to every lane and multiplied with the same four taps of 8 channels.
/// </para>
/// <para>
/// Packed weights (<see cref="PackWeights(ReadOnlySpan{sbyte}, int, in PatchWindow, bool)"/>, once per model instance):
/// the corrections, one int32 per channel rounded up to blocks of 8, then per block of 8 channels
/// <c>[kh][group][8 channels][4 taps]</c> bytes (zero for channels past the last and taps past KW · C).
/// </para>
/// <para>
/// Requantization in registers (AVX-512): per 8 channels the accumulators are sign-extended to 64 bits, multiplied
/// exactly by M0 (<c>vpmuldq</c>), 2^(r − 1) added and shifted right arithmetically by r = 31 − shift, zp added and the
/// result clamped to [min, max] in 64 bits, then narrowed to bytes (<c>vpmovqb</c>): the integers of
/// <see cref="Requantization.FixedPoint"/> for right shifts of 1 to 62 bits (r ≥ 63 rounds every product to 0, done as
/// M0 = 0, r = 1). When every right shift is 33 or more (<c>Int8Gemm.HighWordRequantizable</c>), pairs of blocks take
/// the high-word epilogue instead (16 channels in 32-bit lanes, the same integers, see <c>Int8Gemm.RequantizeHighWord.cs</c>;
/// mobilenetv3's 3-channel first convolution 220 → 131–139 µs in one process, alternating).
/// Without AVX-512, or with a left shift, the int32 sums go through <see cref="RequantizeRow"/> instead.
/// Without AVX-VNNI, AVX2 computes the same sums widened to int16 (<c>vpmaddwd</c>), and without AVX2 a portable loop,
/// both from the same packed weights.
/// </para>
/// </summary>
public static class NarrowConvolution
{
    /// <summary>Output channels per block: one vector of eight int32 lanes.</summary>
    public const int ChannelBlock = 8;

    /// <summary>Longest kernel row (KW · C bytes) the kernel takes: 16 four-tap groups per kernel row.</summary>
    public const int MaxKernelRowBytes = 64;

    /// <summary>Most output channels the kernel takes (16 blocks; their requantization constants live on the stack).</summary>
    public const int MaxOutputChannels = 128;

    /// <summary>Pixels whose int32 sums are buffered at once on the paths that requantize through <see cref="RequantizeRow"/>.</summary>
    private const int PixelChunk = 16;

    /// <summary>Which implementation runs; tests force each in turn on the same data.</summary>
    internal enum Path
    {
        /// <summary>The fastest the CPU has (what the public entry points use).</summary>
        Fastest,
        /// <summary>AVX-VNNI products, int32 sums requantized by <see cref="RequantizeRow"/> (CPUs with AVX-VNNI but no AVX-512).</summary>
        VnniRows,
        /// <summary>AVX2 products widened to int16 (<c>vpmaddwd</c>), int32 sums requantized by <see cref="RequantizeRow"/> (CPUs without AVX-VNNI).</summary>
        Widening,
        /// <summary>Portable loops over the packed weights (CPUs without AVX2).</summary>
        Portable,
        /// <summary>AVX-VNNI products requantized in registers in 64-bit lanes, where <see cref="Fastest"/> would take the high-word epilogue.</summary>
        Fused64,
    }

    /// <summary>
    /// True when this kernel takes the window: undilated along the width (kernel rows contiguous in NHWC), kernel rows of
    /// at most <see cref="MaxKernelRowBytes"/> bytes, 1 to <see cref="MaxOutputChannels"/> output channels.
    /// </summary>
    public static bool Applies(in PatchWindow window, int outputChannels) =>
        window.DilationWidth == 1 && window.Channels > 0 && window.KernelHeight > 0 && window.KernelWidth > 0 &&
        window.StrideHeight > 0 && window.StrideWidth > 0 && window.DilationHeight > 0 &&
        window.OutputHeight > 0 && window.OutputWidth > 0 && window.Height > 0 && window.Width > 0 &&
        (long)window.KernelWidth * window.Channels <= MaxKernelRowBytes &&
        outputChannels > 0 && outputChannels <= MaxOutputChannels;

    /// <summary>Four-tap groups per kernel row: KW · C rounded up to a multiple of 4, over 4.</summary>
    public static int GroupsPerKernelRow(in PatchWindow window) => (window.KernelWidth * window.Channels + 3) >> 2;

    /// <summary>Pixels per row of the padded scratch image: every column some window reads.</summary>
    public static int PaddedWidth(in PatchWindow window) => (window.OutputWidth - 1) * window.StrideWidth + window.KernelWidth;

    /// <summary>Rows of the padded scratch image: every row some window reads.</summary>
    public static int PaddedHeight(in PatchWindow window) =>
        (window.OutputHeight - 1) * window.StrideHeight + (window.KernelHeight - 1) * window.DilationHeight + 1;

    /// <summary>
    /// Bytes of scratch <see cref="Run(ReadOnlySpan{sbyte}, in PatchWindow, sbyte, ReadOnlySpan{byte}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{sbyte}, Span{byte})"/>
    /// needs: the padded image plus 4 bytes, as the last group of the last kernel row reads up to 3 bytes past it.
    /// </summary>
    public static int ScratchLength(in PatchWindow window) => PaddedHeight(window) * PaddedWidth(window) * window.Channels + 4;

    /// <summary>
    /// Bytes of scratch a band of <paramref name="outputRows"/> output rows needs (see
    /// <see cref="Run(ReadOnlySpan{sbyte}, in PatchWindow, sbyte, ReadOnlySpan{byte}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{sbyte}, Span{byte}, int, int)"/>):
    /// the padded input rows those windows read, plus 4 bytes. <see cref="ScratchLength"/> is the band of a whole image.
    /// </summary>
    public static int BandScratchLength(in PatchWindow window, int outputRows) =>
        ((outputRows - 1) * window.StrideHeight + (window.KernelHeight - 1) * window.DilationHeight + 1) * PaddedWidth(window) * window.Channels + 4;

    /// <summary>Output rows one band can hold in <paramref name="scratchLength"/> bytes of scratch (0 when not even one fits).</summary>
    public static int BandRows(in PatchWindow window, int scratchLength)
    {
        long rowBytes = (long)PaddedWidth(window) * window.Channels;
        long paddedRows = (scratchLength - 4L) / rowBytes, reach = (long)(window.KernelHeight - 1) * window.DilationHeight + 1;
        return paddedRows < reach ? 0 : (int)Math.Min(int.MaxValue, (paddedRows - reach) / window.StrideHeight + 1);
    }

    /// <summary>Bytes of packed weights for <paramref name="outputChannels"/> channels.</summary>
    public static int PackedLength(int outputChannels, in PatchWindow window)
    {
        int blocks = (outputChannels + ChannelBlock - 1) / ChannelBlock;
        return blocks * ChannelBlock * 4 + blocks * BlockBytes(window);
    }

    /// <summary>Bytes of one block of 8 channels' weights: [kh][group][8][4].</summary>
    private static int BlockBytes(in PatchWindow window) => window.KernelHeight * GroupsPerKernelRow(window) * ChannelBlock * 4;

    /// <summary>Packs OHWI int8 <paramref name="weights"/> ([M][KH][KW][C]) for activations of type int8 (<paramref name="signedActivations"/>) or uint8.</summary>
    public static byte[] PackWeights(ReadOnlySpan<sbyte> weights, int outputChannels, in PatchWindow window, bool signedActivations)
    {
        var packed = new byte[PackedLength(outputChannels, window)];
        PackWeights(weights, outputChannels, window, signedActivations, packed);
        return packed;
    }

    /// <inheritdoc cref="PackWeights(ReadOnlySpan{sbyte}, int, in PatchWindow, bool)"/>
    public static void PackWeights(ReadOnlySpan<sbyte> weights, int outputChannels, in PatchWindow window, bool signedActivations, Span<byte> packed)
    {
        if (!Applies(window, outputChannels))
            throw new ArgumentException($"NarrowConvolution: {outputChannels} output channels over a {window} do not fit this kernel");
        int depth = window.Length, rowTaps = window.KernelWidth * window.Channels, groups = GroupsPerKernelRow(window);
        int blocks = (outputChannels + ChannelBlock - 1) / ChannelBlock;
        if (weights.Length < (long)outputChannels * depth || packed.Length < PackedLength(outputChannels, window))
            throw new ArgumentException($"NarrowConvolution.PackWeights: {weights.Length} weights and {packed.Length} packed bytes for {outputChannels} channels of {depth} taps");
        packed.Slice(0, PackedLength(outputChannels, window)).Clear();
        var corrections = MemoryMarshal.Cast<byte, int>(packed.Slice(0, blocks * ChannelBlock * 4));
        var blockWeights = packed.Slice(blocks * ChannelBlock * 4);
        for (int m = 0; m < outputChannels; m++)
        {
            var row = weights.Slice(m * depth, depth);
            int sum = 0;
            foreach (sbyte v in row) sum += v;
            // x + 128 in the scratch adds 128 · Σ w to the sum; the correction takes it out (wrapping, like the sums).
            corrections[m] = signedActivations ? unchecked(-(sum << 7)) : 0;
            int block = m / ChannelBlock, lane = m % ChannelBlock;
            for (int kh = 0; kh < window.KernelHeight; kh++)
                for (int t = 0; t < rowTaps; t++)
                {
                    int g = t >> 2;
                    int at = block * BlockBytes(window) + ((kh * groups + g) * ChannelBlock + lane) * 4 + (t & 3);
                    blockWeights[at] = unchecked((byte)row[kh * rowTaps + t]);
                }
        }
    }

    // ---------------------------------------------------------------- public entry points

    /// <summary>
    /// int8 input, int8 output. <paramref name="padValue"/> is x_zero_point; <paramref name="bias"/> is B' (empty for none);
    /// <paramref name="multipliers"/> and <paramref name="shifts"/> hold one value or one per channel;
    /// <paramref name="scratch"/> is at least <see cref="ScratchLength"/> bytes. <paramref name="x"/> may hold several images.
    /// </summary>
    public static void Run(ReadOnlySpan<sbyte> x, in PatchWindow window, sbyte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<sbyte> output, Span<byte> scratch) =>
        Run<sbyte, sbyte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, Path.Fastest);

    /// <summary>int8 input, uint8 output.</summary>
    public static void Run(ReadOnlySpan<sbyte> x, in PatchWindow window, sbyte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<byte> output, Span<byte> scratch) =>
        Run<sbyte, byte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, Path.Fastest);

    /// <summary>uint8 input, int8 output.</summary>
    public static void Run(ReadOnlySpan<byte> x, in PatchWindow window, byte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<sbyte> output, Span<byte> scratch) =>
        Run<byte, sbyte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, Path.Fastest);

    /// <summary>uint8 input, uint8 output.</summary>
    public static void Run(ReadOnlySpan<byte> x, in PatchWindow window, byte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<byte> output, Span<byte> scratch) =>
        Run<byte, byte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, Path.Fastest);

    /// <summary>
    /// int8 input, int8 output, output rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>)
    /// only, counted across the images (row r is row r % OH of image r / OH): a work unit of a split convolution. The
    /// rows go in bands as tall as <paramref name="scratch"/> holds (<see cref="BandScratchLength"/>); each band's input
    /// rows are padded into it again, so units share nothing and every row's integers are those of the whole call.
    /// </summary>
    public static void Run(ReadOnlySpan<sbyte> x, in PatchWindow window, sbyte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<sbyte> output, Span<byte> scratch, int firstRow, int rowCount) =>
        Run<sbyte, sbyte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, firstRow, rowCount, Path.Fastest);

    /// <summary>int8 input, uint8 output, a range of output rows.</summary>
    public static void Run(ReadOnlySpan<sbyte> x, in PatchWindow window, sbyte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<byte> output, Span<byte> scratch, int firstRow, int rowCount) =>
        Run<sbyte, byte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, firstRow, rowCount, Path.Fastest);

    /// <summary>uint8 input, int8 output, a range of output rows.</summary>
    public static void Run(ReadOnlySpan<byte> x, in PatchWindow window, byte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<sbyte> output, Span<byte> scratch, int firstRow, int rowCount) =>
        Run<byte, sbyte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, firstRow, rowCount, Path.Fastest);

    /// <summary>uint8 input, uint8 output, a range of output rows.</summary>
    public static void Run(ReadOnlySpan<byte> x, in PatchWindow window, byte padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<byte> output, Span<byte> scratch, int firstRow, int rowCount) =>
        Run<byte, byte>(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, firstRow, rowCount, Path.Fastest);

    // ---------------------------------------------------------------- the specification

    /// <summary>The definition, tap by tap from the unpacked OHWI weights: the specification of every path.</summary>
    internal static void RunScalar<T, TOut>(ReadOnlySpan<T> x, in PatchWindow window, T padValue, ReadOnlySpan<sbyte> weights, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max, Span<TOut> output)
        where T : unmanaged where TOut : unmanaged
    {
        var w = window;
        int m = outputChannels, imageSize = w.Height * w.Width * w.Channels, images = x.Length / imageSize;
        for (int n = 0; n < images; n++)
            for (int oh = 0; oh < w.OutputHeight; oh++)
                for (int ow = 0; ow < w.OutputWidth; ow++)
                    for (int j = 0; j < m; j++)
                    {
                        int acc = bias.IsEmpty ? 0 : bias[j];
                        for (int kh = 0; kh < w.KernelHeight; kh++)
                            for (int kw = 0; kw < w.KernelWidth; kw++)
                            {
                                int ih = oh * w.StrideHeight - w.PadTop + kh * w.DilationHeight;
                                int iw = ow * w.StrideWidth - w.PadLeft + kw * w.DilationWidth;
                                bool inside = (uint)ih < (uint)w.Height && (uint)iw < (uint)w.Width;
                                for (int c = 0; c < w.Channels; c++)
                                {
                                    int v = ToInt(inside ? x[((n * w.Height + ih) * w.Width + iw) * w.Channels + c] : padValue);
                                    acc = unchecked(acc + v * weights[((j * w.KernelHeight + kh) * w.KernelWidth + kw) * w.Channels + c]);
                                }
                            }
                        int value = Requantization.FixedPoint(acc, multipliers[multipliers.Length == 1 ? 0 : j], shifts[shifts.Length == 1 ? 0 : j], zeroPoint, min, max);
                        output[((n * w.OutputHeight + oh) * w.OutputWidth + ow) * m + j] = FromInt<TOut>(value);
                    }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value) : Unsafe.As<T, byte>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromInt<T>(int value) where T : unmanaged
    {
        byte b = unchecked((byte)value);
        return Unsafe.As<byte, T>(ref b);
    }

    // ---------------------------------------------------------------- dispatch

    /// <summary>Every output row of every image in <paramref name="x"/>; <paramref name="scratch"/> holds at least one whole padded image.</summary>
    internal static void Run<T, TOut>(ReadOnlySpan<T> x, in PatchWindow window, T padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<TOut> output, Span<byte> scratch, Path path) where T : unmanaged where TOut : unmanaged
    {
        if (scratch.Length < ScratchLength(window))
            throw new ArgumentException($"NarrowConvolution: {scratch.Length} scratch bytes (need {ScratchLength(window)})");
        int imageSize = window.Height * window.Width * window.Channels;
        int rows = imageSize > 0 && x.Length % imageSize == 0 ? x.Length / imageSize * window.OutputHeight : 0;
        Run(x, window, padValue, packed, outputChannels, bias, multipliers, shifts, zeroPoint, min, max, output, scratch, 0, rows, path);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<T, TOut>(ReadOnlySpan<T> x, in PatchWindow window, T padValue, ReadOnlySpan<byte> packed, int outputChannels,
        ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max,
        Span<TOut> output, Span<byte> scratch, int firstRow, int rowCount, Path path) where T : unmanaged where TOut : unmanaged
    {
        var w = window;
        int m = outputChannels;
        if (!Applies(w, m))
            throw new ArgumentException($"NarrowConvolution: {m} output channels over a {w} do not fit this kernel");
        int imageSize = w.Height * w.Width * w.Channels, outputImage = w.OutputHeight * w.OutputWidth * m;
        int images = x.Length / imageSize;
        if (x.Length % imageSize != 0 || (long)images * outputImage > output.Length)
            throw new ArgumentException($"NarrowConvolution: {x.Length} input values are not whole images of {imageSize}, or {output.Length} outputs are fewer than {images} images of {outputImage}");
        int bandRows = BandRows(w, scratch.Length);
        if (packed.Length < PackedLength(m, w) || bandRows < 1)
            throw new ArgumentException($"NarrowConvolution: {packed.Length} packed bytes (need {PackedLength(m, w)}) or {scratch.Length} scratch bytes (need at least {BandScratchLength(w, 1)})");
        if (firstRow < 0 || rowCount < 0 || (long)firstRow + rowCount > (long)images * w.OutputHeight)
            throw new ArgumentException($"NarrowConvolution: output rows [{firstRow}, {(long)firstRow + rowCount}) are not within the {images} × {w.OutputHeight} rows of the output");
        RequantizeRow.Check(m, bias.Length, multipliers.Length, m);
        RequantizeRow.Check(m, bias.Length, shifts.Length, m);
        if (rowCount == 0) return;

        bool signed = typeof(T) == typeof(sbyte);
        byte flip = signed ? (byte)0x80 : (byte)0;
        byte pad = (byte)(Unsafe.As<T, byte>(ref padValue) ^ flip);
        ref byte px = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(x));
        ref byte po = ref Unsafe.As<TOut, byte>(ref MemoryMarshal.GetReference(output));

        int blocks = (m + ChannelBlock - 1) / ChannelBlock;
        bool vnni = AvxVnni.IsSupported && path is Path.Fastest or Path.VnniRows or Path.Fused64;
        bool widening = !vnni && Avx2.IsSupported && path != Path.Portable;
        bool fused = vnni && path is Path.Fastest or Path.Fused64 && Avx512F.VL.IsSupported && RightShiftsOnly(shifts);
        bool highWord = fused && path == Path.Fastest && Int8Gemm.HighWordRequantizable(shifts, zeroPoint);
        Span<Constants8> constants = stackalloc Constants8[fused ? blocks : 0];
        if (fused) PrepareConstants(packed, m, bias, multipliers, shifts, zeroPoint, highWord, constants);
        var limits = new Limits(zeroPoint, min, max, fused, highWord);

        // Bands of equal height (none taller than the scratch holds), so that no short band pads its rows for little work.
        bandRows = (rowCount + (rowCount + bandRows - 1) / bandRows - 1) / ((rowCount + bandRows - 1) / bandRows);
        for (int row = firstRow, end = firstRow + rowCount; row < end;)
        {
            // A band: rows of one image.
            int n = row / w.OutputHeight, first = row % w.OutputHeight;
            int last = Math.Min(w.OutputHeight, first + Math.Min(bandRows, end - row));
            PadBand(ref Unsafe.Add(ref px, n * imageSize), w, first, last, pad, flip, scratch);
            ref byte image = ref Unsafe.Add(ref po, n * outputImage);
            if (fused) BandFused(scratch, packed, w, m, first, last, constants, limits, ref image);
            else BandRows<TOut>(scratch, packed, w, m, first, last, bias, multipliers, shifts, zeroPoint, min, max, ref image,
                vnni ? Path.VnniRows : widening ? Path.Widening : Path.Portable);
            row += last - first;
        }
    }

    /// <summary>True when every channel's shift is a right shift (r = 31 − shift ≥ 1), which the in-register requantization handles.</summary>
    private static bool RightShiftsOnly(ReadOnlySpan<int> shifts)
    {
        foreach (int shift in shifts)
            if (shift > 30) return false;
        return true;
    }

    /// <summary>
    /// Writes the padded rows that output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of one image read
    /// into the scratch, from its start: pad value outside the input, x inside, XOR <paramref name="flip"/> (0x80 moves
    /// int8 to x + 128, see the class summary), plus 4 bytes of pad value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadBand(ref byte image, in PatchWindow w, int firstRow, int endRow, byte pad, byte flip, Span<byte> scratch)
    {
        int c = w.Channels, paddedWidth = PaddedWidth(w), rowBytes = paddedWidth * c;
        int firstPadded = firstRow * w.StrideHeight, paddedHeight = (endRow - 1 - firstRow) * w.StrideHeight + (w.KernelHeight - 1) * w.DilationHeight + 1;
        int left = Math.Clamp(w.PadLeft, 0, paddedWidth), right = Math.Clamp(w.PadLeft + w.Width, left, paddedWidth);
        ref byte ps = ref MemoryMarshal.GetReference(scratch);
        for (int ph = 0; ph < paddedHeight; ph++)
        {
            ref byte row = ref Unsafe.Add(ref ps, ph * rowBytes);
            int ih = firstPadded + ph - w.PadTop;
            if ((uint)ih >= (uint)w.Height)
            {
                Unsafe.InitBlockUnaligned(ref row, pad, (uint)rowBytes);
                continue;
            }
            Unsafe.InitBlockUnaligned(ref row, pad, (uint)(left * c));
            CopyFlipped(ref Unsafe.Add(ref row, left * c), ref Unsafe.Add(ref image, (ih * w.Width + left - w.PadLeft) * c), (right - left) * c, flip);
            Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref row, right * c), pad, (uint)((paddedWidth - right) * c));
        }
        Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref ps, paddedHeight * rowBytes), pad, 4);
    }

    /// <summary>destination[i] = source[i] XOR flip for i in [0, length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyFlipped(ref byte destination, ref byte source, int length, byte flip)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var f = Vector256.Create(flip);
            for (; i + 32 <= length; i += 32) (Vector256.LoadUnsafe(ref source, (nuint)i) ^ f).StoreUnsafe(ref destination, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var f = Vector128.Create(flip);
            for (; i + 16 <= length; i += 16) (Vector128.LoadUnsafe(ref source, (nuint)i) ^ f).StoreUnsafe(ref destination, (nuint)i);
        }
        for (; i < length; i++) Unsafe.Add(ref destination, i) = (byte)(Unsafe.Add(ref source, i) ^ flip);
    }

    // ---------------------------------------------------------------- AVX-VNNI products, AVX-512 requantization

    /// <summary>
    /// One block of 8 channels' requantization constants: B' plus the correction, M0, 2^(r − 1), r; and for the high-word
    /// epilogue (<see cref="Int8Gemm"/>'s, see <c>Int8Gemm.RequantizeHighWord.cs</c>) M0, C = 2^(s − 1) + zp · 2^s and
    /// s = r − 32 as 32-bit lanes, which a pair of blocks joins into 16 lanes.
    /// </summary>
    private struct Constants8
    {
        public Vector256<int> Bias;
        public Vector512<long> Multiplier, Rounding;
        public Vector512<ulong> Shift;
        public Vector256<int> HighMultiplier, HighOffset, HighShift;
    }

    /// <summary>The output zero point and clamp bounds, broadcast once per call; <see cref="HighWord"/>: which epilogue pairs of blocks take.</summary>
    private readonly struct Limits
    {
        public readonly Vector512<long> ZeroPoint, Low, High;
        public readonly Vector512<int> Low32, High32;
        public readonly bool HighWord;

        public Limits(int zeroPoint, int min, int max, bool vectors, bool highWord)
        {
            HighWord = highWord;
            if (!vectors) { ZeroPoint = Low = High = default; Low32 = High32 = default; return; }
            ZeroPoint = Vector512.Create((long)zeroPoint);
            Low = Vector512.Create((long)min);
            High = Vector512.Create((long)max);
            Low32 = Vector512.Create(min);
            High32 = Vector512.Create(max);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PrepareConstants(ReadOnlySpan<byte> packed, int m, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, bool highWord, Span<Constants8> constants)
    {
        var corrections = MemoryMarshal.Cast<byte, int>(packed.Slice(0, constants.Length * ChannelBlock * 4));
        Span<int> blockBias = stackalloc int[ChannelBlock];
        Span<long> multiplier = stackalloc long[ChannelBlock], rounding = stackalloc long[ChannelBlock], shift = stackalloc long[ChannelBlock];
        Span<int> highOffset = stackalloc int[ChannelBlock], highShift = stackalloc int[ChannelBlock];
        for (int b = 0; b < constants.Length; b++)
        {
            for (int lane = 0; lane < ChannelBlock; lane++)
            {
                int j = b * ChannelBlock + lane;
                // The high-word constants of a channel whose product rounds to 0 (past m, or r ≥ 63): M0 = 0, s = 1.
                highShift[lane] = 1;
                if (j >= m)
                {
                    blockBias[lane] = 0;
                    multiplier[lane] = 0;
                    rounding[lane] = 0;
                    shift[lane] = 1;
                    continue;
                }
                blockBias[lane] = unchecked((bias.IsEmpty ? 0 : bias[j]) + corrections[j]);
                long rightShift = 31L - shifts[shifts.Length == 1 ? 0 : j];
                if (rightShift >= 63)
                {
                    // Every |acc · M0| < 2^62 rounds to 0: the same as M0 = 0.
                    multiplier[lane] = 0;
                    rounding[lane] = 0;
                    shift[lane] = 1;
                    continue;
                }
                multiplier[lane] = multipliers[multipliers.Length == 1 ? 0 : j];
                rounding[lane] = 1L << (int)(rightShift - 1);
                shift[lane] = rightShift;
                // Int8Gemm.HighWordRequantizable has checked 33 ≤ r and |C| < 2^30 when highWord is set.
                if (highWord) highShift[lane] = (int)rightShift - 32;
            }
            ref var k = ref constants[b];
            k.Bias = Vector256.Create((ReadOnlySpan<int>)blockBias);
            k.Multiplier = Vector512.Create((ReadOnlySpan<long>)multiplier);
            k.Rounding = Vector512.Create((ReadOnlySpan<long>)rounding);
            k.Shift = Vector512.Create((ReadOnlySpan<long>)shift).AsUInt64();
            if (!highWord) continue;
            for (int lane = 0; lane < ChannelBlock; lane++)
                highOffset[lane] = (int)((1L << (highShift[lane] - 1)) + ((long)zeroPoint << highShift[lane]));
            // Multiplier 0 where the 64-bit constants say so (past m, vanishing shifts): the low words of the 64-bit lanes.
            k.HighMultiplier = Avx512F.ConvertToVector256Int32(k.Multiplier);
            k.HighOffset = Vector256.Create((ReadOnlySpan<int>)highOffset);
            k.HighShift = Vector256.Create((ReadOnlySpan<int>)highShift);
        }
    }

    /// <summary>Eight sums (bias and correction included) requantized; the results are the low 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Requantize8(Vector256<int> sums, in Constants8 k, in Limits limits)
    {
        var product = Avx512F.Multiply(Avx512F.ConvertToVector512Int64(sums).AsInt32(), k.Multiplier.AsInt32());
        var value = Avx512F.ShiftRightArithmeticVariable(product + k.Rounding, k.Shift) + limits.ZeroPoint;
        return Avx512F.ConvertToVector128Byte(Vector512.Min(Vector512.Max(value, limits.Low), limits.High)).AsUInt64().ToScalar();
    }

    /// <summary>Stores the first <paramref name="live"/> of 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(ref byte destination, ulong bytes, int live)
    {
        if (live == ChannelBlock)
        {
            Unsafe.WriteUnaligned(ref destination, bytes);
            return;
        }
        for (int i = 0; i < live; i++) Unsafe.Add(ref destination, i) = (byte)(bytes >> (8 * i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> sum, ref byte activations, Vector256<sbyte> weights) =>
        AvxVnni.MultiplyWideningAndAdd(sum, Vector256.Create(Unsafe.ReadUnaligned<int>(ref activations)).AsByte(), weights);

    /// <summary>
    /// Output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of one image from their padded band through the
    /// fused kernel: per output row, pairs of channel blocks, then a last single block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BandFused(Span<byte> scratch, ReadOnlySpan<byte> packed, in PatchWindow w, int m, int firstRow, int endRow,
        ReadOnlySpan<Constants8> constants, in Limits limits, ref byte output)
    {
        int blocks = constants.Length, groups = GroupsPerKernelRow(w), blockBytes = BlockBytes(w);
        int rowBytes = PaddedWidth(w) * w.Channels, pixelStep = w.StrideWidth * w.Channels, kernelRowStep = w.DilationHeight * rowBytes;
        ref byte ps = ref MemoryMarshal.GetReference(scratch);
        ref byte pw = ref Unsafe.Add(ref MemoryMarshal.GetReference(packed), blocks * ChannelBlock * 4);
        var g = new RowGeometry(w.KernelHeight, groups, kernelRowStep, pixelStep, w.OutputWidth, m);
        for (int oh = firstRow; oh < endRow; oh++)
        {
            ref byte row = ref Unsafe.Add(ref ps, (oh - firstRow) * w.StrideHeight * rowBytes);
            ref byte outRow = ref Unsafe.Add(ref output, oh * w.OutputWidth * m);
            int b = 0;
            for (; b + 2 <= blocks; b += 2)
                RowPair(ref row, ref Unsafe.Add(ref pw, b * blockBytes), ref Unsafe.Add(ref pw, (b + 1) * blockBytes), constants[b], constants[b + 1],
                    limits, ref Unsafe.Add(ref outRow, b * ChannelBlock), Math.Min(ChannelBlock, m - (b + 1) * ChannelBlock), g);
            if (b < blocks)
                RowSingle(ref row, ref Unsafe.Add(ref pw, b * blockBytes), constants[b], limits, ref Unsafe.Add(ref outRow, b * ChannelBlock),
                    m - b * ChannelBlock, g);
        }
    }

    /// <summary>What the row kernels need of the geometry, in bytes where it is a step.</summary>
    private readonly struct RowGeometry(int kernelHeight, int groups, int kernelRowStep, int pixelStep, int pixels, int outputStride)
    {
        public readonly int KernelHeight = kernelHeight, Groups = groups, KernelRowStep = kernelRowStep, PixelStep = pixelStep;
        public readonly int Pixels = pixels, OutputStride = outputStride;
    }

    /// <summary>16 channels (two blocks, the second with <paramref name="live1"/> live channels) along one output row, 4 pixels at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPair(ref byte row, ref byte weights0, ref byte weights1, in Constants8 k0, in Constants8 k1, in Limits limits,
        ref byte output, int live1, in RowGeometry g)
    {
        int groups = g.Groups, step = g.PixelStep, stride = g.OutputStride, weightRow = groups * 32;
        // The two blocks' high-word constants as 16 lanes (see Int8Gemm.RequantizeHighWord.cs); unused on the 64-bit epilogue.
        bool highWord = limits.HighWord;
        var mEven = Vector512.Create(k0.HighMultiplier, k1.HighMultiplier);
        var mOdd = Vector512.ShiftRightLogical(mEven.AsInt64(), 32).AsInt32();
        var offset = Vector512.Create(k0.HighOffset, k1.HighOffset);
        var shift = Vector512.Create(k0.HighShift, k1.HighShift).AsUInt32();
        var gather = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
        int ow = 0;
        for (; ow + 4 <= g.Pixels; ow += 4)
        {
            Vector256<int> c00 = k0.Bias, c01 = k1.Bias, c10 = k0.Bias, c11 = k1.Bias;
            Vector256<int> c20 = k0.Bias, c21 = k1.Bias, c30 = k0.Bias, c31 = k1.Bias;
            ref byte a = ref Unsafe.Add(ref row, ow * step);
            ref byte w0 = ref weights0;
            ref byte w1 = ref weights1;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int q = 0; q < groups; q++)
                {
                    var v0 = Vector256.LoadUnsafe(ref w0, (nuint)(q * 32)).AsSByte();
                    var v1 = Vector256.LoadUnsafe(ref w1, (nuint)(q * 32)).AsSByte();
                    ref byte a0 = ref Unsafe.Add(ref a, q * 4);
                    c00 = Dot(c00, ref a0, v0);
                    c01 = Dot(c01, ref a0, v1);
                    ref byte a1 = ref Unsafe.Add(ref a0, step);
                    c10 = Dot(c10, ref a1, v0);
                    c11 = Dot(c11, ref a1, v1);
                    ref byte a2 = ref Unsafe.Add(ref a1, step);
                    c20 = Dot(c20, ref a2, v0);
                    c21 = Dot(c21, ref a2, v1);
                    ref byte a3 = ref Unsafe.Add(ref a2, step);
                    c30 = Dot(c30, ref a3, v0);
                    c31 = Dot(c31, ref a3, v1);
                }
                a = ref Unsafe.Add(ref a, g.KernelRowStep);
                w0 = ref Unsafe.Add(ref w0, weightRow);
                w1 = ref Unsafe.Add(ref w1, weightRow);
            }
            ref byte o = ref Unsafe.Add(ref output, ow * stride);
            if (highWord)
            {
                StorePair(ref o, Int8Gemm.RequantizeHighWord(Int8Gemm.Join(c00, c01), mEven, mOdd, gather, offset, shift, limits.Low32, limits.High32), live1);
                o = ref Unsafe.Add(ref o, stride);
                StorePair(ref o, Int8Gemm.RequantizeHighWord(Int8Gemm.Join(c10, c11), mEven, mOdd, gather, offset, shift, limits.Low32, limits.High32), live1);
                o = ref Unsafe.Add(ref o, stride);
                StorePair(ref o, Int8Gemm.RequantizeHighWord(Int8Gemm.Join(c20, c21), mEven, mOdd, gather, offset, shift, limits.Low32, limits.High32), live1);
                o = ref Unsafe.Add(ref o, stride);
                StorePair(ref o, Int8Gemm.RequantizeHighWord(Int8Gemm.Join(c30, c31), mEven, mOdd, gather, offset, shift, limits.Low32, limits.High32), live1);
                continue;
            }
            Unsafe.WriteUnaligned(ref o, Requantize8(c00, k0, limits));
            Store8(ref Unsafe.Add(ref o, ChannelBlock), Requantize8(c01, k1, limits), live1);
            o = ref Unsafe.Add(ref o, stride);
            Unsafe.WriteUnaligned(ref o, Requantize8(c10, k0, limits));
            Store8(ref Unsafe.Add(ref o, ChannelBlock), Requantize8(c11, k1, limits), live1);
            o = ref Unsafe.Add(ref o, stride);
            Unsafe.WriteUnaligned(ref o, Requantize8(c20, k0, limits));
            Store8(ref Unsafe.Add(ref o, ChannelBlock), Requantize8(c21, k1, limits), live1);
            o = ref Unsafe.Add(ref o, stride);
            Unsafe.WriteUnaligned(ref o, Requantize8(c30, k0, limits));
            Store8(ref Unsafe.Add(ref o, ChannelBlock), Requantize8(c31, k1, limits), live1);
        }
        for (; ow < g.Pixels; ow++)
        {
            Vector256<int> c0 = k0.Bias, c1 = k1.Bias;
            ref byte a = ref Unsafe.Add(ref row, ow * step);
            ref byte w0 = ref weights0;
            ref byte w1 = ref weights1;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int q = 0; q < groups; q++)
                {
                    ref byte a0 = ref Unsafe.Add(ref a, q * 4);
                    c0 = Dot(c0, ref a0, Vector256.LoadUnsafe(ref w0, (nuint)(q * 32)).AsSByte());
                    c1 = Dot(c1, ref a0, Vector256.LoadUnsafe(ref w1, (nuint)(q * 32)).AsSByte());
                }
                a = ref Unsafe.Add(ref a, g.KernelRowStep);
                w0 = ref Unsafe.Add(ref w0, weightRow);
                w1 = ref Unsafe.Add(ref w1, weightRow);
            }
            ref byte o = ref Unsafe.Add(ref output, ow * stride);
            if (highWord)
            {
                StorePair(ref o, Int8Gemm.RequantizeHighWord(Int8Gemm.Join(c0, c1), mEven, mOdd, gather, offset, shift, limits.Low32, limits.High32), live1);
                continue;
            }
            Unsafe.WriteUnaligned(ref o, Requantize8(c0, k0, limits));
            Store8(ref Unsafe.Add(ref o, ChannelBlock), Requantize8(c1, k1, limits), live1);
        }
    }

    /// <summary>16 requantized bytes of a pair of blocks: the first block's 8, then the first <paramref name="live1"/> of the second's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(ref byte destination, Vector128<byte> bytes, int live1)
    {
        if (live1 == ChannelBlock)
        {
            bytes.StoreUnsafe(ref destination);
            return;
        }
        Unsafe.WriteUnaligned(ref destination, bytes.AsUInt64().ToScalar());
        Store8(ref Unsafe.Add(ref destination, ChannelBlock), bytes.AsUInt64().GetElement(1), live1);
    }

    /// <summary>8 channels (<paramref name="live"/> of them real) along one output row, 8 pixels at a time (8 independent sums in flight).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSingle(ref byte row, ref byte weights, in Constants8 k, in Limits limits, ref byte output, int live, in RowGeometry g)
    {
        int groups = g.Groups, step = g.PixelStep, stride = g.OutputStride, weightRow = groups * 32;
        int ow = 0;
        for (; ow + 8 <= g.Pixels; ow += 8)
        {
            Vector256<int> c0 = k.Bias, c1 = k.Bias, c2 = k.Bias, c3 = k.Bias, c4 = k.Bias, c5 = k.Bias, c6 = k.Bias, c7 = k.Bias;
            ref byte a = ref Unsafe.Add(ref row, ow * step);
            ref byte w0 = ref weights;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int q = 0; q < groups; q++)
                {
                    var v = Vector256.LoadUnsafe(ref w0, (nuint)(q * 32)).AsSByte();
                    ref byte a0 = ref Unsafe.Add(ref a, q * 4);
                    c0 = Dot(c0, ref a0, v);
                    c1 = Dot(c1, ref Unsafe.Add(ref a0, step), v);
                    c2 = Dot(c2, ref Unsafe.Add(ref a0, 2 * step), v);
                    c3 = Dot(c3, ref Unsafe.Add(ref a0, 3 * step), v);
                    c4 = Dot(c4, ref Unsafe.Add(ref a0, 4 * step), v);
                    c5 = Dot(c5, ref Unsafe.Add(ref a0, 5 * step), v);
                    c6 = Dot(c6, ref Unsafe.Add(ref a0, 6 * step), v);
                    c7 = Dot(c7, ref Unsafe.Add(ref a0, 7 * step), v);
                }
                a = ref Unsafe.Add(ref a, g.KernelRowStep);
                w0 = ref Unsafe.Add(ref w0, weightRow);
            }
            ref byte o = ref Unsafe.Add(ref output, ow * stride);
            Store8(ref o, Requantize8(c0, k, limits), live);
            Store8(ref Unsafe.Add(ref o, stride), Requantize8(c1, k, limits), live);
            Store8(ref Unsafe.Add(ref o, 2 * stride), Requantize8(c2, k, limits), live);
            Store8(ref Unsafe.Add(ref o, 3 * stride), Requantize8(c3, k, limits), live);
            Store8(ref Unsafe.Add(ref o, 4 * stride), Requantize8(c4, k, limits), live);
            Store8(ref Unsafe.Add(ref o, 5 * stride), Requantize8(c5, k, limits), live);
            Store8(ref Unsafe.Add(ref o, 6 * stride), Requantize8(c6, k, limits), live);
            Store8(ref Unsafe.Add(ref o, 7 * stride), Requantize8(c7, k, limits), live);
        }
        for (; ow < g.Pixels; ow++)
        {
            Vector256<int> c0 = k.Bias;
            ref byte a = ref Unsafe.Add(ref row, ow * step);
            ref byte w0 = ref weights;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int q = 0; q < groups; q++)
                    c0 = Dot(c0, ref Unsafe.Add(ref a, q * 4), Vector256.LoadUnsafe(ref w0, (nuint)(q * 32)).AsSByte());
                a = ref Unsafe.Add(ref a, g.KernelRowStep);
                w0 = ref Unsafe.Add(ref w0, weightRow);
            }
            Store8(ref Unsafe.Add(ref output, ow * stride), Requantize8(c0, k, limits), live);
        }
    }

    // ---------------------------------------------------------------- int32 sums, then RequantizeRow

    /// <summary>
    /// Output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of one image from their padded band through int32 sums (AVX-VNNI, AVX2 widening or portable loops over the same packed bytes, as
    /// <paramref name="sumsPath"/> says), <see cref="PixelChunk"/> pixels at a time, requantized by <see cref="RequantizeRow"/> (any shift).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BandRows<TOut>(Span<byte> scratch, ReadOnlySpan<byte> packed, in PatchWindow w, int m, int firstRow, int endRow, ReadOnlySpan<int> bias,
        ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, int zeroPoint, int min, int max, ref byte output, Path sumsPath) where TOut : unmanaged
    {
        int blocks = (m + ChannelBlock - 1) / ChannelBlock, padded = blocks * ChannelBlock;
        int groups = GroupsPerKernelRow(w), blockBytes = BlockBytes(w), weightRow = groups * 32;
        int rowBytes = PaddedWidth(w) * w.Channels, pixelStep = w.StrideWidth * w.Channels, kernelRowStep = w.DilationHeight * rowBytes;
        ref byte ps = ref MemoryMarshal.GetReference(scratch);
        ref byte pc = ref MemoryMarshal.GetReference(packed);
        ref byte pw = ref Unsafe.Add(ref pc, padded * 4);
        Span<int> sums = stackalloc int[PixelChunk * padded];
        bool vnni = sumsPath == Path.VnniRows, widening = sumsPath == Path.Widening;
        var rowBias = bias.IsEmpty ? bias : bias.Slice(0, m);
        var outputSpan = MemoryMarshal.CreateSpan(ref Unsafe.As<byte, TOut>(ref output), w.OutputHeight * w.OutputWidth * m);
        for (int oh = firstRow; oh < endRow; oh++)
        {
            ref byte row = ref Unsafe.Add(ref ps, (oh - firstRow) * w.StrideHeight * rowBytes);
            for (int ow0 = 0; ow0 < w.OutputWidth; ow0 += PixelChunk)
            {
                int count = Math.Min(PixelChunk, w.OutputWidth - ow0);
                for (int i = 0; i < count; i++)
                {
                    ref byte pixel = ref Unsafe.Add(ref row, (ow0 + i) * pixelStep);
                    for (int b = 0; b < blocks; b++)
                    {
                        ref byte weights = ref Unsafe.Add(ref pw, b * blockBytes);
                        ref int corrections = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref pc, b * ChannelBlock * 4));
                        ref int destination = ref sums[i * padded + b * ChannelBlock];
                        if (vnni)
                        {
                            var c = Vector256.LoadUnsafe(ref corrections);
                            ref byte a = ref pixel;
                            ref byte w0 = ref weights;
                            for (int kh = 0; kh < w.KernelHeight; kh++)
                            {
                                for (int q = 0; q < groups; q++)
                                    c = Dot(c, ref Unsafe.Add(ref a, q * 4), Vector256.LoadUnsafe(ref w0, (nuint)(q * 32)).AsSByte());
                                a = ref Unsafe.Add(ref a, kernelRowStep);
                                w0 = ref Unsafe.Add(ref w0, weightRow);
                            }
                            c.StoreUnsafe(ref destination);
                        }
                        else if (widening)
                            WideningSums(ref pixel, ref weights, Vector256.LoadUnsafe(ref corrections), w.KernelHeight, groups, kernelRowStep).StoreUnsafe(ref destination);
                        else PortableSums(ref pixel, ref weights, ref corrections, ref destination, w.KernelHeight, groups, kernelRowStep);
                    }
                }
                int first = (oh * w.OutputWidth + ow0) * m;
                RequantizeRow.FixedPointBlock(sums, padded, rowBias, multipliers, shifts, zeroPoint, min, max,
                    outputSpan.Slice(first, (count - 1) * m + m), m, count, m);
            }
        }
    }

    /// <summary>
    /// The sums of one pixel and one block of 8 channels on AVX2 without VNNI: the four activation bytes of a group widened
    /// to int16 (<c>vpmovzxbw</c>) and repeated for four channels, each half of the block's weights widened
    /// (<c>vpmovsxbw</c>), <c>vpmaddwd</c> adding tap pairs into int32 (|255 · −128 · 2| fits exactly), pairs of pairs
    /// added at the end (<c>vphaddd</c>, which leaves the channels as 0 1 4 5 | 2 3 6 7, put back in order by <c>vpermq</c>).
    /// The same wrapping int32 sums as vpdpbusd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> WideningSums(ref byte pixel, ref byte weights, Vector256<int> corrections, int kernelHeight, int groups, int kernelRowStep)
    {
        Vector256<int> low = Vector256<int>.Zero, high = Vector256<int>.Zero;
        for (int kh = 0; kh < kernelHeight; kh++)
        {
            ref byte a = ref Unsafe.Add(ref pixel, kh * kernelRowStep);
            ref byte w0 = ref Unsafe.Add(ref weights, kh * groups * 32);
            for (int q = 0; q < groups; q++)
            {
                var activations = Avx2.ConvertToVector256Int16(Vector128.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref a, q * 4))).AsByte());
                var v = Vector256.LoadUnsafe(ref w0, (nuint)(q * 32)).AsSByte();
                low = Avx2.Add(low, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(v.GetLower()), activations));
                high = Avx2.Add(high, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(v.GetUpper()), activations));
            }
        }
        var sums = Avx2.HorizontalAdd(low, high);
        return corrections + Avx2.Permute4x64(sums.AsInt64(), 0b11_01_10_00).AsInt32();
    }

    /// <summary>The sums of one pixel and one block of 8 channels without SIMD: the integers vpdpbusd adds, one product at a time.</summary>
    private static void PortableSums(ref byte pixel, ref byte weights, ref int corrections, ref int destination, int kernelHeight, int groups, int kernelRowStep)
    {
        for (int lane = 0; lane < ChannelBlock; lane++)
        {
            int sum = Unsafe.Add(ref corrections, lane);
            for (int kh = 0; kh < kernelHeight; kh++)
            {
                ref byte a = ref Unsafe.Add(ref pixel, kh * kernelRowStep);
                ref byte w0 = ref Unsafe.Add(ref weights, kh * groups * 32 + lane * 4);
                for (int q = 0; q < groups; q++)
                    for (int t = 0; t < 4; t++)
                        sum = unchecked(sum + Unsafe.Add(ref a, q * 4 + t) * (sbyte)Unsafe.Add(ref w0, q * 32 + t));
            }
            Unsafe.Add(ref destination, lane) = sum;
        }
    }
}
