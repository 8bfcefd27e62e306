using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// The AVX2 int8 GEMM for CPUs without AVX-VNNI (<c>Int8Gemm.MultiplyWidening</c>, which picks one of two loops,
/// <c>MultiplyWideningRows</c> and <c>MultiplyWideningSlices</c>) against the scalar specification
/// <c>Int8Gemm.MultiplyScalar</c>, bit for bit. Each loop is called directly, whatever shape the dispatcher would give
/// it, so both are checked on every shape: every row tail of the 6-row blocks (rows 1–13), every channel tail of the
/// 8-channel blocks (1–33), every depth tail (1–70), depths across the 256-value slices and rows across the 60-row
/// chunks of the sliced loop, padded strides, and operands at the extremes where a saturating instruction
/// (<c>vpmaddubsw</c>) would go wrong. The scalar path is also checked against a plain sum computed here from the
/// unpacked weights, so the comparison cannot pass by both sides reading the panel the same wrong way. On a CPU without
/// AVX2 only that last check runs. The generated models on this path end to end: <c>AvxVnniOffDeterminismTests</c>.
/// </summary>
public sealed class Int8GemmWideningTests
{
    private delegate void Kernel<T>(ReadOnlySpan<T> a, int rows, int rowStride, int depth, ReadOnlySpan<byte> panel,
        int count, Span<int> result, int resultStride) where T : unmanaged;

    private static IEnumerable<(string Name, Kernel<T> Run)> WideningPaths<T>() where T : unmanaged
    {
        if (!Avx2.IsSupported) yield break;
        yield return ("dispatched", Int8Gemm.MultiplyWidening<T>);
        yield return ("rows loop", Int8Gemm.MultiplyWideningRows<T>);
        yield return ("sliced loop", Int8Gemm.MultiplyWideningSlices<T>);
    }

    /// <summary>How activations and weights are filled: random, or one of the extremes (as activation, weight values in [−128, 127]).</summary>
    private enum Fill { Random, MaxTimesMin, MinTimesMin, MaxTimesMax, Alternating }

    private static int Activation(Fill fill, Random random, int r, int k) => fill switch
    {
        Fill.Random => random.Next(-128, 128),
        Fill.MaxTimesMin or Fill.MaxTimesMax => 127,
        Fill.MinTimesMin => -128,
        _ => (r + k) % 2 == 0 ? -128 : 127,
    };

    private static int Weight(Fill fill, Random random, int j, int k) => fill switch
    {
        Fill.Random => random.Next(-128, 128),
        Fill.MaxTimesMin or Fill.MinTimesMin => -128,
        Fill.MaxTimesMax => 127,
        _ => (j + k) % 3 == 0 ? 127 : -128,
    };

    /// <summary>
    /// Builds one case and checks every path. Activations are int8 as given or, for uint8, value + 128 (so 0 and 255 are
    /// the extremes); values past the depth in each row are random garbage the kernels must ignore. The result buffer is
    /// poisoned, and the entries past <paramref name="count"/> in each result row must stay poisoned.
    /// </summary>
    private static void Check<T>(Random random, int rows, int depth, int count, Fill fill, int rowPadding, int resultPadding) where T : unmanaged
    {
        bool signed = typeof(T) == typeof(sbyte);
        int rowStride = Int8Gemm.PaddedDepth(depth) + rowPadding;
        var a = new T[(rows - 1) * rowStride + Int8Gemm.PaddedDepth(depth)];
        for (int i = 0; i < a.Length; i++)
        {
            int r = i / rowStride, k = i % rowStride;
            int v = k < depth ? Activation(fill, random, r, k) : random.Next(-128, 128);
            a[i] = signed ? (T)(object)(sbyte)v : (T)(object)(byte)(v + 128);
        }
        var w = new sbyte[count * depth];
        for (int j = 0; j < count; j++)
            for (int k = 0; k < depth; k++) w[j * depth + k] = (sbyte)Weight(fill, random, j, k);
        var panel = new byte[Int8Gemm.PanelBytes(count, depth)];
        Int8Gemm.PackPanel(w, depth, 0, count, signed, panel);

        int resultStride = count + resultPadding;
        const int Poison = unchecked((int)0xDEADBEEF);
        var scalar = new int[rows * resultStride];
        Array.Fill(scalar, Poison);
        Int8Gemm.MultiplyScalar<T>(a, rows, rowStride, depth, panel, count, scalar, resultStride);
        string shape = $"{typeof(T).Name} {fill} {rows} rows × depth {depth} × {count} channels (row stride {rowStride}, result stride {resultStride})";

        foreach (var (name, run) in WideningPaths<T>())
        {
            var actual = new int[rows * resultStride];
            Array.Fill(actual, Poison);
            run(a, rows, rowStride, depth, panel, count, actual, resultStride);
            if (!actual.AsSpan().SequenceEqual(scalar))
            {
                int i = 0;
                while (actual[i] == scalar[i]) i++;
                Assert.Fail($"{name}: {shape}: result[{i / resultStride}, {i % resultStride}] = {actual[i]}, the scalar path gives {scalar[i]}");
            }
        }
    }

    /// <summary>The scalar path against a plain 64-bit sum of products (wrapped to int32) of the unpacked weights.</summary>
    private static void CheckScalarAgainstPlainSum<T>(Random random, int rows, int depth, int count) where T : unmanaged
    {
        bool signed = typeof(T) == typeof(sbyte);
        int stride = Int8Gemm.PaddedDepth(depth);
        var a = new T[rows * stride];
        for (int i = 0; i < a.Length; i++) a[i] = signed ? (T)(object)(sbyte)random.Next(-128, 128) : (T)(object)(byte)random.Next(0, 256);
        var w = new sbyte[count * depth];
        for (int i = 0; i < w.Length; i++) w[i] = (sbyte)random.Next(-128, 128);
        var panel = new byte[Int8Gemm.PanelBytes(count, depth)];
        Int8Gemm.PackPanel(w, depth, 0, count, signed, panel);
        var scalar = new int[rows * count];
        Int8Gemm.MultiplyScalar<T>(a, rows, stride, depth, panel, count, scalar, count);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < count; j++)
            {
                long sum = 0;
                for (int k = 0; k < depth; k++) sum += (long)Int8Dot.ToInt(a[r * stride + k]) * w[j * depth + k];
                Assert.True(unchecked((int)sum) == scalar[r * count + j], $"scalar {typeof(T).Name} [{r}, {j}] of {rows}×{depth}×{count}");
            }
    }

    /// <summary>Rows 1–13 × channels 1–33 × depth 1–70, each case with one fill (cycling through the extremes and random).</summary>
    private static void EveryTail<T>(int seed) where T : unmanaged
    {
        var random = new Random(seed);
        var fills = Enum.GetValues<Fill>();
        int index = 0;
        for (int rows = 1; rows <= 13; rows++)
            for (int count = 1; count <= 33; count++)
                for (int depth = 1; depth <= 70; depth++)
                {
                    // Padding only on some cases, so that both exact and padded strides are covered at every size.
                    int padding = index % 5 == 0 ? 4 : 0;
                    Check<T>(random, rows, depth, count, fills[index++ % fills.Length], rowPadding: padding, resultPadding: padding == 0 ? 0 : 3);
                }
        CheckScalarAgainstPlainSum<T>(random, 13, 70, 33);
        CheckScalarAgainstPlainSum<T>(random, 7, 13, 9);
    }

    [Fact]
    public void Widening_paths_equal_the_scalar_path_for_every_row_channel_and_depth_tail_with_int8_activations() => EveryTail<sbyte>(51);

    [Fact]
    public void Widening_paths_equal_the_scalar_path_for_every_row_channel_and_depth_tail_with_uint8_activations() => EveryTail<byte>(52);

    /// <summary>
    /// Depths around and across the sliced loop's 256-value slices (whose later slices add to the stored sums) and row
    /// counts across its 60-row chunks, with every fill: the worst case sums (depth 1100 × 127 · −128 and 255 · −128)
    /// are far from int32 overflow but each 16-bit pair product is at its largest.
    /// </summary>
    [Fact]
    public void Widening_paths_equal_the_scalar_path_across_depth_slices_and_row_chunks()
    {
        var random = new Random(53);
        var shapes = new (int Rows, int Depth, int Count)[]
        {
            (6, 252, 8), (7, 256, 17), (13, 257, 16), (61, 260, 24), (60, 512, 9), (125, 300, 33), (12, 1100, 40), (66, 769, 64),
        };
        foreach (var (rows, depth, count) in shapes)
            foreach (var fill in Enum.GetValues<Fill>())
            {
                Check<sbyte>(random, rows, depth, count, fill, rowPadding: 8, resultPadding: 5);
                Check<byte>(random, rows, depth, count, fill, rowPadding: 0, resultPadding: 0);
            }
        CheckScalarAgainstPlainSum<sbyte>(random, 61, 1100, 17);
        CheckScalarAgainstPlainSum<byte>(random, 61, 1100, 17);
    }
}
