using BenchmarkDotNet.Attributes;
using Octet.Runtime;

namespace Octet.Benchmarks;

/// <summary>
/// The float32 matrix kernels on squeezenet1.0's and mnist-8's layer shapes (rows = output pixels, K = filter
/// length, N = output channels): the outer-product <see cref="FloatPanelGemm.Multiply"/> (bias and Relu fused)
/// against the older dot-product <see cref="FloatGemm.MultiplyNK"/> (bias copied in first, no Relu), and the direct
/// convolution of mnist-8's first layer against im2col plus the GEMM. Fixed-seed random inputs.
/// </summary>
[MemoryDiagnoser]
public class FloatGemmBenchmarks
{
    private float[] a = [], b = [], c = [], bias = [];

    /// <summary>rows×K×N: conv10 (1×1, 13×13 pixels, 512 → 1000), fire2 expand3x3 (55×55, 3×3×16 → 64), fire3 squeeze (55×55, 128 → 16), mnist-8 conv2 (14×14, 5×5×8 → 16).</summary>
    [Params("169x512x1000", "3025x144x64", "3025x128x16", "196x200x16")]
    public string Shape { get; set; } = "169x512x1000";

    private int rows, k, n;

    [GlobalSetup]
    public void Setup()
    {
        var sizes = Shape.Split('x').Select(int.Parse).ToArray();
        (rows, k, n) = (sizes[0], sizes[1], sizes[2]);
        var random = new Random(20261123);
        a = Enumerable.Range(0, rows * k).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        b = Enumerable.Range(0, n * k).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        bias = Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        c = new float[rows * n];
    }

    [Benchmark(Baseline = true)]
    public float DotProduct_MultiplyNK()
    {
        for (int r = 0; r < rows; r++) bias.CopyTo(c.AsSpan(r * n, n));
        FloatGemm.MultiplyNK(a, k, rows, b, k, n, c, n, accumulate: true);
        return c[^1];
    }

    [Benchmark]
    public float OuterProduct_FloatPanelGemm()
    {
        FloatPanelGemm.Multiply(a, k, rows, b, k, n, bias, 0f, float.PositiveInfinity, c, n, accumulate: false);
        return c[^1];
    }
}

/// <summary>mnist-8's first convolution (28×28, one channel, 5×5, 8 filters, pads 2): read in place vs gathered.</summary>
[MemoryDiagnoser]
public class FloatDirectConvBenchmarks
{
    private readonly float[] x = new float[28 * 28], w = new float[8 * 25], bias = new float[8], y = new float[28 * 28 * 8];
    private readonly float[] patch = new float[28 * 28 * 25];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261123);
        for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle();
        for (int i = 0; i < w.Length; i++) w[i] = random.NextSingle() * 2 - 1;
    }

    [Benchmark(Baseline = true)]
    public float Im2col_then_FloatPanelGemm()
    {
        FloatIm2Col.GatherNhwc(x, 28, 28, 1, 28, 28, 5, 5, 1, 1, 1, 1, 2, 2, 0, 784, patch);
        FloatPanelGemm.Multiply(patch, 25, 784, w, 25, 8, bias, 0f, float.PositiveInfinity, y, 8, accumulate: false);
        return y[^1];
    }

    [Benchmark]
    public float FloatDirectConv_Nhwc()
    {
        FloatDirectConv.Nhwc(x, 1, 28, 28, 1, w, 8, 5, 5, 1, 1, 1, 1, 2, 2, bias, 0f, float.PositiveInfinity, y, 28, 28);
        return y[^1];
    }
}
