using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The runtime's depthwise kernel (<see cref="DepthwiseConv"/>): its SIMD paths against its scalar specification bit for
/// bit on adversarial values, and a whole depthwise convolution built from it (packed weights, tap offsets, folded bias)
/// against the textbook formula B + Σ (x − x_zp)(w − w_zp) over the taps inside the input.
/// </summary>
public sealed class DepthwiseConvTests
{
    /// <summary>An 8-bit value biased to the extremes and the zero point, where widening and products go wrong first.</summary>
    private static int Adversarial(Random random, int min, int max, int zeroPoint) => random.Next(5) switch
    {
        0 => min,
        1 => max,
        2 => zeroPoint,
        3 => random.Next(2) == 0 ? min + 1 : max - 1,
        _ => random.Next(min, max + 1),
    };

    private static (int Min, int Max) RangeOf<T>() => typeof(T) == typeof(sbyte) ? (-128, 127) : (0, 255);

    private static T[] Values<T>(Random random, int count, int zeroPoint) where T : unmanaged
    {
        var (min, max) = RangeOf<T>();
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            int v = Adversarial(random, min, max, zeroPoint);
            values[i] = typeof(T) == typeof(sbyte) ? (T)(object)(sbyte)v : (T)(object)(byte)v;
        }
        return values;
    }

    private static int ToInt<T>(T value) => value is sbyte s ? s : (byte)(object)value!;

    public static TheoryData<int, int> ChannelsAndTaps => new()
    {
        { 1, 9 }, { 7, 9 }, { 8, 9 }, { 15, 25 }, { 16, 9 }, { 17, 4 }, { 24, 9 }, { 33, 49 }, { 72, 25 }, { 100, 1 },
    };

    [Theory]
    [MemberData(nameof(ChannelsAndTaps))]
    public void Vector_paths_equal_the_scalar_specification(int channels, int taps)
    {
        Check<sbyte, sbyte>(channels, taps, 11 * channels + taps);
        Check<byte, sbyte>(channels, taps, 13 * channels + taps);
        Check<sbyte, byte>(channels, taps, 17 * channels + taps);
        Check<byte, byte>(channels, taps, 19 * channels + taps);
    }

    private static void Check<TX, TW>(int channels, int taps, int seed) where TX : unmanaged where TW : unmanaged
    {
        var random = new Random(seed);
        var (xMin, xMax) = RangeOf<TX>();
        var (wMin, wMax) = RangeOf<TW>();
        for (int trial = 0; trial < 20; trial++)
        {
            // Zero points at the extremes too: w − w_zp then reaches ±255 and x_zp · (w − w_zp) its largest magnitude.
            int xZeroPoint = trial % 3 == 0 ? xMin : trial % 3 == 1 ? xMax : random.Next(xMin, xMax + 1);
            int[] wZeroPoints = trial % 2 == 0
                ? [Adversarial(random, wMin, wMax, 0)]
                : Enumerable.Range(0, channels).Select(_ => Adversarial(random, wMin, wMax, 0)).ToArray();
            var weights = Values<TW>(random, channels * taps, wZeroPoints[0]);
            // Garbage first: packing must write every value the kernels read, the zero weights of an odd last tap's partner too.
            var packed = Enumerable.Repeat((short)-12345, DepthwiseConv.PackedLength(channels, taps)).ToArray();
            DepthwiseConv.PackWeights(weights, channels, taps, wZeroPoints, packed);
            Assert.Equal((taps + 1) / 2 * 2 * channels, packed.Length);
            for (int c = 0; c < channels; c++)
            {
                for (int t = 0; t < taps; t++)
                    Assert.Equal(ToInt(weights[c * taps + t]) - wZeroPoints[wZeroPoints.Length == 1 ? 0 : c], packed[(t / 2) * 2 * channels + 2 * c + t % 2]);
                if (taps % 2 == 1) Assert.Equal(0, packed[(taps / 2) * 2 * channels + 2 * c + 1]);
            }

            // Input pixels of `channels` values at scattered offsets (some overlapping, one at the very end); -1 is padding.
            int pixels = taps + 3;
            var x = Values<TX>(random, pixels * channels + 5, xZeroPoint);
            var offsets = Enumerable.Range(0, taps)
                .Select(t => random.Next(4) == 0 ? -1 : t == 0 ? x.Length - channels : random.Next(0, x.Length - channels + 1)).ToArray();
            var start = Enumerable.Range(0, channels).Select(_ => random.Next(int.MinValue, int.MaxValue)).ToArray();

            var expected = (int[])start.Clone();
            DepthwiseConv.AccumulateScalar<TX>(x, offsets, xZeroPoint, packed, expected, 0);
            // The specification itself against a long-arithmetic sum wrapped once at the end.
            for (int c = 0; c < channels; c++)
            {
                long sum = start[c];
                for (int t = 0; t < taps; t++) sum += (long)(offsets[t] < 0 ? xZeroPoint : ToInt(x[offsets[t] + c])) * packed[(t / 2) * 2 * channels + 2 * c + t % 2];
                Assert.Equal(unchecked((int)sum), expected[c]);
            }

            var viaDispatch = (int[])start.Clone();
            DepthwiseConv.Accumulate<TX>(x, offsets, xZeroPoint, packed, viaDispatch);
            Assert.Equal(expected, viaDispatch);
            if (Avx2.IsSupported)
            {
                var actual = (int[])start.Clone();
                int tail = DepthwiseConv.AccumulateAvx2<TX>(x, offsets, xZeroPoint, packed, actual);
                Assert.Equal(channels / 8 * 8, tail);
                DepthwiseConv.AccumulateScalar<TX>(x, offsets, xZeroPoint, packed, actual, tail);
                Assert.Equal(expected, actual);
            }
            if (Vector128.IsHardwareAccelerated)
            {
                var actual = (int[])start.Clone();
                int tail = DepthwiseConv.AccumulateVector128<TX>(x, offsets, xZeroPoint, packed, actual);
                Assert.Equal(channels / 8 * 8, tail);
                DepthwiseConv.AccumulateScalar<TX>(x, offsets, xZeroPoint, packed, actual, tail);
                Assert.Equal(expected, actual);
            }
        }
    }

    [Theory]
    [InlineData(19, 3, 3, 2, 1, 1)]
    [InlineData(40, 5, 5, 1, 2, 2)]
    [InlineData(9, 3, 3, 2, 2, 3)]
    public void A_convolution_from_the_kernel_equals_the_textbook_formula(int channels, int kernelH, int kernelW, int stride, int dilation, int pad)
    {
        var random = new Random(channels * 100 + kernelH * 10 + stride);
        const int height = 7, width = 6;
        int outH = (height + 2 * pad - dilation * (kernelH - 1) - 1) / stride + 1;
        int outW = (width + 2 * pad - dilation * (kernelW - 1) - 1) / stride + 1;
        int taps = kernelH * kernelW;
        int xZeroPoint = random.Next(-128, 128);
        var wZeroPoints = Enumerable.Range(0, channels).Select(_ => random.Next(-128, 128)).ToArray();
        var x = Values<sbyte>(random, height * width * channels, xZeroPoint);      // NHWC, one image
        var w = Values<sbyte>(random, channels * taps, 0);                          // OHWI: [c][kh][kw][1]
        var bias = Enumerable.Range(0, channels).Select(_ => random.Next(-1 << 20, 1 << 20)).ToArray();
        // What lowering folds: B' = B − x_zp · Σ (w − w_zp), so that padded taps may read x_zp.
        var folded = Enumerable.Range(0, channels)
            .Select(c => unchecked(bias[c] - xZeroPoint * Enumerable.Range(0, taps).Sum(t => w[c * taps + t] - wZeroPoints[c]))).ToArray();

        var packed = new short[DepthwiseConv.PackedLength(channels, taps)];
        DepthwiseConv.PackWeights(w, channels, taps, wZeroPoints, packed);
        var offsets = new int[taps];
        var acc = new int[channels];
        for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++)
            {
                folded.CopyTo(acc, 0);
                for (int kh = 0; kh < kernelH; kh++)
                    for (int kw = 0; kw < kernelW; kw++)
                    {
                        int ih = oh * stride + kh * dilation - pad, iw = ow * stride + kw * dilation - pad;
                        offsets[kh * kernelW + kw] = (uint)ih < height && (uint)iw < width ? (ih * width + iw) * channels : -1;
                    }
                DepthwiseConv.Accumulate(x, offsets, xZeroPoint, packed, acc);
                for (int c = 0; c < channels; c++)
                {
                    long expected = bias[c];
                    for (int kh = 0; kh < kernelH; kh++)
                        for (int kw = 0; kw < kernelW; kw++)
                        {
                            int ih = oh * stride + kh * dilation - pad, iw = ow * stride + kw * dilation - pad;
                            if ((uint)ih >= height || (uint)iw >= width) continue;
                            expected += (long)(x[(ih * width + iw) * channels + c] - xZeroPoint) * (w[c * taps + kh * kernelW + kw] - wZeroPoints[c]);
                        }
                    Assert.Equal(unchecked((int)expected), acc[c]);
                }
            }
    }

    [Fact]
    public void A_tap_reaching_past_the_input_is_rejected()
    {
        var packed = new short[DepthwiseConv.PackedLength(8, 2)];
        var acc = new int[8];
        var x = new sbyte[20];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DepthwiseConv.Accumulate(x, [0, 13], 0, packed, acc));
        Assert.Contains("13", error.Message);
        // A zero point outside the input's type could not be the padding byte of the vector path.
        Assert.Throws<ArgumentOutOfRangeException>(() => DepthwiseConv.Accumulate(x, [0, -1], 128, packed, acc));
        Assert.Throws<ArgumentOutOfRangeException>(() => DepthwiseConv.Accumulate(new byte[20], [0, -1], -1, packed, acc));
    }
}
