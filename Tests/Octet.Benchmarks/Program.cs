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
    /// </summary>
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
