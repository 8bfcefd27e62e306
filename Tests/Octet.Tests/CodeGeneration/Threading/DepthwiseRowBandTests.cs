using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Threading;

/// <summary>
/// <see cref="DepthwiseConvolution.FixedPointRows(ReadOnlySpan{sbyte}, ReadOnlySpan{short}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{sbyte}, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int)"/>,
/// the row-band entry point of the split depthwise layers: every way of cutting the output rows into bands (counted across
/// images, bands crossing from one image into the next, bands inside the top and bottom padding) writes exactly the
/// band's values, and together the bands write what the whole-layer call writes (which DepthwiseRowKernelTests checks
/// against the definition), bit for bit; nothing outside a band is touched.
/// </summary>
public sealed class DepthwiseRowBandTests
{
    [Theory]
    // channels, input size, kernel, stride, dilation, pad, batch
    [InlineData(32, 12, 3, 1, 1, 1, 2)]    // the 3×3 sliding-row kernel, two images
    [InlineData(48, 13, 3, 2, 1, 1, 1)]    // stride 2
    [InlineData(20, 9, 5, 1, 1, 2, 2)]     // the general row kernel, two padded rows at each edge
    [InlineData(17, 10, 3, 1, 2, 2, 1)]    // dilated
    [InlineData(5, 8, 3, 2, 1, 1, 2)]      // few channels: the per-pixel path
    public void Every_band_split_writes_what_the_whole_layer_writes(int channels, int size, int kernel, int stride, int dilation, int pad, int batch)
    {
        var random = new Random(channels * 31 + size);
        int outSize = (size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1, taps = kernel * kernel, rows = batch * outSize;
        var x = Enumerable.Range(0, batch * size * size * channels).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        var weights = Enumerable.Range(0, channels * taps).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        var packed = new short[DepthwiseConv.PackedLength(channels, taps)];
        DepthwiseConv.PackWeights(weights, channels, taps, [3], packed);
        var bias = Enumerable.Range(0, channels).Select(_ => random.Next(-50000, 50000)).ToArray();
        var multipliers = Enumerable.Range(0, channels).Select(_ => random.Next(1 << 30, int.MaxValue)).ToArray();
        var shifts = Enumerable.Range(0, channels).Select(_ => random.Next(-12, -6)).ToArray();
        int xZeroPoint = -5, yZeroPoint = 9, outputCount = rows * outSize * channels;

        void Layer(sbyte[] y, int firstRow, int rowCount, bool whole)
        {
            if (whole)
                DepthwiseConvolution.FixedPoint(x, packed, bias, multipliers, shifts, y, batch, size, size, channels, outSize, outSize, kernel, kernel,
                    stride, stride, dilation, dilation, pad, pad, xZeroPoint, yZeroPoint, -128, 127);
            else
                DepthwiseConvolution.FixedPointRows(x, packed, bias, multipliers, shifts, y, batch, size, size, channels, outSize, outSize, kernel, kernel,
                    stride, stride, dilation, dilation, pad, pad, xZeroPoint, yZeroPoint, -128, 127, firstRow, rowCount);
        }

        var expected = new sbyte[outputCount];
        Layer(expected, 0, rows, whole: true);
        foreach (int bands in new[] { 1, 2, 3, 5, rows })
        {
            var y = new sbyte[outputCount];
            Array.Fill(y, (sbyte)77);
            // Every other band first: a band must not depend on its neighbours having been written.
            foreach (int band in Enumerable.Range(0, bands).Where(i => i % 2 == 1).Concat(Enumerable.Range(0, bands).Where(i => i % 2 == 0)))
            {
                int first = band * rows / bands, end = (band + 1) * rows / bands;
                var before = (sbyte[])y.Clone();
                Layer(y, first, end - first, whole: false);
                int from = first * outSize * channels, to = end * outSize * channels;
                for (int i = 0; i < outputCount; i++)
                    if (i < from || i >= to) Assert.True(before[i] == y[i], $"band [{first}, {end}) of {rows} rows wrote value {i} outside its rows");
            }
            Assert.True(expected.SequenceEqual(y), $"{bands} bands of {rows} rows differ from the whole layer");
        }
    }

    [Fact]
    public void A_band_outside_the_layer_is_refused()
    {
        var x = new sbyte[2 * 4 * 4 * 16];
        var y = new sbyte[2 * 4 * 4 * 16];
        var packed = new short[DepthwiseConv.PackedLength(16, 9)];
        int[] one = [1 << 30], shift = [-8];
        Assert.Throws<ArgumentOutOfRangeException>(() => DepthwiseConvolution.FixedPointRows(x, packed, default, one, shift, y, 2, 4, 4, 16, 4, 4, 3, 3,
            1, 1, 1, 1, 1, 1, 0, 0, -128, 127, firstRow: 6, rowCount: 3));
    }
}
