using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.Package;

/// <summary>
/// The NativeAOT sample (squeezenet1.0 int8, net9.0, IlcInstructionSet x86-x64-v3) through its own check script,
/// as a user would run it: the publish must print no warning at all (AOT analysis, trimming), and the native
/// executable must print exactly what the JIT build prints — top-5 classes, probabilities with their float bits,
/// and a SHA-256 of the whole output — which for integer-only plans means bit-identical results.
/// Slow (a NativeAOT publish: a few minutes on two cores).
/// </summary>
[Trait("Category", "Package")]
public class AotSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void NativeAot_publish_has_no_warnings_and_prints_what_the_jit_build_prints()
    {
        using var folder = new TempFolder();
        var script = Path.Combine(RepoPaths.Root, "Samples", "AotClassifier", "check.sh");
        var result = DotnetProcess.RunProgram("bash", RepoPaths.Root, null, TimeSpan.FromMinutes(25), script, folder.Path);
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, $"check.sh exited with {result.ExitCode}:\n{result.Output}");
        Assert.Contains("OK: NativeAOT and JIT print identical results; no publish warnings", result.Output);
        Assert.Contains("mode NativeAOT", result.Output);
    }
}
