using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// A whole 8-bit depthwise convolution on NHWC tensors in one call, fixed-point requantized: for every output pixel,
/// <c>y[c] = Requantization.FixedPoint(bias[c] + Σ_t x̂[t][c] · packed[t][c], M0[c], shift[c], y_zp, min, max)</c> with the
/// weights packed by <see cref="DepthwiseConv.PackWeights(ReadOnlySpan{sbyte}, int, int, ReadOnlySpan{int}, Span{short})"/>
/// (w_zp already subtracted) and x̂ the input under the tap or x_zero_point in the padding, sums wrapping in int32.
/// <para>
/// The geometry and spans are checked once per call. On AVX-512BW (≥ 16 channels) and AVX2 (≥ 8 channels) the row kernels
/// (DepthwiseConvolutionRows.cs) walk the output a row and a block of channels at a time with the accumulators and the
/// requantization in registers; 3×3 windows slide along the row reusing the input columns they share. Otherwise (the
/// portable vector and scalar paths, fewer channels, or a layer with a left shift) <see cref="PerPixel"/> takes one pixel
/// at a time through <see cref="DepthwiseConv.Accumulate(ReadOnlySpan{byte}, ReadOnlySpan{int}, int, ReadOnlySpan{short}, Span{int})"/>
/// and <see cref="RequantizeRow"/>. Every path computes the same integers.
/// </para>
/// </summary>
public static partial class DepthwiseConvolution
{
    /// <summary>Largest window handled (taps), and largest channel count: the kernel's stack buffers.</summary>
    public const int MaxTaps = 1024, MaxChannels = 16 * 1024;

    /// <summary>uint8 input, uint8 output.</summary>
    public static void FixedPoint(ReadOnlySpan<byte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<byte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max) =>
        FixedPoint<byte, byte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max);

    /// <summary>int8 input, int8 output.</summary>
    public static void FixedPoint(ReadOnlySpan<sbyte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<sbyte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max) =>
        FixedPoint<sbyte, sbyte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max);

    /// <summary>uint8 input, int8 output.</summary>
    public static void FixedPoint(ReadOnlySpan<byte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<sbyte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max) =>
        FixedPoint<byte, sbyte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max);

    /// <summary>int8 input, uint8 output.</summary>
    public static void FixedPoint(ReadOnlySpan<sbyte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<byte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max) =>
        FixedPoint<sbyte, byte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max);

    internal readonly record struct Geometry(int Batch, int InputHeight, int InputWidth, int Channels, int OutputHeight, int OutputWidth,
        int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int DilationHeight, int DilationWidth, int PadTop, int PadLeft);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FixedPoint<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<short> packed, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        Span<TY> y, Geometry g, int xZeroPoint, int yZeroPoint, int min, int max) where TX : unmanaged where TY : unmanaged
    {
        int channels = g.Channels, taps = g.KernelHeight * g.KernelWidth;
        if (g.Batch < 0 || g.InputHeight < 1 || g.InputWidth < 1 || channels < 1 || channels > MaxChannels || g.OutputHeight < 0 || g.OutputWidth < 0
            || g.KernelHeight < 1 || g.KernelWidth < 1 || taps > MaxTaps || g.StrideHeight < 1 || g.StrideWidth < 1 || g.DilationHeight < 1 || g.DilationWidth < 1)
            throw new ArgumentException($"depthwise convolution geometry {g} is not supported (channels 1 to {MaxChannels}, at most {MaxTaps} taps, positive strides and dilations)");
        long inputCount = (long)g.Batch * g.InputHeight * g.InputWidth * channels;
        long outputCount = (long)g.Batch * g.OutputHeight * g.OutputWidth * channels;
        if (x.Length < inputCount || y.Length < outputCount)
            throw new ArgumentException($"input has {x.Length} values and output {y.Length}; the geometry needs {inputCount} and {outputCount}");
        if (packed.Length < DepthwiseConv.PackedLength(channels, taps))
            throw new ArgumentException($"{taps} taps of {channels} channels need {DepthwiseConv.PackedLength(channels, taps)} packed weights, have {packed.Length}");
        if (bias.Length != 0 && bias.Length < channels)
            throw new ArgumentException($"bias has {bias.Length} values for {channels} channels");
        RequantizeRow.Check(channels, 0, multipliers.Length, channels);
        RequantizeRow.Check(channels, 0, shifts.Length, channels);
        DepthwiseConv.CheckZeroPoint<TX>(xZeroPoint);

        if (RowKernelsApply(shifts, channels))
        {
            if (Avx512BW.IsSupported && channels >= 16)
            {
                RowsAvx512(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max);
                return;
            }
            if (Avx2.IsSupported && channels >= 8)
            {
                RowsAvx2(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max);
                return;
            }
        }
        PerPixel(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max);
    }

    /// <summary>
    /// The pixel-at-a-time walk: tap offsets per pixel, <see cref="DepthwiseConv"/>'s accumulation and <see cref="RequantizeRow"/>
    /// per pixel. The path for the portable vector and scalar hardware, few channels, or a layer with a left shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PerPixel<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<short> packed, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        Span<TY> y, Geometry g, int xZeroPoint, int yZeroPoint, int min, int max) where TX : unmanaged where TY : unmanaged
    {
        int channels = g.Channels, taps = g.KernelHeight * g.KernelWidth;
        Span<int> acc = stackalloc int[channels];
        Span<int> offsets = stackalloc int[taps];
        Span<int> steps = stackalloc int[taps];
        for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
                steps[kh * g.KernelWidth + kw] = (kh * g.DilationHeight * g.InputWidth + kw * g.DilationWidth) * channels;
        int reachHeight = (g.KernelHeight - 1) * g.DilationHeight, reachWidth = (g.KernelWidth - 1) * g.DilationWidth;
        var constantBias = bias.IsEmpty ? bias : bias.Slice(0, channels);
        for (int n = 0; n < g.Batch; n++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
            {
                int ih0 = oh * g.StrideHeight - g.PadTop;
                bool rowInside = ih0 >= 0 && ih0 + reachHeight < g.InputHeight;
                for (int ow = 0; ow < g.OutputWidth; ow++)
                {
                    int iw0 = ow * g.StrideWidth - g.PadLeft;
                    if (rowInside && iw0 >= 0 && iw0 + reachWidth < g.InputWidth)
                    {
                        int origin = ((n * g.InputHeight + ih0) * g.InputWidth + iw0) * channels;
                        for (int t = 0; t < taps; t++) offsets[t] = origin + steps[t];
                    }
                    else
                    {
                        for (int kh = 0; kh < g.KernelHeight; kh++)
                        {
                            int ih = ih0 + kh * g.DilationHeight;
                            for (int kw = 0; kw < g.KernelWidth; kw++)
                            {
                                int iw = iw0 + kw * g.DilationWidth;
                                offsets[kh * g.KernelWidth + kw] = (uint)ih < (uint)g.InputHeight && (uint)iw < (uint)g.InputWidth
                                    ? ((n * g.InputHeight + ih) * g.InputWidth + iw) * channels : -1;
                            }
                        }
                    }
                    if (constantBias.IsEmpty) acc.Clear();
                    else constantBias.CopyTo(acc);
                    DepthwiseConv.AccumulateChecked(x, offsets, xZeroPoint, packed, acc);
                    int pixel = (n * g.OutputHeight + oh) * g.OutputWidth + ow;
                    RequantizeRow.FixedPointChecked(acc, default, multipliers, shifts, yZeroPoint, min, max, y.Slice(pixel * channels, channels));
                }
            }
    }
}
