using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The row kernels of <see cref="DepthwiseConvolution"/> (AVX-512 blocks of 16 channels, AVX2 blocks of 8, interior pixels
/// without padding tests, border pixels, an overlapping last block, requantization in registers) and its per-pixel path,
/// each against a scalar evaluation written here from the definition: acc = B' + Σ x̂ · (w − w_zp) over every tap (x̂ =
/// x_zero_point in the padding), wrapped to int32, then <see cref="Requantization.FixedPoint"/> (the runtime's scalar
/// specification of fixed-point requantization). Bit for bit.
/// </summary>
public sealed class DepthwiseRowKernelTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Geometries => new()
    {
        // channels, input height, input width, kernel h, kernel w, stride, dilation, pad top/left, batch
        { 58, 9, 8, 3, 3, 1, 1, 1, 1 },     // shufflenet's tail: 3 · 16 + 10
        { 58, 11, 10, 3, 3, 2, 1, 1, 1 },   // stride 2
        { 32, 12, 12, 3, 3, 1, 1, 1, 2 },   // mobilenet's 32, two images
        { 144, 6, 7, 3, 3, 1, 1, 1, 1 },
        { 16, 5, 5, 3, 3, 1, 1, 0, 1 },     // no padding at all: every pixel interior
        { 17, 7, 9, 5, 5, 1, 2, 3, 1 },     // dilation, odd block tail of 1
        { 24, 6, 6, 2, 2, 2, 1, 0, 1 },     // even taps
        { 40, 8, 5, 3, 2, 3, 1, 1, 1 },     // rectangular kernel, stride 3
        { 8, 6, 6, 3, 3, 1, 1, 1, 1 },      // one AVX2 block; the AVX-512 path needs 16
        { 13, 6, 7, 3, 3, 2, 1, 2, 1 },     // 8 + overlapping 8; pad 2 > reach
        { 20, 4, 4, 1, 1, 1, 1, 0, 1 },     // 1×1: one tap, its phantom partner
        { 33, 3, 3, 7, 7, 1, 1, 3, 1 },     // window larger than the input: no interior pixel
        { 20, 7, 8, 3, 3, 1, 1, 2, 1 },     // 3×3 sliding rows with two padded columns and rows on each side
        { 36, 9, 10, 3, 3, 2, 1, 2, 2 },    // the same at stride 2, two images
        { 32, 8, 9, 3, 3, 3, 1, 1, 1 },     // 3×3 at stride 3: the general row kernel
        { 24, 9, 9, 3, 3, 1, 2, 2, 1 },     // 3×3 dilated: the general row kernel
        { 16, 3, 1100, 3, 3, 1, 1, 1, 1 },  // rows longer than the x_zero_point row buffer: border pixels one by one
        { 1040, 4, 3, 3, 3, 1, 1, 1, 1 },   // more channels than the row kernels take: the per-pixel path
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Every_path_equals_the_definition(int channels, int height, int width, int kernelH, int kernelW, int stride, int dilation, int pad, int batch)
    {
        int outH = (height + 2 * pad - dilation * (kernelH - 1) - 1) / stride + 1;
        int outW = (width + 2 * pad - dilation * (kernelW - 1) - 1) / stride + 1;
        var g = new DepthwiseConvolution.Geometry(batch, height, width, channels, outH, outW, kernelH, kernelW, stride, stride, dilation, dilation, pad, pad);
        for (int trial = 0; trial < 8; trial++)
        {
            int seed = channels * 1000 + height * 100 + kernelH * 10 + trial;
            switch (trial % 4)
            {
                case 0: Check<byte, byte>(g, seed, trial); break;
                case 1: Check<sbyte, sbyte>(g, seed, trial); break;
                case 2: Check<byte, sbyte>(g, seed, trial); break;
                default: Check<sbyte, byte>(g, seed, trial); break;
            }
        }
    }

    [Fact]
    public void A_left_shift_falls_back_to_the_per_pixel_path_with_the_same_integers()
    {
        var g = new DepthwiseConvolution.Geometry(1, 6, 6, 24, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1);
        Check<byte, byte>(g, 77, trial: 0, leftShift: true);
        Check<sbyte, sbyte>(g, 78, trial: 1, leftShift: true);
    }

    private static (int Min, int Max) RangeOf<T>() => typeof(T) == typeof(sbyte) ? (-128, 127) : (0, 255);

    private static T From<T>(int value) where T : unmanaged => typeof(T) == typeof(sbyte) ? (T)(object)(sbyte)value : (T)(object)(byte)value;

    private static int ToInt<T>(T value) => value is sbyte s ? s : (byte)(object)value!;

    /// <summary>Extremes and the zero point often, where widening, products and clamping go wrong first.</summary>
    private static int Adversarial(Random random, int min, int max, int zeroPoint) => random.Next(5) switch
    {
        0 => min,
        1 => max,
        2 => zeroPoint,
        _ => random.Next(min, max + 1),
    };

    private static void Check<TX, TY>(DepthwiseConvolution.Geometry g, int seed, int trial, bool leftShift = false) where TX : unmanaged where TY : unmanaged
    {
        var random = new Random(seed);
        int channels = g.Channels, taps = g.KernelHeight * g.KernelWidth;
        var (xMin, xMax) = RangeOf<TX>();
        var (yMin, yMax) = RangeOf<TY>();
        int xZeroPoint = trial % 3 == 0 ? xMin : trial % 3 == 1 ? xMax : random.Next(xMin, xMax + 1);
        var x = new TX[g.Batch * g.InputHeight * g.InputWidth * channels];
        for (int i = 0; i < x.Length; i++) x[i] = From<TX>(Adversarial(random, xMin, xMax, xZeroPoint));
        var weights = Enumerable.Range(0, channels * taps).Select(_ => (sbyte)Adversarial(random, -128, 127, 0)).ToArray();
        // Zero points at the extremes too: w − w_zp then reaches ±255.
        int[] wZeroPoints = trial % 2 == 0 ? [random.Next(2) == 0 ? -128 : 127] : Enumerable.Range(0, channels).Select(_ => random.Next(-128, 128)).ToArray();
        var packed = new short[DepthwiseConv.PackedLength(channels, taps)];
        DepthwiseConv.PackWeights(weights, channels, taps, wZeroPoints, packed);
        // Large biases so that some sums wrap; none at all in some trials.
        int[] bias = trial % 4 == 3 ? [] : Enumerable.Range(0, channels).Select(_ => random.Next(5) == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-100000, 100000)).ToArray();
        bool perChannel = trial % 2 == 1 || leftShift;
        int[] multipliers = Enumerable.Range(0, perChannel ? channels : 1).Select(_ => random.Next(1 << 30, int.MaxValue)).ToArray();
        // Right shifts from 1 up (shift 30 = 1 bit: outputs saturate), a vanishing one (r ≥ 63), and with leftShift some r ≤ 0.
        // Trial 6: one multiplier for all channels but a shift per channel (each constant may be per channel on its own).
        // Trial 3 keeps every right shift at 33 or more (from 33 itself), so that per-channel constants take the
        // high-word epilogue of the AVX-512 kernel (Int8Gemm.HighWordRequantizable).
        int[] shifts = Enumerable.Range(0, perChannel || trial == 6 ? channels : 1).Select(i =>
            leftShift && i % 5 == 2 ? random.Next(31, 34)
            : i % 7 == 3 ? -40
            : trial == 3 ? random.Next(-20, -1)
            : random.Next(4) == 0 ? random.Next(-2, 31) : random.Next(-20, -5)).ToArray();
        int yZeroPoint = random.Next(yMin, yMax + 1);
        int min = trial == 5 ? yZeroPoint : yMin, max = yMax;

        var expected = Definition<TX, TY>(g, x, weights, wZeroPoints, bias, multipliers, shifts, xZeroPoint, yZeroPoint, min, max);
        int outputCount = g.Batch * g.OutputHeight * g.OutputWidth * channels;
        TY[] Run(Action<TY[]> path)
        {
            var y = new TY[outputCount];
            for (int i = 0; i < y.Length; i++) y[i] = From<TY>(yMin + i % 3);   // garbage: every value must be written
            path(y);
            return y;
        }
        string name = $"{typeof(TX).Name}->{typeof(TY).Name}, {g}, trial {trial}";
        AssertEqual(expected, Run(y => DepthwiseConvolution.FixedPoint<TX, TY>(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max)), name + ", dispatch");
        AssertEqual(expected, Run(y => DepthwiseConvolution.PerPixel<TX, TY>(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max)), name + ", per pixel");
        if (!DepthwiseConvolution.RowKernelsApply(shifts, channels)) return;
        if (Avx512BW.IsSupported && channels >= 16)
        {
            AssertEqual(expected, Run(y => DepthwiseConvolution.RowsAvx512<TX, TY>(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max)), name + ", AVX-512");
            AssertEqual(expected, Run(y => DepthwiseConvolution.RowsAvx512<TX, TY>(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max,
                allowHighWord: false)), name + ", AVX-512 with the 64-bit epilogue");
        }
        if (Avx2.IsSupported && channels >= 8)
            AssertEqual(expected, Run(y => DepthwiseConvolution.RowsAvx2<TX, TY>(x, packed, bias, multipliers, shifts, y, g, xZeroPoint, yZeroPoint, min, max)), name + ", AVX2");
    }

    private static void AssertEqual<T>(T[] expected, T[] actual, string name)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!EqualityComparer<T>.Default.Equals(expected[i], actual[i]))
                Assert.Fail($"{name}: first difference at {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>The definition, from the unpacked OHWI weights and the zero points, in 64-bit arithmetic wrapped once.</summary>
    private static TY[] Definition<TX, TY>(DepthwiseConvolution.Geometry g, TX[] x, sbyte[] weights, int[] wZeroPoints, int[] bias, int[] multipliers, int[] shifts,
        int xZeroPoint, int yZeroPoint, int min, int max) where TX : unmanaged where TY : unmanaged
    {
        int channels = g.Channels, taps = g.KernelHeight * g.KernelWidth;
        var y = new TY[g.Batch * g.OutputHeight * g.OutputWidth * channels];
        for (int n = 0; n < g.Batch; n++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++)
                    for (int c = 0; c < channels; c++)
                    {
                        long sum = bias.Length == 0 ? 0 : bias[c];
                        for (int kh = 0; kh < g.KernelHeight; kh++)
                            for (int kw = 0; kw < g.KernelWidth; kw++)
                            {
                                int ih = oh * g.StrideHeight - g.PadTop + kh * g.DilationHeight;
                                int iw = ow * g.StrideWidth - g.PadLeft + kw * g.DilationWidth;
                                bool inside = ih >= 0 && ih < g.InputHeight && iw >= 0 && iw < g.InputWidth;
                                int value = inside ? ToInt(x[((n * g.InputHeight + ih) * g.InputWidth + iw) * channels + c]) : xZeroPoint;
                                sum += (long)value * (weights[c * taps + kh * g.KernelWidth + kw] - wZeroPoints[wZeroPoints.Length == 1 ? 0 : c]);
                            }
                        int q = Requantization.FixedPoint(unchecked((int)sum), multipliers[multipliers.Length == 1 ? 0 : c], shifts[shifts.Length == 1 ? 0 : c], yZeroPoint, min, max);
                        y[((n * g.OutputHeight + oh) * g.OutputWidth + ow) * channels + c] = From<TY>(q);
                    }
        return y;
    }
}
