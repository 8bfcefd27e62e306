using Octet.Runtime.DataMovement;
using Xunit;

namespace Octet.Tests.CodeGeneration.DataMovement;

/// <summary>
/// StridedCopy's copies of contiguous runs (an NHWC Concat's or Slice's pixels), which go through references and
/// vector moves once the box is checked: every run length around the 32- and 64-byte vector sizes and the
/// 512/1024-byte limits, both element sizes, negative strides, and boxes that reach outside a span.
/// </summary>
public class StridedCopyRunTests
{
    public static TheoryData<int> RunLengths => new() { 1, 7, 31, 32, 33, 58, 63, 64, 65, 127, 128, 129, 192, 256, 257, 511, 512, 513, 1023, 1024, 1025, 3000 };

    [Theory]
    [MemberData(nameof(RunLengths))]
    public void Byte_runs_land_where_the_element_loop_puts_them(int run) =>
        CheckConcatLikeCopy<byte>(run, (random, length) =>
        {
            var values = new byte[length];
            random.NextBytes(values);
            return values;
        });

    [Theory]
    [MemberData(nameof(RunLengths))]
    public void Float_runs_land_where_the_element_loop_puts_them(int run) =>
        CheckConcatLikeCopy<float>(run, (random, length) => Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray());

    /// <summary>
    /// Seven pixels of <paramref name="run"/> channels into the middle of a wider destination, as a Concat input's box
    /// ([channels, pixels] with strides [1, C] and [1, C_out]); the bytes around each run, before the first and after
    /// the last must be left as they were.
    /// </summary>
    private static void CheckConcatLikeCopy<T>(int run, Func<Random, int, T[]> values) where T : struct
    {
        var random = new Random(run);
        const int pixels = 7, before = 3, after = 5;
        int outChannels = run + before + after;
        var source = values(random, 2 + run * pixels);
        var expected = values(random, 1 + outChannels * pixels);
        var actual = (T[])expected.Clone();
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < run; c++)
                expected[1 + before + p * outChannels + c] = source[2 + p * run + c];
        StridedCopy.Copy<T>(source, 2, [1, run], actual, 1 + before, [1, outChannels], [run, pixels]);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Runs_walked_backwards_by_a_negative_outer_stride_are_copied_in_place()
    {
        // Slice with step −1 along the pixels: rows of 80 bytes read from the last to the first.
        var source = Enumerable.Range(0, 6 * 80).Select(i => (byte)(i * 7)).ToArray();
        var actual = new byte[6 * 80];
        StridedCopy.Copy<byte>(source, 5 * 80, [-80, 1], actual, 0, [80, 1], [6, 80]);
        for (int row = 0; row < 6; row++)
            Assert.Equal(source.AsSpan((5 - row) * 80, 80).ToArray(), actual.AsSpan(row * 80, 80).ToArray());
    }

    [Fact]
    public void A_box_reaching_past_either_span_is_refused_before_anything_is_written()
    {
        var source = new byte[10 * 64];
        var destination = new byte[10 * 64 - 1];
        var untouched = (byte[])destination.Clone();
        Array.Fill(source, (byte)9);
        Assert.Throws<ArgumentOutOfRangeException>(() => StridedCopy.Copy<byte>(source, 0, [64, 1], destination, 0, [64, 1], [10, 64]));
        Assert.Equal(untouched, destination);
        Assert.Throws<ArgumentOutOfRangeException>(() => StridedCopy.Copy<byte>(source, 1, [64, 1], new byte[640], 0, [64, 1], [10, 64]));
        Assert.Throws<ArgumentOutOfRangeException>(() => StridedCopy.Copy<byte>(source, 0, [-64, 1], new byte[640], 0, [64, 1], [2, 64]));
    }
}
