using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// <see cref="PatchRows"/> (im2row for the int8 GEMM convolution) against its per-tap specification, byte for byte,
/// and the specification against windows read directly here: padding on every side, strides, dilations, kernel rows
/// of 1–40 bytes (the overlapping-copy sizes), several images, ranges that start mid-row and cross images, and row
/// strides longer than the window whose extra bytes must stay untouched.
/// </summary>
public sealed class PatchRowsTests
{
    private static readonly PatchWindow[] Windows =
    [
        new(244, 244, 3, 3, 3, 2, 2, 1, 1, 1, 1, 122, 122),   // mobilenetv3's first conv: 9-byte kernel rows
        new(15, 17, 3, 7, 7, 2, 2, 0, 0, 1, 1, 5, 6),          // squeezenet's conv1 shape, smaller: 21-byte rows
        new(9, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 9, 8),           // 3x3 "same" on 16 channels: 48-byte rows
        new(7, 7, 1, 3, 3, 1, 1, 2, 2, 2, 2, 7, 7),            // dilation 2, wide padding, 1 channel
        new(6, 5, 5, 1, 1, 2, 2, 0, 0, 1, 1, 3, 3),            // strided pointwise
        new(5, 6, 2, 2, 3, 1, 3, 0, 1, 1, 1, 4, 2),            // stride 3 across, uneven kernel
    ];

    private static void Check<T>(int seed) where T : unmanaged
    {
        var random = new Random(seed);
        foreach (var w in Windows)
        {
            int images = 2, pixels = w.OutputHeight * w.OutputWidth;
            var x = new T[images * w.Height * w.Width * w.Channels];
            random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
            var pad = (T)(object)(typeof(T) == typeof(sbyte) ? (object)(sbyte)-7 : (byte)121);
            foreach (var (first, count) in new[] { (0, pixels), (pixels - 5, 11), (3, 1), (pixels + 2, pixels - 2) })
            {
                int stride = w.Length + 5;
                var fast = Enumerable.Repeat((T)(object)(typeof(T) == typeof(sbyte) ? (object)(sbyte)0x3C : (byte)0x3C), count * stride).ToArray();
                var spec = (T[])fast.Clone();
                PatchRows.Gather<T>(x, w, pad, first, count, fast, stride);
                PatchRows.GatherScalar<T>(x, w, pad, first, count, spec, stride);
                Assert.True(spec.AsSpan().SequenceEqual(fast), $"{w} pixels [{first}, {first + count})");
                // The specification against the window read directly, for one pixel per range.
                int p = first + count / 2, n = p / pixels, oh = p / w.OutputWidth % w.OutputHeight, ow = p % w.OutputWidth, i = p - first;
                for (int kh = 0; kh < w.KernelHeight; kh++)
                    for (int kw = 0; kw < w.KernelWidth; kw++)
                        for (int c = 0; c < w.Channels; c++)
                        {
                            int ih = oh * w.StrideHeight - w.PadTop + kh * w.DilationHeight, iw = ow * w.StrideWidth - w.PadLeft + kw * w.DilationWidth;
                            var want = ih >= 0 && ih < w.Height && iw >= 0 && iw < w.Width ? x[((n * w.Height + ih) * w.Width + iw) * w.Channels + c] : pad;
                            Assert.Equal(want, spec[i * stride + (kh * w.KernelWidth + kw) * w.Channels + c]);
                        }
                Assert.Equal(0x3C, Octet.Runtime.Int8.Int8Dot.ToInt(spec[i * stride + w.Length]) & 0xFF);
            }
        }
    }

    [Fact]
    public void Int8_rows_equal_the_specification() => Check<sbyte>(1);

    [Fact]
    public void Uint8_rows_equal_the_specification() => Check<byte>(2);

    [Fact]
    public void A_range_past_the_input_is_refused()
    {
        var w = Windows[2];
        var x = new byte[w.Height * w.Width * w.Channels];
        var ex = Assert.Throws<ArgumentException>(() => PatchRows.Gather(x, w, (byte)0, w.OutputHeight * w.OutputWidth - 1, 2, new byte[2 * w.Length], w.Length));
        Assert.Contains("do not fit", ex.Message);
    }
}
