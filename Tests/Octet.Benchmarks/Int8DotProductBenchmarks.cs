using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using K = Octet.Benchmarks.Int8DotProductKernels;

namespace Octet.Benchmarks;

/// <summary>
/// The question of issue 5: int8 dot products through <c>vpmaddubsw</c> saturate on full-range weights, so either the
/// weights are 7-bit (the quantizer's reduce_range) or the operands are widened to 16 bits — which is faster? Times,
/// on the same GEMM job (uint8 activation rows × int8 weight rows → exact int32, channels in panels of 16):
/// <list type="bullet">
/// <item>7-bit weights through <c>vpmaddubsw</c> + <c>vpmaddwd</c>(ones), 256 and 512 bits (<see cref="Int8DotProductKernels"/>);</item>
/// <item>exact widening to int16 + <c>vpmaddwd</c>, 256 and 512 bits, pre-widened panels and 6/12-row blocking as above,
/// and the runtime's shipped AVX2 fallback <c>Int8Gemm.MultiplyWidening</c> (the baseline: 6 rows × 8 channels from the
/// VNNI panel, widening in registers or, for wider panels and int8 rows, into stack buffers first);</item>
/// <item>AVX-VNNI <c>vpdpbusd</c>: the runtime's <see cref="Int8Gemm.Multiply(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, Span{int}, int)"/>
/// (its own panel from <see cref="Int8Gemm.PackPanel"/>), and the same step in this file's loop (a check that the
/// loop structure shared by the other variants is not what makes them slower or faster).</item>
/// </list>
/// Shapes (rows × K × N) are squeezenet1.0's: conv10 (1×1, 13×13 pixels, 512 → 1000, its largest convolution),
/// fire2 expand3x3 (55×55, 3×3×16 → 64) and fire2 expand1x1 (55×55, 16 → 64, small K). Every variant's
/// [GlobalSetup] checks its whole result against the plain scalar sum and throws on any difference, so a wrong kernel
/// is never timed. Weights are fixed-seed random, 7-bit ([−64, 63]) for the 7-bit variants and full int8 for the rest,
/// with one all-255 activation row and all-minimum / all-maximum weight rows so the worst-case sums are checked.
/// The GMAC/s columns are rows·K·N multiply-accumulates over the median and mean times.
/// To approximate an AVX2-only CPU (16 vector registers, VEX encoding) set DOTNET_EnableAVX512=0 (.NET 10 ignores the
/// older DOTNET_EnableAVX512F), and DOTNET_EnableAVXVNNI=0 for one without AVX-VNNI (Skylake, Zen 2/3), which is where
/// the runtime runs <c>MultiplyWidening</c>: the 512-bit and VNNI variants then stop with PlatformNotSupportedException,
/// <see cref="Vnni256_Runtime"/> times the widening kernel too, and the others run. Results and the commands that
/// produced them: docs/performance.md.
/// </summary>
[Config(typeof(MacColumnsConfig))]
[WarmupCount(3)]
[IterationCount(12)]
[IterationTime(150)]
public class Int8DotProductBenchmarks
{
    private byte[] a = [];
    private int[] result = [];
    private byte[] runtimePanel = [], quads16 = [];
    private short[] pairs16 = [], wide = [];
    private K.WideningKernel shippedWidening = null!;
    private int rows, depth, channels, stride;

    /// <summary>rows×K×N: conv10, fire2 expand3x3, fire2 expand1x1.</summary>
    [Params("169x512x1000", "3025x144x64", "3025x16x64")]
    public string Shape { get; set; } = "169x512x1000";

    // ---------- setups: data for the variant, then its check against the scalar sum ----------

    [GlobalSetup(Target = nameof(Widening256_Shipped))]
    public void SetupShipped()
    {
        var w = CreateData(sevenBit: false);
        runtimePanel = RuntimePanel(w);
        shippedWidening = K.ShippedWidening();
        Check(nameof(Widening256_Shipped), w, Widening256_Shipped);
    }

    [GlobalSetup(Targets = [nameof(Widening256), nameof(Widening512)])]
    public void SetupWidening()
    {
        var w = CreateData(sevenBit: false);
        pairs16 = K.PackPairs16(w, depth, channels);
        wide = K.CreateWideScratch(depth);
        Check(nameof(Widening256), w, Widening256);
        if (Avx512BW.IsSupported) Check(nameof(Widening512), w, Widening512);
    }

    [GlobalSetup(Targets = [nameof(SevenBit256), nameof(SevenBit512)])]
    public void SetupSevenBit()
    {
        // First the reason 7-bit weights are needed: full-range weights (an all −128 row against an all-255 row)
        // must come out wrong, or this check could not tell a saturating kernel from an exact one.
        var full = CreateData(sevenBit: false);
        runtimePanel = RuntimePanel(full);
        SevenBit256();
        var exact = new int[result.Length];
        K.MultiplyScalar(a, rows, stride, full, depth, channels, exact);
        if (result.AsSpan().SequenceEqual(exact))
            throw new InvalidOperationException("vpmaddubsw did not saturate on full-range int8 weights: the saturation check is broken");

        var w = CreateData(sevenBit: true);
        runtimePanel = RuntimePanel(w);
        quads16 = K.PackQuads16(w, depth, channels);
        Check(nameof(SevenBit256), w, SevenBit256);
        if (Avx512BW.IsSupported) Check(nameof(SevenBit512), w, SevenBit512);
    }

    [GlobalSetup(Targets = [nameof(Vnni256_Runtime), nameof(Vnni256_SameLoop)])]
    public void SetupVnni()
    {
        var w = CreateData(sevenBit: false);
        runtimePanel = RuntimePanel(w);
        Check(nameof(Vnni256_Runtime), w, Vnni256_Runtime);
        if (AvxVnni.IsSupported) Check(nameof(Vnni256_SameLoop), w, Vnni256_SameLoop);
    }

    // ---------- the variants ----------

    /// <summary>
    /// What Octet runs on AVX2 CPUs without AVX-VNNI (called directly, so it is timed here whatever this CPU has): blocks
    /// of 6 rows × 8 channels. Until it was re-blocked it computed one row × 16 channels and widened the weights at each use.
    /// </summary>
    [Benchmark(Baseline = true)]
    public int Widening256_Shipped()
    {
        shippedWidening(a, rows, stride, depth, runtimePanel, channels, result, channels);
        return result[^1];
    }

    [Benchmark]
    public int Widening256()
    {
        K.MultiplyPairs256(a, rows, stride, depth, pairs16, channels, wide, result);
        return result[^1];
    }

    [Benchmark]
    public int Widening512()
    {
        RequireAvx512();
        K.MultiplyPairs512(a, rows, stride, depth, pairs16, channels, wide, result);
        return result[^1];
    }

    [Benchmark]
    public int SevenBit256()
    {
        K.MultiplyQuads256<K.SevenBit256>(a, rows, stride, depth, runtimePanel, channels, result);
        return result[^1];
    }

    [Benchmark]
    public int SevenBit512()
    {
        RequireAvx512();
        K.MultiplyQuads512<K.SevenBit512>(a, rows, stride, depth, quads16, channels, result);
        return result[^1];
    }

    /// <summary>What Octet runs where AVX-VNNI exists (the runtime picks the VNNI kernel itself; without AVX-VNNI, the widening one).</summary>
    [Benchmark]
    public int Vnni256_Runtime()
    {
        Int8Gemm.Multiply((ReadOnlySpan<byte>)a, rows, stride, depth, runtimePanel, channels, result, channels);
        return result[^1];
    }

    [Benchmark]
    public int Vnni256_SameLoop()
    {
        if (!AvxVnni.IsSupported) throw new PlatformNotSupportedException("AVX-VNNI is not available on this CPU");
        K.MultiplyQuads256<K.Vnni256>(a, rows, stride, depth, runtimePanel, channels, result);
        return result[^1];
    }

    // ---------- helpers ----------

    private static void RequireAvx512()
    {
        if (!Avx512BW.IsSupported) throw new PlatformNotSupportedException("AVX-512BW is not available (or disabled) on this CPU");
    }

    /// <summary>Activations (rows padded to a multiple of 4 with zeros) and the result buffer; returns the weights.</summary>
    private sbyte[] CreateData(bool sevenBit)
    {
        var sizes = Shape.Split('x').Select(int.Parse).ToArray();
        (rows, depth, channels) = (sizes[0], sizes[1], sizes[2]);
        stride = K.PaddedDepth(depth);
        var random = new Random(20261123);
        a = new byte[rows * stride];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < depth; k++)
                a[r * stride + k] = r == 0 ? (byte)255 : (byte)random.Next(0, 256);
        // 7-bit two's complement [−64, 63]: inside the provably non-saturating [−64, 64] (see Int8DotProductKernels).
        int low = sevenBit ? -64 : -128, high = sevenBit ? 63 : 127;
        var w = new sbyte[channels * depth];
        for (int j = 0; j < channels; j++)
            for (int k = 0; k < depth; k++)
                w[j * depth + k] = (sbyte)(j == 0 ? low : j == 1 ? high : random.Next(low, high + 1));
        result = new int[rows * channels];
        return w;
    }

    private byte[] RuntimePanel(sbyte[] w)
    {
        var panel = new byte[Int8Gemm.PanelBytes(channels, depth)];
        Int8Gemm.PackPanel(w, depth, 0, channels, signedActivations: false, panel);
        return panel;
    }

    /// <summary>Runs <paramref name="kernel"/> on a poisoned result buffer and throws unless every integer equals the scalar sum.</summary>
    private void Check(string name, sbyte[] w, Func<int> kernel)
    {
        var expected = new int[rows * channels];
        K.MultiplyScalar(a, rows, stride, w, depth, channels, expected);
        Array.Fill(result, int.MinValue);
        kernel();
        for (int i = 0; i < expected.Length; i++)
            if (result[i] != expected[i])
                throw new InvalidOperationException(
                    $"{name} on {Shape}: result[{i / channels}, {i % channels}] = {result[i]}, the scalar sum is {expected[i]}");
    }

    /// <summary>Adds the multiply-accumulate rate columns.</summary>
    private sealed class MacColumnsConfig : ManualConfig
    {
        public MacColumnsConfig()
        {
            AddColumn(new MacRateColumn(median: true), new MacRateColumn(median: false));
        }
    }

    /// <summary>rows·K·N (from the Shape parameter) divided by the median or mean time, in G multiply-accumulates per second.</summary>
    private sealed class MacRateColumn(bool median) : IColumn
    {
        public string Id => nameof(MacRateColumn) + (median ? "Median" : "Mean");
        public string ColumnName => median ? "GMAC/s (median)" : "GMAC/s (mean)";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => median ? 0 : 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"rows·K·N multiply-accumulates per second over the {(median ? "median" : "mean")} time, in 10^9";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null || benchmarkCase.Parameters["Shape"] is not string shape) return "NA";
            double macs = shape.Split('x').Select(double.Parse).Aggregate(1.0, (product, size) => product * size);
            double nanoseconds = median ? statistics.Median : statistics.Mean;
            return (macs / nanoseconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
