using System.Numerics;
using Octet.Runtime.DataMovement;
using Xunit;

namespace Octet.Tests.CodeGeneration.Runtime;

/// <summary>
/// The runtime's NHWC <see cref="MaxPool"/> against windows pooled here by ONNX's definition (the first valid tap, then
/// each later tap where strictly greater; padding excluded; the type's lowest value for an empty window), value for
/// value and bit for bit: channel counts below, at and above each vector width (1 … 130 channels, so the Vector512,
/// Vector256 and Vector128 paths and their overlapping last vector all run), padding, strides and dilation, and for
/// float32 NaN and signed zeros, which a Max instruction would treat differently from the rule.
/// </summary>
public sealed class MaxPoolKernelTests
{
    private static readonly int[] ChannelCounts = [1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 130];

    /// <summary>ONNX MaxPool pooled value by value: the first valid tap, later taps where strictly greater, lowest for none.</summary>
    internal static T[] Expected<T>(T[] x, int n, int h, int w, int c, int oh, int ow, int k, int stride, int dilation, int pad, T lowest)
        where T : unmanaged, INumber<T>
    {
        var y = new T[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        bool any = false;
                        T best = lowest;
                        for (int kh = 0; kh < k; kh++)
                            for (int kw = 0; kw < k; kw++)
                            {
                                int ih = i * stride - pad + kh * dilation, iw = j * stride - pad + kw * dilation;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                T v = x[((b * h + ih) * w + iw) * c + ch];
                                if (!any || v > best) best = v;
                                any = true;
                            }
                        y[((b * oh + i) * ow + j) * c + ch] = best;
                    }
        return y;
    }

    private static void Check<T>(Func<Random, T> value, T lowest, Func<T, long> bits) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var random = new Random(7);
        foreach (int c in ChannelCounts)
            foreach (var (h, w, k, stride, dilation, pad) in new[] { (9, 8, 3, 2, 1, 0), (7, 7, 3, 1, 1, 1), (8, 9, 2, 2, 2, 1), (5, 5, 3, 3, 1, 2) })
            {
                int n = 2;
                int oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1, ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
                var x = new T[n * h * w * c];
                for (int i = 0; i < x.Length; i++) x[i] = value(random);
                var y = new T[n * oh * ow * c];
                MaxPool.Nhwc<T>(x, y, n, h, w, c, oh, ow, k, k, stride, stride, dilation, dilation, pad, pad);
                var want = Expected(x, n, h, w, c, oh, ow, k, stride, dilation, pad, lowest);
                for (int i = 0; i < y.Length; i++)
                    if (bits(y[i]) != bits(want[i]))
                        Assert.Fail($"{typeof(T).Name} {c} channels, {h}x{w} k{k} s{stride} d{dilation} p{pad}: element {i} is {y[i]}, expected {want[i]}");
            }
    }

    [Fact]
    public void Float32_pools_by_the_strict_greater_rule_including_NaN_and_signed_zeros() =>
        Check(r => r.Next(10) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, 3 => float.NegativeInfinity, _ => (float)(r.NextDouble() * 20 - 10) },
            float.NegativeInfinity, v => BitConverter.SingleToInt32Bits(v));

    [Fact]
    public void Int8_pools_exactly() => Check(r => (sbyte)r.Next(-128, 128), sbyte.MinValue, v => v);

    [Fact]
    public void Uint8_pools_exactly() => Check(r => (byte)r.Next(0, 256), byte.MinValue, v => v);

    /// <summary>
    /// <see cref="MaxPool.NhwcRows"/> (what a split MaxPool's work units call) pools exactly the rows it is given, counted
    /// across the batch, and leaves every other output value as it was; ranges that cover the rows in pieces (single rows,
    /// uneven pieces, pieces crossing from one image into the next) give the definition's output.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Row_ranges_pool_only_their_rows_and_together_give_the_whole_output(int piece)
    {
        var random = new Random(11);
        foreach (int c in new[] { 3, 16, 64, 65 })
        {
            const int n = 2, h = 11, w = 9, k = 3, stride = 2, dilation = 1, pad = 1;
            int oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1, ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
            var x = new sbyte[n * h * w * c];
            for (int i = 0; i < x.Length; i++) x[i] = (sbyte)random.Next(-128, 128);
            var want = Expected(x, n, h, w, c, oh, ow, k, stride, dilation, pad, sbyte.MinValue);
            const sbyte untouched = 99;
            var y = Enumerable.Repeat(untouched, n * oh * ow * c).ToArray();
            int rows = n * oh;
            for (int first = 0; first < rows; first += piece)
            {
                int end = Math.Min(rows, first + piece);
                MaxPool.NhwcRows<sbyte>(x, y, n, h, w, c, oh, ow, k, k, stride, stride, dilation, dilation, pad, pad, first, end);
                for (int i = 0; i < y.Length; i++)
                {
                    int row = i / (ow * c);
                    sbyte expected = row < end ? want[i] : untouched;
                    if (y[i] != expected)
                        Assert.Fail($"{c} channels, rows [{first}, {end}) pooled: element {i} (output row {row}) is {y[i]}, expected {expected}");
                }
            }
        }
    }

    [Fact]
    public void A_row_range_outside_the_output_is_refused()
    {
        var x = new sbyte[1 * 4 * 4 * 8];
        var y = new sbyte[1 * 2 * 2 * 8];
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool.NhwcRows<sbyte>(x, y, 1, 4, 4, 8, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool.NhwcRows<sbyte>(x, y, 1, 4, 4, 8, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 2, 1));
    }
}
