using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Octet.Benchmarks;

public static class Program
{
    /// <summary>
    /// Benchmarks run in this process (the in-process emit toolchain): BenchmarkDotNet's default generates and
    /// builds a separate project that references this one, which would run Octet's model compilation again
    /// for every benchmark type. Command-line options (--filter, ...) still apply; a --job option adds a job beside this one.
    /// <c>--vit-block [--iterations N] [--warmup N] [--warmup-seconds S] [--wide-activations] [--profile | --run-gap] [--no-jit-wait]</c> instead runs <see cref="VitBlockLatency"/>,
    /// <c>--int8-peak</c> <see cref="Int8Peak"/>.
    /// </summary>
    public static int Main(string[] args)
    {
        // Not a BenchmarkDotNet run: Octet against ONNX Runtime on one ViT block, alternating (VitBlockLatency).
        if (args.Length > 0 && args[0] == VitBlockLatency.Option) return VitBlockLatency.Run(args[1..]);
        if (args.Length > 0 && args[0] == Int8Peak.Option) return Int8Peak.Run();
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
