using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// 2-D max pooling over NHWC tensors (int8, uint8 or float32): each output element is the largest input value
/// in its window, padding excluded, exactly as ONNX MaxPool (and Octet's reference executor) define it.
/// The scalar rule is "start from the window's first valid tap, take a later tap only when it is strictly
/// greater" — that is the specification; the vector path applies the same rule per channel lane (for float32 on x86
/// the <c>maxps</c> instruction with the tap first, which is defined as exactly that rule; elsewhere a compare and a
/// select, not a generic Max, which would treat NaN and signed zeros otherwise), so it gives the same values,
/// including for NaN and signed zeros.
/// A window without any valid tap (only possible with extreme padding) yields the type's lowest value
/// (−∞ for float32).
/// </summary>
public static class MaxPool
{
    /// <summary>Pools <paramref name="input"/> (<c>[batch][inputHeight][inputWidth][channels]</c>) into <paramref name="output"/> (<c>[batch][outputHeight][outputWidth][channels]</c>).</summary>
    public static void Nhwc<T>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        Nhwc(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth, kernelHeight, kernelWidth,
            strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, WidestVectorBytes);

    /// <summary>
    /// <see cref="Nhwc{T}(ReadOnlySpan{T}, Span{T}, int, int, int, int, int, int, int, int, int, int, int, int, int, int)"/>
    /// for output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) only, rows counted across the batch
    /// (row r is image r / outputHeight, row r % outputHeight): the other output rows are left as they are. Ranges that
    /// together cover every row give the same output as one call, so generated code can share the rows out over a
    /// worker team.
    /// </summary>
    public static void NhwcRows<T>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft, int firstRow, int endRow)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        Nhwc(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth, kernelHeight, kernelWidth,
            strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, WidestVectorBytes, firstRow, endRow);

    /// <summary>Bytes of the widest lane group the vector path uses (a Vector512); tests pass less to force each narrower path.</summary>
    internal const int WidestVectorBytes = 64;

    /// <summary>
    /// <see cref="Nhwc{T}(ReadOnlySpan{T}, Span{T}, int, int, int, int, int, int, int, int, int, int, int, int, int, int)"/> with
    /// lane groups of at most <paramref name="maxVectorBytes"/> bytes: 64, 32 or 16 (Vector512/256/128), 8 or 4 (the low
    /// half or quarter of a Vector128, for fewer channels than a Vector128 holds), below 4 the scalar specification.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Nhwc<T>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft, int maxVectorBytes)
        where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        Nhwc(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth, kernelHeight, kernelWidth,
            strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, maxVectorBytes, 0, batch * outputHeight);

    /// <summary>The pooling of output rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) (counted across the batch) with lane groups of at most <paramref name="maxVectorBytes"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Nhwc<T>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft, int maxVectorBytes, int firstRow, int endRow)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        long inputCount = (long)batch * inputHeight * inputWidth * channels;
        long outputCount = (long)batch * outputHeight * outputWidth * channels;
        if (input.Length != inputCount || output.Length != outputCount)
            throw new ArgumentException($"input has {input.Length} elements and output {output.Length}; expected {inputCount} and {outputCount}");
        if (firstRow < 0 || endRow < firstRow || endRow > (long)batch * outputHeight)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"output rows [{firstRow}, {endRow}) are not within the {(long)batch * outputHeight} rows of the output");
        T lowest = typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity : T.MinValue;

        // Vectors whenever a pixel's channels fill at least 4 bytes: 8 int8 channels (MNIST's first pooling) go in the
        // low half of a Vector128 instead of one channel at a time.
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && maxVectorBytes >= 4 && (long)channels * Unsafe.SizeOf<T>() >= 4)
        {
            NhwcVector(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
                kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest, maxVectorBytes,
                firstRow, endRow);
            return;
        }
        for (int row = firstRow; row < endRow; row++)
            for (int n = row / outputHeight, oh = row % outputHeight, ow = 0; ow < outputWidth; ow++)
                    PoolPixelSlow(input, output.Slice(((n * outputHeight + oh) * outputWidth + ow) * channels, channels), n, oh, ow,
                        inputHeight, inputWidth, channels, kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth,
                        padTop, padLeft, lowest);
    }

    /// <summary>
    /// The same rule with each output pixel's channels held in a register across its window: the valid taps are visited in
    /// the scalar order (kh, then kw), the first one loaded, each later one taken per lane only where strictly greater.
    /// Channels go a vector at a time; the last vector ends at the last channel and overlaps the one before it, which
    /// recomputes those lanes from the same taps (same values). Needs at least 4 bytes of channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NhwcVector<T>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft, T lowest, int maxVectorBytes, int firstRow, int endRow)
        where T : unmanaged, INumber<T>
    {
        int bytes = channels * Unsafe.SizeOf<T>();
        // The widest lane group the channels fill (64 float channels: 4 Vector512 steps instead of 16 Vector128 ones).
        int width = Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && maxVectorBytes >= 64 && bytes >= 64 ? 64
            : Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && maxVectorBytes >= 32 && bytes >= 32 ? 32
            : maxVectorBytes >= 16 && bytes >= 16 ? 16
            : maxVectorBytes >= 8 && bytes >= 8 ? 8 : 4;
        // One instantiation per lane width, so each keeps its loop in registers (one method holding every width
        // exhausted the JIT's inlining budget and spilled the tap offsets).
        if (width == 64) NhwcLanes<T, Lanes512<T>>(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest, firstRow, endRow);
        else if (width == 32) NhwcLanes<T, Lanes256<T>>(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest, firstRow, endRow);
        else if (width == 16) NhwcLanes<T, Lanes128<T>>(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest, firstRow, endRow);
        else if (width == 8) NhwcLanes<T, LanesHalf128<T>>(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest, firstRow, endRow);
        else NhwcLanes<T, LanesQuarter128<T>>(input, output, batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest, firstRow, endRow);
    }

    /// <summary>
    /// <see cref="NhwcVector"/> at one lane width. Pixels whose window lies wholly inside the input (every pixel of an
    /// unpadded pooling) share one list of tap offsets relative to the window's first tap, in the scalar order, computed
    /// once; 3×3 windows (the pooling of most image models) go through <see cref="PoolInterior9"/>, which keeps the nine
    /// offsets in registers along the row. Border pixels list their valid taps one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NhwcLanes<T, TLanes>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft, T lowest, int firstRow, int endRow)
        where T : unmanaged, INumber<T> where TLanes : struct, ILanes<T, TLanes>
    {
        ref T px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(input);
        ref T py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(output);
        long windowTaps = (long)kernelHeight * kernelWidth;
        Span<int> taps = stackalloc int[(int)Math.Min(windowTaps, 1024)];
        bool spill = windowTaps > taps.Length;
        Span<int> window = stackalloc int[spill ? 0 : taps.Length];
        for (int kh = 0, t = 0; kh < kernelHeight && !spill; kh++)
            for (int kw = 0; kw < kernelWidth; kw++)
                window[t++] = (kh * dilationHeight * inputWidth + kw * dilationWidth) * channels;
        // Output columns whose window lies inside the input along W: [interiorFirst, interiorEnd).
        int interiorFirst = Math.Min(outputWidth, (padLeft + strideWidth - 1) / strideWidth);
        long lastInside = inputWidth - 1 - (long)(kernelWidth - 1) * dilationWidth + padLeft; // largest ow·sw whose window ends inside
        int interiorEnd = lastInside < 0 ? 0 : (int)Math.Min(outputWidth, lastInside / strideWidth + 1);
        for (int row = firstRow; row < endRow; row++)
        {
            int n = row / outputHeight, oh = row % outputHeight;
            int ihOrigin = oh * strideHeight - padTop;
            bool rowInside = !spill && ihOrigin >= 0 && ihOrigin + (long)(kernelHeight - 1) * dilationHeight < inputHeight;
            for (int ow = 0; ow < outputWidth; ow++)
            {
                int pixel = ((n * outputHeight + oh) * outputWidth + ow) * channels;
                if (rowInside && ow >= interiorFirst && ow < interiorEnd)
                {
                    int origin = ((n * inputHeight + ihOrigin) * inputWidth + ow * strideWidth - padLeft) * channels;
                    if (window.Length == 9)
                    {
                        // The rest of the row's interior at once.
                        PoolInterior9<T, TLanes>(ref Unsafe.Add(ref px, origin), window, strideWidth * channels,
                            ref Unsafe.Add(ref py, pixel), interiorEnd - ow, channels);
                        ow = interiorEnd - 1;
                    }
                    else PoolPixel<T, TLanes>(ref Unsafe.Add(ref px, origin), window, ref Unsafe.Add(ref py, pixel), channels);
                    continue;
                }
                // The valid taps' input offsets, in the scalar order; both sides stay inside the spans (checked above).
                int count = 0;
                for (int kh = 0; kh < kernelHeight && !spill; kh++)
                {
                    int ih = ihOrigin + kh * dilationHeight;
                    if ((uint)ih >= (uint)inputHeight) continue;
                    for (int kw = 0; kw < kernelWidth; kw++)
                    {
                        int iw = ow * strideWidth - padLeft + kw * dilationWidth;
                        if ((uint)iw >= (uint)inputWidth) continue;
                        taps[count++] = ((n * inputHeight + ih) * inputWidth + iw) * channels;
                    }
                }
                if (spill)
                {
                    // Windows of more than 1,024 taps: the span-based loop below handles them tap by tap.
                    PoolPixelSlow(input, output.Slice(pixel, channels), n, oh, ow, inputHeight, inputWidth, channels,
                        kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, lowest);
                    continue;
                }
                if (count == 0)
                {
                    output.Slice(pixel, channels).Fill(lowest);
                    continue;
                }
                PoolPixel<T, TLanes>(ref px, taps.Slice(0, count), ref Unsafe.Add(ref py, pixel), channels);
            }
        }
    }

    /// <summary>
    /// <paramref name="pixels"/> adjacent output pixels of one row whose 3×3 windows lie inside the input, the first
    /// window starting at <paramref name="input"/> and each next one <paramref name="step"/> elements further: the nine
    /// tap offsets (<paramref name="taps"/>, in the scalar order) held in registers and the taps unrolled. The same
    /// loads and the same per-lane rule in the same order as <see cref="PoolPixel"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PoolInterior9<T, TLanes>(ref T input, ReadOnlySpan<int> taps, int step, ref T output, int pixels, int channels)
        where T : unmanaged where TLanes : struct, ILanes<T, TLanes>
    {
        int width = TLanes.Count;
        nint t1 = taps[1], t2 = taps[2], t3 = taps[3], t4 = taps[4], t5 = taps[5], t6 = taps[6], t7 = taps[7], t8 = taps[8];
        nint first = taps[0];
        for (int p = 0; p < pixels; p++)
        {
            ref T window = ref Unsafe.Add(ref input, (nint)p * step + first);
            ref T pixel = ref Unsafe.Add(ref output, (nint)p * channels);
            for (int c = 0; ; c += width)
            {
                if (c > channels - width) c = channels - width;
                ref T at = ref Unsafe.Add(ref window, c);
                var best = TLanes.Load(ref at);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t1)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t2)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t3)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t4)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t5)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t6)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t7)), best);
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref at, t8)), best);
                best.Store(ref Unsafe.Add(ref pixel, c));
                if (c == channels - width) break;
            }
        }
    }

    /// <summary>
    /// One output pixel's channels a vector at a time over its valid taps (input offsets, at least one); the last vector
    /// ends at the last channel and overlaps the one before it, recomputing those lanes from the same taps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PoolPixel<T, TLanes>(ref T input, ReadOnlySpan<int> taps, ref T output, int channels)
        where T : unmanaged where TLanes : struct, ILanes<T, TLanes>
    {
        int width = TLanes.Count;
        for (int c = 0; ; c += width)
        {
            if (c > channels - width) c = channels - width;
            var best = TLanes.Load(ref Unsafe.Add(ref input, taps[0] + c));
            for (int t = 1; t < taps.Length; t++)
                best = TLanes.TakeGreater(TLanes.Load(ref Unsafe.Add(ref input, taps[t] + c)), best);
            best.Store(ref Unsafe.Add(ref output, c));
            if (c == channels - width) break;
        }
    }

    /// <summary>One vector width's operations for <see cref="PoolPixel"/>: per lane, the strict-greater rule as compare and select.</summary>
    private interface ILanes<T, TSelf> where T : unmanaged where TSelf : struct, ILanes<T, TSelf>
    {
        static abstract int Count { get; }
        static abstract TSelf Load(ref T source);
        static abstract TSelf TakeGreater(TSelf value, TSelf best);
        void Store(ref T destination);
    }

    /// <summary>
    /// Per lane <c>value &gt; best ? value : best</c>. For integers that is the maximum, one instruction (pmaxsb/pmaxub
    /// and their wider forms). For float32 on x86, <c>maxps value, best</c> is defined as exactly this expression — it
    /// returns its second operand when the compare is false, so for NaN in either operand and for two zeros of either
    /// sign it keeps <paramref name="best"/> — which is the scalar rule bit for bit, in one instruction instead of a
    /// compare and a blend. Elsewhere (Arm's fmax propagates NaN) the compare and select.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Greater<T>(Vector512<T> value, Vector512<T> best) where T : unmanaged
    {
        if (typeof(T) == typeof(float) && Avx512F.IsSupported) return Avx512F.Max(value.AsSingle(), best.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)) return Vector512.Max(value, best);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(value, best), value, best);
    }

    /// <summary><see cref="Greater{T}(Vector512{T}, Vector512{T})"/> on 256 bits (vmaxps ymm).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Greater<T>(Vector256<T> value, Vector256<T> best) where T : unmanaged
    {
        if (typeof(T) == typeof(float) && Avx.IsSupported) return Avx.Max(value.AsSingle(), best.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)) return Vector256.Max(value, best);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(value, best), value, best);
    }

    /// <summary><see cref="Greater{T}(Vector512{T}, Vector512{T})"/> on 128 bits (maxps xmm).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Greater<T>(Vector128<T> value, Vector128<T> best) where T : unmanaged
    {
        if (typeof(T) == typeof(float) && Sse.IsSupported) return Sse.Max(value.AsSingle(), best.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)) return Vector128.Max(value, best);
        return Vector128.ConditionalSelect(Vector128.GreaterThan(value, best), value, best);
    }

    private readonly struct Lanes512<T>(Vector512<T> value) : ILanes<T, Lanes512<T>> where T : unmanaged
    {
        public static int Count => Vector512<T>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512<T> Load(ref T source) => new(Vector512.LoadUnsafe(ref source));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512<T> TakeGreater(Lanes512<T> value, Lanes512<T> best) => new(Greater(value.Value, best.Value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref T destination) => Value.StoreUnsafe(ref destination);
        private Vector512<T> Value { get; } = value;
    }

    private readonly struct Lanes256<T>(Vector256<T> value) : ILanes<T, Lanes256<T>> where T : unmanaged
    {
        public static int Count => Vector256<T>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256<T> Load(ref T source) => new(Vector256.LoadUnsafe(ref source));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256<T> TakeGreater(Lanes256<T> value, Lanes256<T> best) => new(Greater(value.Value, best.Value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref T destination) => Value.StoreUnsafe(ref destination);
        private Vector256<T> Value { get; } = value;
    }

    private readonly struct Lanes128<T>(Vector128<T> value) : ILanes<T, Lanes128<T>> where T : unmanaged
    {
        public static int Count => Vector128<T>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes128<T> Load(ref T source) => new(Vector128.LoadUnsafe(ref source));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes128<T> TakeGreater(Lanes128<T> value, Lanes128<T> best) => new(Greater(value.Value, best.Value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref T destination) => Value.StoreUnsafe(ref destination);
        private Vector128<T> Value { get; } = value;
    }

    /// <summary>
    /// The low 8 bytes of a Vector128 (8 int8 or 2 float32 channels), the rest zero: loaded and stored as one 64-bit
    /// value, so nothing past the pixel's channels is read or written. The zero lanes compare equal and stay zero.
    /// </summary>
    private readonly struct LanesHalf128<T>(Vector128<T> value) : ILanes<T, LanesHalf128<T>> where T : unmanaged
    {
        public static int Count => Vector128<T>.Count / 2;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesHalf128<T> Load(ref T source) =>
            new(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<T, byte>(ref source))).As<ulong, T>());
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesHalf128<T> TakeGreater(LanesHalf128<T> value, LanesHalf128<T> best) => new(Greater(value.Value, best.Value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref T destination) => Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref destination), Value.AsUInt64().ToScalar());
        private Vector128<T> Value { get; } = value;
    }

    /// <summary>The low 4 bytes of a Vector128 (4 int8 channels or 1 float32), the rest zero; see <see cref="LanesHalf128{T}"/>.</summary>
    private readonly struct LanesQuarter128<T>(Vector128<T> value) : ILanes<T, LanesQuarter128<T>> where T : unmanaged
    {
        public static int Count => Vector128<T>.Count / 4;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesQuarter128<T> Load(ref T source) =>
            new(Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(ref Unsafe.As<T, byte>(ref source))).As<uint, T>());
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesQuarter128<T> TakeGreater(LanesQuarter128<T> value, LanesQuarter128<T> best) => new(Greater(value.Value, best.Value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref T destination) => Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref destination), Value.AsUInt32().ToScalar());
        private Vector128<T> Value { get; } = value;
    }

    /// <summary>
    /// One output pixel by the scalar rule, the specification the vector path must match: the first valid tap copied, each
    /// later one taken element-wise where strictly greater, <paramref name="lowest"/> when the window holds no valid tap.
    /// Optimized at once: under load the tiered JIT's first, unoptimized code ran MNIST's pooling at ≈ 50 µs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PoolPixelSlow<T>(ReadOnlySpan<T> input, Span<T> best, int n, int oh, int ow, int inputHeight, int inputWidth, int channels,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, T lowest)
        where T : unmanaged, INumber<T>
    {
        bool any = false;
        for (int kh = 0; kh < kernelHeight; kh++)
        {
            int ih = oh * strideHeight - padTop + kh * dilationHeight;
            if ((uint)ih >= (uint)inputHeight) continue;
            for (int kw = 0; kw < kernelWidth; kw++)
            {
                int iw = ow * strideWidth - padLeft + kw * dilationWidth;
                if ((uint)iw >= (uint)inputWidth) continue;
                var tap = input.Slice(((n * inputHeight + ih) * inputWidth + iw) * channels, channels);
                if (!any) tap.CopyTo(best);
                else TakeGreater(tap, best);
                any = true;
            }
        }
        if (!any) best.Fill(lowest);
    }

    /// <summary><c>best[c] = tap[c] &gt; best[c] ? tap[c] : best[c]</c> for every channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TakeGreater<T>(ReadOnlySpan<T> tap, Span<T> best) where T : unmanaged, INumber<T>
    {
        int c = 0;
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            for (; c <= best.Length - Vector128<T>.Count; c += Vector128<T>.Count)
            {
                var value = Vector128.Create(tap.Slice(c, Vector128<T>.Count));
                var current = Vector128.Create((ReadOnlySpan<T>)best.Slice(c, Vector128<T>.Count));
                Vector128.ConditionalSelect(Vector128.GreaterThan(value, current), value, current).CopyTo(best.Slice(c));
            }
            // The last channels as one more vector ending at the last channel. The rule is idempotent (a lane that
            // already took this tap's value, or kept a value not below it, keeps what it has), so the lanes the loop
            // above already did come out the same.
            if (c < best.Length && best.Length >= Vector128<T>.Count)
            {
                int last = best.Length - Vector128<T>.Count;
                var value = Vector128.Create(tap.Slice(last, Vector128<T>.Count));
                var current = Vector128.Create((ReadOnlySpan<T>)best.Slice(last, Vector128<T>.Count));
                Vector128.ConditionalSelect(Vector128.GreaterThan(value, current), value, current).CopyTo(best.Slice(last));
                return;
            }
        }
        for (; c < best.Length; c++)
            if (tap[c] > best[c]) best[c] = tap[c];
    }
}
