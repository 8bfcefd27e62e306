using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Benchmarks;

/// <summary>
/// <c>--int8-peak</c>: the int8 multiply-accumulate peak this CPU reaches through the instruction the int8 GEMM uses
/// (AVX-VNNI <c>vpdpbusd</c> on 256-bit registers, 32 MACs each), measured rather than derived from a clock: 12
/// independent accumulator chains on registers (no loads, so only issue throughput limits them), and, to relate it
/// to cycles, a chain of dependent 1-cycle integer operations whose rate estimates the core clock. Best of 15 passes.
/// docs/performance.md compares the largest convolution of squeezenet1.0 with it.
/// </summary>
public static class Int8Peak
{
    public const string Option = "--int8-peak";

    public static int Run()
    {
        if (!AvxVnni.IsSupported)
        {
            Console.Error.WriteLine("this CPU has no AVX-VNNI: the int8 GEMM runs its widening path, whose peak this does not measure");
            return 1;
        }
        var a = Vector256.Create((byte)3);
        var b = Vector256.Create((sbyte)-2);
        Dots(1000, a, b);
        Chain(1000, 1, 2);
        double dots = 0, clock = 0;
        const long n = 20_000_000;
        for (int pass = 0; pass < 15; pass++)
        {
            var watch = Stopwatch.StartNew();
            var sums = Dots(n, a, b);
            dots = Math.Max(dots, 12.0 * n / watch.Elapsed.TotalSeconds);
            watch.Restart();
            long chained = Chain(n, pass, 3);
            clock = Math.Max(clock, 4.0 * n / watch.Elapsed.TotalSeconds);
            GC.KeepAlive(sums.ToString() + chained);
        }
        Console.WriteLine($"vpdpbusd ymm: {dots / 1e9:F2} G instructions/s = {dots * 32 / 1e9:F0} G MAC/s; " +
                          $"dependent-chain clock estimate {clock / 1e9:F2} GHz; {dots / clock:F2} vpdpbusd per cycle");
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static Vector256<int> Dots(long n, Vector256<byte> a, Vector256<sbyte> b)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<int> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < n; i++)
        {
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, b); c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, b);
            c2 = AvxVnni.MultiplyWideningAndAdd(c2, a, b); c3 = AvxVnni.MultiplyWideningAndAdd(c3, a, b);
            c4 = AvxVnni.MultiplyWideningAndAdd(c4, a, b); c5 = AvxVnni.MultiplyWideningAndAdd(c5, a, b);
            c6 = AvxVnni.MultiplyWideningAndAdd(c6, a, b); c7 = AvxVnni.MultiplyWideningAndAdd(c7, a, b);
            c8 = AvxVnni.MultiplyWideningAndAdd(c8, a, b); c9 = AvxVnni.MultiplyWideningAndAdd(c9, a, b);
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, a, b); c11 = AvxVnni.MultiplyWideningAndAdd(c11, a, b);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }

    /// <summary>Four dependent 1-cycle operations per iteration: the loop runs at about a quarter of the core clock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static long Chain(long n, long x, long y)
    {
        for (long i = 0; i < n; i++) { x += y; x ^= i; x += y; x ^= i; }
        return x;
    }
}
