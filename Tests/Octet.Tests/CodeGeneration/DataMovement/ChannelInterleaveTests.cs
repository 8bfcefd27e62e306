using Octet.Runtime.DataMovement;
using Xunit;

namespace Octet.Tests.CodeGeneration.DataMovement;

/// <summary>
/// The runtime's <see cref="ChannelInterleave"/>: its vector path for bytes writes exactly what the element loop (the
/// specification) writes, for run lengths around the vector width (the overlapping last vector), offsets inside the
/// pixel, and different pixel strides on each side; elements the call must not touch keep their values; likewise
/// the 32-bit path (float plans). The specification itself is checked against the definition written out per element.
/// </summary>
public sealed class ChannelInterleaveTests
{
    public static IEnumerable<object[]> Shapes() =>
        from count in new[] { 1, 7, 15, 16, 17, 29, 31, 32, 33, 58, 116 }
        from layout in new[] { 0, 1 }
        select new object[] { count, layout };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Byte_kernel_equals_the_element_loop(int count, int layout)
    {
        // layout 0: both runs in one tensor of 2·count channels (a shuffle without Concat); 1: two tensors with room around the runs.
        int pixels = 13;
        int firstStride = layout == 0 ? 2 * count : count + 5, secondStride = layout == 0 ? 2 * count : count + 3;
        int firstOffset = layout == 0 ? 0 : 2, secondOffset = layout == 0 ? count : 1;
        int destinationStride = 2 * count + (layout == 0 ? 0 : 4), destinationOffset = layout == 0 ? 0 : 3;
        var random = new Random(count * 31 + layout);
        var first = new byte[firstOffset + (pixels - 1) * firstStride + count + 2];
        var second = new byte[secondOffset + (pixels - 1) * secondStride + count + 1];
        random.NextBytes(first);
        random.NextBytes(second);
        var expected = new byte[destinationOffset + (pixels - 1) * destinationStride + 2 * count + 3];
        random.NextBytes(expected);
        var actual = expected.ToArray();
        var untouched = expected.ToArray();

        ChannelInterleave.InterleaveScalar<byte>(first, firstOffset, firstStride, second, secondOffset, secondStride, expected, destinationOffset, destinationStride, count, pixels);
        ChannelInterleave.Interleave<byte>(first, firstOffset, firstStride, second, secondOffset, secondStride, actual, destinationOffset, destinationStride, count, pixels);
        Assert.Equal(expected, actual);

        // The specification, element by element; everything else of the destination is as it was.
        for (int i = 0; i < untouched.Length; i++)
        {
            int p = (i - destinationOffset) / destinationStride, within = (i - destinationOffset) % destinationStride;
            bool written = i >= destinationOffset && p < pixels && within < 2 * count;
            byte want = !written ? untouched[i]
                : within % 2 == 0 ? first[firstOffset + p * firstStride + within / 2]
                : second[secondOffset + p * secondStride + within / 2];
            Assert.Equal(want, expected[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(29)]
    public void Float_kernel_equals_the_element_loop_bit_for_bit(int count)
    {
        int pixels = 7, firstStride = count + 2, secondStride = 2 * count, destinationStride = 2 * count + 1;
        var random = new Random(count);
        // Raw bit patterns, NaNs included: an interleave moves values and must keep every bit.
        float[] Floats(int length) => Enumerable.Range(0, length).Select(_ => BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue))).ToArray();
        var first = Floats(pixels * firstStride);
        var second = Floats(pixels * secondStride);
        var expected = Floats(pixels * destinationStride + 2);
        var actual = expected.ToArray();
        ChannelInterleave.InterleaveScalar<float>(first, 1, firstStride, second, count, secondStride, expected, 2, destinationStride, count, pixels);
        ChannelInterleave.Interleave<float>(first, 1, firstStride, second, count, secondStride, actual, 2, destinationStride, count, pixels);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Float_interleave_means_what_it_says()
    {
        int count = 20, pixels = 3;
        var first = Enumerable.Range(0, count * pixels).Select(i => i + 0.5f).ToArray();
        var second = Enumerable.Range(0, count * pixels).Select(i => -i - 0.25f).ToArray();
        var destination = new float[2 * count * pixels];
        ChannelInterleave.Interleave<float>(first, 0, count, second, 0, count, destination, 0, 2 * count, count, pixels);
        for (int p = 0; p < pixels; p++)
            for (int k = 0; k < count; k++)
            {
                Assert.Equal(first[p * count + k], destination[p * 2 * count + 2 * k]);
                Assert.Equal(second[p * count + k], destination[p * 2 * count + 2 * k + 1]);
            }
    }

    [Fact]
    public void Runs_reaching_past_a_span_are_refused()
    {
        var source = new byte[40];
        var destination = new byte[80];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ChannelInterleave.Interleave<byte>(source, 0, 20, source, 4, 20, destination, 0, 40, 20, 2));
        Assert.Contains("second", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ChannelInterleave.Interleave<byte>(source, 0, 20, source, 0, 20, destination, 1, 40, 20, 2));
    }
}
