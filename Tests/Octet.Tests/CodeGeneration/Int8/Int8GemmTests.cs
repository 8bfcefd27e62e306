using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The runtime's int8 matrix kernel (<see cref="Int8Gemm"/>) and row requantization (<see cref="RequantizeRow"/>):
/// every SIMD path against the scalar specification and against a plain sum of products computed here from the
/// unpacked weights, on data where a saturating instruction would go wrong (all −128, all 127, all 255, alternating
/// extremes) and on random data, with shapes that leave partial channel blocks, partial row blocks, depths that are
/// not multiples of 4 and more rows than the kernel's 64-row chunk. The SIMD paths are only compared when this CPU
/// has them (on others, and under DOTNET_EnableAVX2=0, the public entry points run the scalar path, which is checked
/// against the plain sum either way).
/// </summary>
public sealed class Int8GemmTests
{
    private static readonly (int Rows, int Depth, int Channels)[] Shapes =
    [
        (1, 1, 1), (5, 3, 7), (6, 16, 16), (13, 27, 64), (7, 61, 37), (70, 64, 33), (131, 144, 18), (12, 512, 40),
        // Single rows (M = 1) deep enough for the four-chain loop, with remainders, and a last block of 8 channels.
        (1, 1280, 40), (1, 37, 8), (7, 101, 24),
    ];

    /// <summary>Activation and weight fillers, adversarial ones first.</summary>
    private static IEnumerable<(string Name, Func<int, int, int> Activation, Func<int, int, int> Weight)> Fillers(Random random)
    {
        yield return ("all min", (_, _) => -128, (_, _) => -128);
        yield return ("all max", (_, _) => 127, (_, _) => 127);
        yield return ("max activations, min weights", (_, _) => 127, (_, _) => -128);
        yield return ("min activations, max weights", (_, _) => -128, (_, _) => 127);
        yield return ("alternating extremes", (r, k) => (r + k) % 2 == 0 ? -128 : 127, (j, k) => (j * 3 + k) % 2 == 0 ? -128 : 127);
        yield return ("random", (_, _) => random.Next(-128, 128), (_, _) => random.Next(-128, 128));
    }

    /// <summary>int8 activations as given; uint8 ones as value + 128, so 255 and 0 are the extremes.</summary>
    private static void CheckMultiply<T>(Random random) where T : unmanaged
    {
        bool signed = typeof(T) == typeof(sbyte);
        foreach (var (rows, depth, channels) in Shapes)
            foreach (var (name, activation, weight) in Fillers(random))
            {
                int stride = Int8Gemm.PaddedDepth(depth) + 4;
                var a = new T[rows * stride];
                for (int r = 0; r < rows; r++)
                    for (int k = 0; k < stride; k++)
                    {
                        // Values past the depth are garbage the kernel must ignore.
                        int v = k < depth ? activation(r, k) : random.Next(-128, 128);
                        a[r * stride + k] = signed ? (T)(object)(sbyte)v : (T)(object)(byte)(v + 128);
                    }
                var w = new sbyte[channels * depth];
                for (int j = 0; j < channels; j++)
                    for (int k = 0; k < depth; k++) w[j * depth + k] = (sbyte)weight(j, k);

                var expected = new int[rows * channels];
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < channels; j++)
                    {
                        long sum = 0;
                        for (int k = 0; k < depth; k++) sum += (long)Int8Dot.ToInt(a[r * stride + k]) * w[j * depth + k];
                        expected[r * channels + j] = unchecked((int)sum);
                    }

                // Pack two panels (the second starting mid-way) to exercise `first`.
                int split = channels / 2;
                foreach (var (first, count) in new[] { (0, channels), (split, channels - split) })
                {
                    if (count == 0) continue;
                    var panel = new byte[Int8Gemm.PanelBytes(count, depth)];
                    Int8Gemm.PackPanel(w, depth, first, count, signed, panel);
                    var want = new int[rows * count];
                    for (int r = 0; r < rows; r++) Array.Copy(expected, r * channels + first, want, r * count, count);

                    var scalar = new int[rows * count];
                    Int8Gemm.MultiplyScalar<T>(a, rows, stride, depth, panel, count, scalar, count);
                    Assert.True(want.SequenceEqual(scalar), $"scalar {typeof(T).Name} {name} {rows}x{depth}x{channels} from {first}");
                    var dispatched = new int[rows * count];
                    Int8Gemm.Multiply<T>(a, rows, stride, depth, panel, count, dispatched, count);
                    Assert.True(want.SequenceEqual(dispatched), $"dispatched {typeof(T).Name} {name} {rows}x{depth}x{channels} from {first}");
                    if (Avx2.IsSupported)
                    {
                        var widening = new int[rows * count];
                        Int8Gemm.MultiplyWidening<T>(a, rows, stride, depth, panel, count, widening, count);
                        Assert.True(want.SequenceEqual(widening), $"AVX2 widening {typeof(T).Name} {name} {rows}x{depth}x{channels} from {first}");
                    }
                    if (AvxVnni.IsSupported)
                    {
                        var vnni = new int[rows * count];
                        Int8Gemm.MultiplyVnni<T>(a, rows, stride, depth, panel, count, vnni, count);
                        Assert.True(want.SequenceEqual(vnni), $"AVX-VNNI {typeof(T).Name} {name} {rows}x{depth}x{channels} from {first}");
                    }
                }
            }
    }

    [Fact]
    public void Multiply_equals_the_plain_sum_of_products_on_every_path_for_int8_activations() => CheckMultiply<sbyte>(new Random(11));

    [Fact]
    public void Multiply_equals_the_plain_sum_of_products_on_every_path_for_uint8_activations() => CheckMultiply<byte>(new Random(12));

    [Fact]
    public void Multiply_refuses_rows_shorter_than_the_padded_depth()
    {
        var panel = new byte[Int8Gemm.PanelBytes(4, 6)];
        var ex = Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(new sbyte[2 * 6], 2, 6, 6, panel, 4, new int[8], 4));
        Assert.Contains("depth 6", ex.Message);
    }

    /// <summary>Accumulators at and near the int32 extremes, where 64-bit products and rounding carry.</summary>
    private static int[] Accumulators(Random random, int count)
    {
        int[] edges = [int.MinValue, int.MinValue + 1, -65536, -32769, -1, 0, 1, 32767, 65535, int.MaxValue - 1, int.MaxValue];
        return Enumerable.Range(0, count).Select(i => i < edges.Length * 2 ? edges[i % edges.Length] : random.Next(int.MinValue, int.MaxValue)).ToArray();
    }

    [Fact]
    public void Fixed_point_row_requantization_equals_the_scalar_specification_at_every_vectorizable_shift()
    {
        var random = new Random(21);
        foreach (bool unsigned in new[] { false, true })
            for (int shift = 30; shift >= -31; shift--)
                foreach (int multiplier in new[] { 0, 1 << 30, int.MaxValue, random.Next(1 << 30, int.MaxValue) })
                {
                    const int n = 29;
                    var products = Accumulators(random, n);
                    var bias = Enumerable.Range(0, n).Select(_ => random.Next(int.MinValue, int.MaxValue)).ToArray();
                    // Per channel: shifts around the one under test, all vectorizable.
                    var multipliers = Enumerable.Range(0, n).Select(j => j % 3 == 0 ? multiplier : random.Next(1 << 30, int.MaxValue)).ToArray();
                    var shifts = Enumerable.Range(0, n).Select(j => j % 2 == 0 ? shift : Math.Clamp(shift + random.Next(-3, 4), -31, 30)).ToArray();
                    Assert.All(shifts, s => Assert.True(RequantizeRow.VectorizableShift(s)));
                    int zeroPoint = unsigned ? random.Next(0, 256) : random.Next(-128, 128);
                    int min = unsigned ? random.Next(0, zeroPoint + 1) : random.Next(-128, zeroPoint + 1);
                    int max = unsigned ? random.Next(zeroPoint, 256) : random.Next(zeroPoint, 128);
                    foreach (var withBias in new[] { false, true })
                    {
                        var b = withBias ? bias : [];
                        var expected = Enumerable.Range(0, n).Select(j => Requantization.FixedPoint(unchecked(products[j] + (withBias ? bias[j] : 0)), multipliers[j], shifts[j], zeroPoint, min, max)).ToArray();
                        var perTensor = Enumerable.Range(0, n).Select(j => Requantization.FixedPoint(unchecked(products[j] + (withBias ? bias[j] : 0)), multiplier, shift, zeroPoint, min, max)).ToArray();
                        Assert.Equal(expected, RunFixedPoint(products, b, multipliers, shifts, zeroPoint, min, max, unsigned));
                        Assert.Equal(perTensor, RunFixedPoint(products, b, [multiplier], [shift], zeroPoint, min, max, unsigned));
                    }
                }
    }

    private static int[] RunFixedPoint(int[] products, int[] bias, int[] multipliers, int[] shifts, int zeroPoint, int min, int max, bool unsigned)
    {
        if (unsigned)
        {
            var output = new byte[products.Length];
            RequantizeRow.FixedPoint(products, bias, multipliers, shifts, zeroPoint, min, max, output);
            if (Avx2.IsSupported)
            {
                var vector = new byte[products.Length];
                int tail = RequantizeRow.FixedPointAvx2<byte>(products, bias, multipliers, shifts, zeroPoint, min, max, vector);
                Assert.Equal(output.AsSpan(0, tail).ToArray(), vector.AsSpan(0, tail).ToArray());
            }
            return output.Select(v => (int)v).ToArray();
        }
        var signed = new sbyte[products.Length];
        RequantizeRow.FixedPoint(products, bias, multipliers, shifts, zeroPoint, min, max, signed);
        if (Avx2.IsSupported)
        {
            var vector = new sbyte[products.Length];
            int tail = RequantizeRow.FixedPointAvx2<sbyte>(products, bias, multipliers, shifts, zeroPoint, min, max, vector);
            Assert.Equal(signed.AsSpan(0, tail).ToArray(), vector.AsSpan(0, tail).ToArray());
        }
        return signed.Select(v => (int)v).ToArray();
    }

    [Fact]
    public void Fixed_point_row_requantization_with_unvectorizable_shifts_falls_back_to_the_specification()
    {
        var random = new Random(22);
        var products = Accumulators(random, 24);
        foreach (int shift in new[] { 31, -32, -40, int.MinValue / 2 })
        {
            var output = new sbyte[products.Length];
            RequantizeRow.FixedPoint(products, default, [1 << 30], [shift], 3, -128, 127, output);
            Assert.Equal(products.Select(p => Requantization.FixedPoint(p, 1 << 30, shift, 3, -128, 127)).ToArray(), output.Select(v => (int)v).ToArray());
        }
    }

    [Fact]
    public void Float_row_requantization_equals_the_scalar_specification_including_ties()
    {
        var random = new Random(23);
        for (int trial = 0; trial < 200; trial++)
        {
            const int n = 37;
            var products = Accumulators(random, n);
            if (trial % 4 == 0)
                for (int j = 0; j < n; j++) products[j] = random.Next(-600, 600); // with scale 0.5 or 0.25: exact halves, ties to even
            var scales = Enumerable.Range(0, n).Select(_ => trial % 4 == 0 ? (random.Next(2) == 0 ? 0.5f : 0.25f) : (float)Math.Pow(2, -random.Next(1, 30)) * (float)(1 + random.NextDouble())).ToArray();
            var bias = trial % 2 == 0 ? [] : Enumerable.Range(0, n).Select(_ => random.Next(-100000, 100000)).ToArray();
            bool unsigned = trial % 3 == 0;
            int zeroPoint = unsigned ? random.Next(0, 256) : random.Next(-128, 128);
            int min = unsigned ? 0 : -128, max = unsigned ? 255 : 127;
            var expected = Enumerable.Range(0, n).Select(j => Requantization.Float(unchecked(products[j] + (bias.Length == 0 ? 0 : bias[j])), scales[j], zeroPoint, min, max)).ToArray();
            int[] actual;
            if (unsigned)
            {
                var output = new byte[n];
                RequantizeRow.Float(products, bias, scales, zeroPoint, min, max, output);
                actual = output.Select(v => (int)v).ToArray();
            }
            else
            {
                var output = new sbyte[n];
                RequantizeRow.Float(products, bias, scales, zeroPoint, min, max, output);
                actual = output.Select(v => (int)v).ToArray();
            }
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Table_lookup_SIMD_path_equals_the_scalar_specification_for_every_value_and_in_place()
    {
        var random = new Random(31);
        var table = Enumerable.Range(0, 256).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        // Every 8-bit value, in order and shuffled, with a length that leaves a scalar tail after the 64-value blocks.
        var values = Enumerable.Range(0, 256).Concat(Enumerable.Range(0, 300).Select(_ => random.Next(256))).ToArray();
        var signedX = values.Select(v => (sbyte)(v - 128)).ToArray();
        var unsignedX = values.Select(v => (byte)v).ToArray();
        var expected = values.Select(v => table[v]).ToArray();

        var fromSigned = new sbyte[values.Length];
        TableLookup.Apply(signedX, table, fromSigned);
        Assert.Equal(expected, fromSigned);
        var fromUnsigned = new sbyte[values.Length];
        TableLookup.Apply(unsignedX, table, fromUnsigned);
        Assert.Equal(expected, fromUnsigned);
        var scalar = new sbyte[values.Length];
        TableLookup.ApplyScalar<sbyte, sbyte>(signedX, table, scalar, 0);
        Assert.Equal(expected, scalar);
        if (Avx512Vbmi.IsSupported)
        {
            var vector = new sbyte[values.Length];
            int tail = TableLookup.ApplyAvx512<sbyte, sbyte>(signedX, table, vector);
            Assert.Equal(expected.AsSpan(0, tail).ToArray(), vector.AsSpan(0, tail).ToArray());
        }
        var inPlace = (sbyte[])signedX.Clone();
        TableLookup.Apply(inPlace, table, inPlace);
        Assert.Equal(expected, inPlace);
    }
}
