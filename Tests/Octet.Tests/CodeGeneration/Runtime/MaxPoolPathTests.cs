using System.Numerics;
using Octet.Runtime.DataMovement;
using Xunit;

namespace Octet.Tests.CodeGeneration.Runtime;

/// <summary>
/// Every lane width of <see cref="MaxPool"/>'s vector path (Vector512, Vector256, Vector128 and the low 8 and 4 bytes of a
/// Vector128 that take fewer channels than a Vector128 holds) forced in turn on the same data, bit for bit against the
/// scalar specification (widths below 4 bytes) and against windows pooled here by ONNX's rule: channel counts 1 to 70
/// (below, at and across each width, so the overlapping last vector runs), padding, strides, dilation, batches of 2,
/// and for float32 NaN, signed zeros and −∞ (the x86 paths pool float32 with maxps, whose NaN and zero behaviour must
/// be the rule's).
/// </summary>
public sealed class MaxPoolPathTests
{
    /// <summary>Lane widths in bytes; 0 forces the scalar specification.</summary>
    private static readonly int[] Widths = [64, 32, 16, 8, 4, 0];

    private static readonly (int H, int W, int K, int Stride, int Dilation, int Pad)[] Windows =
        [(9, 8, 3, 2, 1, 0), (7, 7, 3, 1, 1, 1), (8, 9, 2, 2, 2, 1), (6, 5, 3, 3, 1, 2), (4, 4, 2, 2, 1, 0),
         // 3×3 windows with rows of several interior pixels between border ones (the unrolled interior run), and a 3×3
         // dilated window (nine taps that are not adjacent).
         (12, 15, 3, 2, 1, 1), (11, 13, 3, 1, 2, 1)];

    /// <summary>The definition, pooled value by value (shared with <see cref="MaxPoolKernelTests"/>).</summary>
    private static T[] Expected<T>(T[] x, int n, int h, int w, int c, int oh, int ow, int k, int stride, int dilation, int pad, T lowest)
        where T : unmanaged, INumber<T> => MaxPoolKernelTests.Expected(x, n, h, w, c, oh, ow, k, stride, dilation, pad, lowest);

    private static void Check<T>(Func<Random, T> value, T lowest, Func<T, long> bits) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var random = new Random(11);
        for (int c = 1; c <= 70; c++)
            foreach (var (h, w, k, stride, dilation, pad) in Windows)
            {
                const int n = 2;
                int oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1, ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
                var x = new T[n * h * w * c];
                for (int i = 0; i < x.Length; i++) x[i] = value(random);
                var want = Expected(x, n, h, w, c, oh, ow, k, stride, dilation, pad, lowest);
                foreach (int width in Widths)
                {
                    // A guard element past the output: no path may write beyond the last channel of the last pixel.
                    var y = new T[n * oh * ow * c + 1];
                    y[^1] = T.One;
                    MaxPool.Nhwc<T>(x, y.AsSpan(0, y.Length - 1), n, h, w, c, oh, ow, k, k, stride, stride, dilation, dilation, pad, pad, width);
                    for (int i = 0; i < want.Length; i++)
                        if (bits(y[i]) != bits(want[i]))
                            Assert.Fail($"{typeof(T).Name}, {width}-byte lanes, {c} channels, {h}x{w} k{k} s{stride} d{dilation} p{pad}: element {i} is {y[i]}, expected {want[i]}");
                    Assert.Equal(T.One, y[^1]);
                }
            }
    }

    [Fact]
    public void Float32_every_lane_width_matches_the_rule_including_NaN_and_signed_zeros() =>
        Check(r => r.Next(10) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, 3 => float.NegativeInfinity, _ => (float)(r.NextDouble() * 20 - 10) },
            float.NegativeInfinity, v => BitConverter.SingleToInt32Bits(v));

    [Fact]
    public void Int8_every_lane_width_matches_the_rule() => Check(r => (sbyte)r.Next(-128, 128), sbyte.MinValue, v => v);

    [Fact]
    public void Uint8_every_lane_width_matches_the_rule() => Check(r => (byte)r.Next(0, 256), byte.MinValue, v => v);
}
