using BenchmarkDotNet.Attributes;
using Octet.Runtime;
using Octet.Runtime.Int8;

namespace Octet.Benchmarks;

/// <summary>
/// The dot products every int8 and float32 convolution and matrix kernel is built on, at lengths real layers
/// use: 25 (mnist-8's first 5×5 conv, one channel), 200 (its second: 5×5×8), 576 (a 3×3 conv over 64
/// channels, squeezenet's expand layers), 4,096 (a long fully-connected row). Results are consumed so the JIT
/// cannot drop the work; inputs are fixed-seed random.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private sbyte[] a8 = [];
    private sbyte[] b8 = [];
    private float[] a32 = [];
    private float[] b32 = [];

    [Params(25, 200, 576, 4096)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261122);
        a8 = new sbyte[Length];
        b8 = new sbyte[Length];
        a32 = new float[Length];
        b32 = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            a8[i] = (sbyte)random.Next(-128, 128);
            b8[i] = (sbyte)random.Next(-127, 128);
            a32[i] = random.NextSingle() * 2 - 1;
            b32[i] = random.NextSingle() * 2 - 1;
        }
    }

    [Benchmark]
    public int Int8Dot_Dot() => Int8Dot.Dot(a8, b8);

    [Benchmark]
    public float FloatDot_Dot() => FloatDot.Dot(a32, b32);

    [Benchmark]
    public float FloatDot_DotScalar() => FloatDot.DotScalar(a32, b32);
}
