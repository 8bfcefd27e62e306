using Octet.Runtime.DataMovement;
using Xunit;

namespace Octet.Tests.CodeGeneration.Runtime;

/// <summary>
/// The float32 relayout of three planes into interleaved triples (an RGB image's NCHW → NHWC, which
/// <see cref="StridedCopy"/> hands to <see cref="PlaneInterleave"/>): the vector path and the scalar loop against the
/// definition <c>destination[3j + i] = source[i · planeStride + j]</c>, bit for bit (random 32-bit patterns, NaNs
/// among them, must arrive unchanged), for pixel counts below, at and across the 16-pixel vector group, with a plane
/// stride larger than the plane and offsets on both sides; nothing outside the box may be written.
/// </summary>
public sealed class RelayoutPlaneInterleaveTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(15, 15)]
    [InlineData(16, 16)]
    [InlineData(17, 20)]
    [InlineData(47, 47)]
    [InlineData(50176, 50176)]
    public void Strided_copy_of_three_planes_writes_the_interleaved_triples(int pixels, int planeStride)
    {
        var random = new Random(pixels);
        const int sourceOffset = 3, destinationOffset = 5;
        var source = new float[sourceOffset + 2 * planeStride + pixels + 2];
        var bits = new byte[4];
        for (int i = 0; i < source.Length; i++)
        {
            random.NextBytes(bits);
            source[i] = BitConverter.ToSingle(bits);
        }
        var expected = Enumerable.Repeat(-7f, destinationOffset + 3 * pixels + 4).ToArray();
        for (int j = 0; j < pixels; j++)
            for (int i = 0; i < 3; i++)
                expected[destinationOffset + 3 * j + i] = source[sourceOffset + i * planeStride + j];

        var copied = Enumerable.Repeat(-7f, expected.Length).ToArray();
        StridedCopy.Copy<float>(source, sourceOffset, [planeStride, 1], copied, destinationOffset, [1, 3], [3, pixels]);
        Assert.Equal(Bits(expected), Bits(copied));

        foreach (bool vectors in new[] { true, false })
        {
            var destination = Enumerable.Repeat(-7f, expected.Length).ToArray();
            var from = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(source.AsSpan(sourceOffset));
            var to = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(destination.AsSpan(destinationOffset));
            PlaneInterleave.Interleave(ref from[0], planeStride, ref to[0], pixels, vectors);
            Assert.True(Bits(expected).SequenceEqual(Bits(destination)), $"vector path {vectors}: differs from the definition");
        }
    }

    [Fact]
    public void Other_boxes_are_left_to_the_element_loop_and_a_box_past_the_span_is_refused()
    {
        var source = new uint[60];
        var destination = new uint[60];
        // Four planes, or a destination stride other than three: not this kernel's box.
        Assert.False(PlaneInterleave.TryCopy(source, 0, [15, 1], destination, 0, [1, 4], [4, 15]));
        Assert.False(PlaneInterleave.TryCopy(source, 0, [20, 1], destination, 0, [1, 4], [3, 15]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlaneInterleave.TryCopy(source, 0, [21, 1], destination, 0, [1, 3], [3, 21]));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
