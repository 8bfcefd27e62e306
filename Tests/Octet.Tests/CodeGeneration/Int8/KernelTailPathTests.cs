using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.DataMovement;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The vector paths added for the imported int8 models' per-pixel costs, each against its scalar specification bit for
/// bit: row requantization with AVX-512 groups, multipliers that vanish (right shifts of 63 or more) and overlapping last
/// groups; depthwise accumulation's masked last group; max pooling's overlapping last vector; and strided copies that
/// are matrix transposes of bytes (NHWC ↔ rowmajor relayouts) or have their contiguous dimension listed first.
/// </summary>
public sealed class KernelTailPathTests
{
    private static int[] Accumulators(Random random, int count)
    {
        int[] edges = [int.MinValue, int.MinValue + 1, -65536, -1, 0, 1, 65535, int.MaxValue - 1, int.MaxValue];
        return Enumerable.Range(0, count).Select(i => i < edges.Length ? edges[i] : random.Next(int.MinValue, int.MaxValue)).ToArray();
    }

    [Fact]
    public void Row_requantization_with_vanishing_and_left_shifts_equals_the_specification_at_every_length()
    {
        var random = new Random(31);
        for (int n = 1; n <= 70; n++)
            for (int trial = 0; trial < 6; trial++)
            {
                var products = Accumulators(random, n);
                var bias = trial % 2 == 0 ? [] : Enumerable.Range(0, n).Select(_ => random.Next(-1 << 20, 1 << 20)).ToArray();
                var multipliers = Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? 0 : random.Next(1 << 30, int.MaxValue)).ToArray();
                // Mostly ordinary right shifts, some that vanish (shufflenet's dead channels: shift −33 to −60), and in
                // the last trials a left shift, which sends its whole group to the scalar path.
                var shifts = Enumerable.Range(0, n).Select(_ => random.Next(5) switch
                {
                    0 => random.Next(-60, -31),
                    1 => -31,
                    2 => 30,
                    _ => random.Next(-20, 0),
                }).ToArray();
                if (trial >= 4) shifts[random.Next(n)] = 31 + random.Next(3);
                bool unsigned = trial % 3 == 0;
                int zeroPoint = unsigned ? random.Next(0, 256) : random.Next(-128, 128);
                int min = unsigned ? random.Next(0, zeroPoint + 1) : random.Next(-128, zeroPoint + 1);
                int max = unsigned ? random.Next(zeroPoint, 256) : random.Next(zeroPoint, 128);
                var expected = Enumerable.Range(0, n)
                    .Select(j => Requantization.FixedPoint(unchecked(products[j] + (bias.Length == 0 ? 0 : bias[j])), multipliers[j], shifts[j], zeroPoint, min, max))
                    .ToArray();
                Assert.Equal(expected, Requantize(products, bias, multipliers, shifts, zeroPoint, min, max, unsigned, path: 0));
                if (Avx2.IsSupported && n >= 8)
                    Assert.Equal(expected, Requantize(products, bias, multipliers, shifts, zeroPoint, min, max, unsigned, path: 2));
                if (Avx512F.IsSupported && Avx512BW.IsSupported && n >= 16)
                    Assert.Equal(expected, Requantize(products, bias, multipliers, shifts, zeroPoint, min, max, unsigned, path: 5));
            }
    }

    /// <summary>Path 0: the public dispatch; 2: AVX2 groups then the overlapping last group; 5: the same with AVX-512 groups.</summary>
    private static int[] Requantize(int[] products, int[] bias, int[] multipliers, int[] shifts, int zeroPoint, int min, int max, bool unsigned, int path)
    {
        int n = products.Length;
        if (unsigned)
        {
            var output = new byte[n];
            Run(output);
            return output.Select(v => (int)v).ToArray();
        }
        var signed = new sbyte[n];
        Run(signed);
        return signed.Select(v => (int)v).ToArray();

        void Run<T>(T[] output) where T : unmanaged
        {
            if (path == 0)
            {
                if (output is byte[] u) RequantizeRow.FixedPoint(products, bias, multipliers, shifts, zeroPoint, min, max, u);
                else RequantizeRow.FixedPoint(products, bias, multipliers, shifts, zeroPoint, min, max, (sbyte[])(object)output);
            }
            else if (path == 2)
            {
                RequantizeRow.FixedPointAvx2<T>(products, bias, multipliers, shifts, zeroPoint, min, max, output);
                RequantizeRow.FixedPointGroupAvx2<T>(products, bias, multipliers, shifts, zeroPoint, min, max, output, n - 8);
            }
            else
            {
                RequantizeRow.FixedPointAvx512<T>(products, bias, multipliers, shifts, zeroPoint, min, max, output);
                RequantizeRow.FixedPointGroupAvx512<T>(products, bias, multipliers, shifts, zeroPoint, min, max, output, n - 16);
            }
        }
    }

    [Fact]
    public void Depthwise_masked_last_group_adds_only_the_channels_not_yet_done()
    {
        if (!Avx2.IsSupported) return;
        var random = new Random(32);
        for (int channels = 8; channels <= 40; channels++)
            foreach (int taps in new[] { 1, 4, 9, 25 })
            {
                // Packed as the generated code packs them (the phantom partner of an odd last tap gets zero weights).
                var weights = Enumerable.Range(0, channels * taps).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
                var packed = new short[DepthwiseConv.PackedLength(channels, taps)];
                DepthwiseConv.PackWeights(weights, channels, taps, [random.Next(-128, 128)], packed);
                var x = Enumerable.Range(0, (taps + 2) * channels).Select(_ => (byte)random.Next(256)).ToArray();
                var offsets = Enumerable.Range(0, taps).Select(t => random.Next(4) == 0 ? -1 : random.Next(0, x.Length - channels + 1)).ToArray();
                int xZeroPoint = random.Next(256);
                var start = Enumerable.Range(0, channels).Select(_ => random.Next(int.MinValue, int.MaxValue)).ToArray();
                var expected = (int[])start.Clone();
                DepthwiseConv.AccumulateScalar<byte>(x, offsets, xZeroPoint, packed, expected, 0);

                var actual = (int[])start.Clone();
                int done = DepthwiseConv.AccumulateAvx2<byte>(x, offsets, xZeroPoint, packed, actual);
                if (done < channels) DepthwiseConv.AccumulateTailAvx2<byte>(x, offsets, xZeroPoint, packed, actual, done);
                Assert.Equal(expected, actual);

                var dispatched = (int[])start.Clone();
                DepthwiseConv.Accumulate<byte>(x, offsets, xZeroPoint, packed, dispatched);
                Assert.Equal(expected, dispatched);
            }
    }

    [Fact]
    public void Max_pooling_overlapping_last_vector_keeps_the_strictly_greater_rule()
    {
        var random = new Random(33);
        for (int length = 1; length <= 40; length++)
        {
            Check(Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-128, 128)).ToArray(), Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-128, 128)).ToArray());
            Check(Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)).ToArray(), Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)).ToArray());
            float[] special = [float.NaN, -0f, 0f, float.NegativeInfinity, 1f, -1f];
            Check(Enumerable.Range(0, length).Select(_ => special[random.Next(special.Length)]).ToArray(), Enumerable.Range(0, length).Select(_ => special[random.Next(special.Length)]).ToArray());
        }

        static void Check<T>(T[] tap, T[] best) where T : unmanaged, System.Numerics.INumber<T>
        {
            var expected = (T[])best.Clone();
            for (int c = 0; c < expected.Length; c++) if (tap[c] > expected[c]) expected[c] = tap[c];
            var actual = (T[])best.Clone();
            MaxPool.TakeGreater<T>(tap, actual);
            // Bitwise, so that NaN and the sign of zero count.
            Assert.Equal(Bits(expected), Bits(actual));
        }

        static byte[] Bits<T>(T[] values) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    public static TheoryData<int, int, int, int> TransposeShapes => new()
    {
        { 116, 784, 0, 0 }, { 58, 784, 3, 5 }, { 16, 16, 0, 0 }, { 17, 33, 1, 0 }, { 3, 50176, 0, 0 }, { 40, 15, 0, 2 }, { 1024, 49, 7, 7 },
        // Three planes (an RGB input) interleaved 16 columns at a time, with tails and padded source rows.
        { 3, 16, 0, 0 }, { 3, 47, 5, 0 }, { 3, 15, 0, 0 }, { 3, 100, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(TransposeShapes))]
    public void Byte_transposes_write_what_the_element_loop_writes(int channels, int pixels, int sourcePad, int destinationPad)
    {
        var random = new Random(channels * 1000 + pixels);
        // NHWC → rowmajor (shape [C, HW], source strides [1, C + pad], destination strides [HW + pad, 1]) and back.
        foreach (bool toRowMajor in new[] { true, false })
        {
            int[] shape = [channels, pixels];
            int[] from = toRowMajor ? [1, channels + sourcePad] : [pixels + sourcePad, 1];
            int[] to = toRowMajor ? [pixels + destinationPad, 1] : [1, channels + destinationPad];
            var source = new byte[3 + (long)channels * pixels + Math.Max(sourcePad * pixels, sourcePad * channels) + 5];
            random.NextBytes(source);
            int destinationLength = 2 + channels * pixels + Math.Max(destinationPad * pixels, destinationPad * channels) + 4;
            var expected = new byte[destinationLength];
            var actual = new byte[destinationLength];
            random.NextBytes(expected);
            expected.CopyTo(actual, 0);
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    expected[2 + c * to[0] + p * to[1]] = source[3 + c * from[0] + p * from[1]];
            StridedCopy.Copy<byte>(source, 3, from, actual, 2, to, shape);
            Assert.Equal(expected, actual);
            // The same bytes as sbyte (the signed models' type takes the same path).
            var signed = new sbyte[destinationLength];
            var before = new sbyte[destinationLength];
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    before[2 + c * to[0] + p * to[1]] = unchecked((sbyte)source[3 + c * from[0] + p * from[1]]);
            StridedCopy.Copy<sbyte>((sbyte[])(Array)source, 3, from, signed, 2, to, shape);
            Assert.Equal(before, signed);
        }
    }

    [Fact]
    public void A_copy_whose_contiguous_dimension_comes_first_equals_the_element_loop()
    {
        // An NHWC Concat input's box as the generator writes it: [C, HW] with strides [1, C] and [1, C_out].
        var random = new Random(34);
        foreach (var (channels, pixels, outChannels, at) in new[] { (58, 784, 116, 58), (3, 10, 8, 5), (24, 49, 24, 0) })
        {
            var source = new byte[channels * pixels];
            random.NextBytes(source);
            var expected = new byte[outChannels * pixels];
            random.NextBytes(expected);
            var actual = (byte[])expected.Clone();
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    expected[at + c + p * outChannels] = source[c + p * channels];
            StridedCopy.Copy<byte>(source, 0, [1, channels], actual, at, [1, outChannels], [channels, pixels]);
            Assert.Equal(expected, actual);
        }
        // Rank 3 with the contiguous dimension in the middle, float elements.
        var floats = Enumerable.Range(0, 2 * 5 * 7).Select(i => (float)i).ToArray();
        var result = new float[2 * 7 * 5 + 3];
        var want = new float[result.Length];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 5; b++)
                for (int c = 0; c < 7; c++)
                    want[3 + a * 35 + b + c * 5] = floats[a * 35 + b + c * 5];
        StridedCopy.Copy<float>(floats, 0, [35, 1, 5], result, 3, [35, 1, 5], [2, 5, 7]);
        Assert.Equal(want, result);
    }
}
