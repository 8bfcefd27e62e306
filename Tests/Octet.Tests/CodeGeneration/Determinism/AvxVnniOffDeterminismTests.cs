using Octet.Tests.CodeGeneration.Package;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.Determinism;

/// <summary>
/// The int8 models on an AVX2 CPU without AVX-VNNI (Skylake, Zen 2/3): the probe app (see
/// <see cref="SimdPathDeterminismTests"/>) runs with AVX-512 and AVX-VNNI switched off, so every int8 GEMM goes through
/// <c>Int8Gemm.MultiplyWidening</c> (the fused requantizing GEMM falls back to it without AVX-512), and every hash must
/// equal the default run's. <see cref="SimdPathDeterminismTests"/> does not reach that kernel on a CPU with AVX-VNNI: its
/// "no AVX-512" run keeps AVX-VNNI, its "no AVX2" run drops to Vector128 and scalar code. .NET 10 reads
/// DOTNET_EnableAVXVNNI (measured: <c>AvxVnni.IsSupported</c> turns false under it) and DOTNET_EnableAVX512 (the older
/// DOTNET_EnableAVX512F is ignored and set only for older runtimes). The probe's SIMD line does not show AVX-VNNI, so
/// this test checks the Vector512/Vector256 state it does show; on a CPU without AVX-VNNI both runs take the same path
/// and the test still checks AVX-512 against AVX2.
/// </summary>
public sealed class AvxVnniOffDeterminismTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void Integer_only_results_are_identical_without_AVX_VNNI_and_AVX_512()
    {
        var reference = RunProbe([]);
        Assert.True(reference.Hashes.Count >= 8, "the probe printed too few hashes:\n" + reference.Output);

        var run = RunProbe(["DOTNET_EnableAVX512F", "DOTNET_EnableAVX512", "DOTNET_EnableAVXVNNI"]);
        Assert.Contains("vector512=False", run.Simd, StringComparison.Ordinal);
        Assert.Contains("vector256=True", run.Simd, StringComparison.Ordinal);
        Assert.Equal(reference.Hashes.Keys.Order(), run.Hashes.Keys.Order());
        foreach (var (key, hash) in reference.Hashes)
            Assert.True(hash == run.Hashes[key], $"{key} differs without AVX-VNNI and AVX-512 ({run.Simd}) from the default run ({reference.Simd})");
    }

    private sealed record ProbeRun(string Simd, Dictionary<string, string> Hashes, string Output);

    private ProbeRun RunProbe(string[] disabled)
    {
        string described = disabled.Length == 0 ? "defaults" : string.Join(" ", disabled.Select(v => v + "=0"));
        string probe = Path.Combine(AppContext.BaseDirectory, "Octet.DeterminismProbe.dll");
        Assert.True(File.Exists(probe), $"{probe} is missing: Octet.Tests references Tests/Octet.DeterminismProbe, which the build copies here");
        var result = DotnetProcess.Run(AppContext.BaseDirectory, disabled.ToDictionary(v => v, _ => "0"), Timeout, probe, Path.Combine(TestData.Folder, "models"));
        output.WriteLine($"{described}: exit {result.ExitCode}, {result.Elapsed.TotalSeconds:F1} s\n{result.Output}");
        Assert.True(result.ExitCode == 0, $"the probe failed ({described}):\n{result.Output}");

        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string simd = lines.Single(l => l.StartsWith("simd ", StringComparison.Ordinal));
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => l.Contains("output=", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            foreach (var field in parts.Skip(2))
            {
                int equals = field.IndexOf('=');
                Assert.Matches("^[0-9a-f]{64}$", field[(equals + 1)..]);
                hashes[$"{parts[0]} {parts[1]} {field[..equals]}"] = field[(equals + 1)..];
            }
        }
        return new ProbeRun(simd, hashes, result.Output);
    }
}
