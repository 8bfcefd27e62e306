using BenchmarkDotNet.Attributes;
using Octet.Runtime.Int8;

namespace Octet.Benchmarks;

/// <summary>
/// The int8 GEMM with its fixed-point requantization fused into the register tiles
/// (<see cref="Int8Gemm.MultiplyRequantize(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{byte}, int, Span{int})"/>)
/// against its specification's two steps (int32 products, then <see cref="RequantizeRow"/>) and against the products
/// alone, on blocks of 60 rows × 64 channels (one call of a generated 1×1 convolution) at K = 16, 64 and 512.
/// The fused and two-step outputs are compared in [GlobalSetup] before anything is timed.
/// </summary>
public class Int8GemmRequantizeBenchmarks
{
    private const int Rows = 60, Channels = 64;
    private byte[] a = [], panel = [], y = [];
    private int[] products = [], bias = [], multipliers = [], shifts = [];

    [Params(16, 64, 512)]
    public int Depth { get; set; } = 16;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261123);
        a = new byte[Rows * Depth];
        random.NextBytes(a);
        var w = Enumerable.Range(0, Channels * Depth).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
        panel = Int8Gemm.PackPanels(w, Depth, Channels, Channels, signedActivations: false);
        bias = Enumerable.Range(0, Channels).Select(_ => random.Next(-20000, 20000)).ToArray();
        multipliers = Enumerable.Range(0, Channels).Select(_ => random.Next(1 << 30, int.MaxValue)).ToArray();
        shifts = Enumerable.Range(0, Channels).Select(_ => random.Next(-12, -6)).ToArray();
        products = new int[Rows * Channels];
        y = new byte[Rows * Channels];
        Fused();
        var fused = (byte[])y.Clone();
        TwoSteps();
        if (!fused.AsSpan().SequenceEqual(y)) throw new InvalidOperationException("the fused kernel differs from its two-step specification");
    }

    [Benchmark(Baseline = true)]
    public byte TwoSteps()
    {
        Int8Gemm.Multiply(a, Rows, Depth, Depth, panel, Channels, products, Channels);
        RequantizeRow.FixedPoint(products, Channels, bias, multipliers, shifts, 3, 0, 255, y, Channels, Rows, Channels);
        return y[^1];
    }

    [Benchmark]
    public byte Fused()
    {
        Int8Gemm.MultiplyRequantize(a, Rows, Depth, Depth, panel, Channels, bias, multipliers, shifts, 3, 0, 255, y, Channels, products);
        return y[^1];
    }

    /// <summary>The products without any requantization: what the requantization costs on top.</summary>
    [Benchmark]
    public int ProductsOnly()
    {
        Int8Gemm.Multiply(a, Rows, Depth, Depth, panel, Channels, products, Channels);
        return products[^1];
    }
}
