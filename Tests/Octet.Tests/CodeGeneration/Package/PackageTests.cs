using System.Globalization;
using System.Text.RegularExpressions;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.Package;

/// <summary>
/// The package tested the way a user gets it: <c>dotnet pack</c> into a local folder feed, a new console
/// project that references <c>Octet</c> from that feed and adds an <c>OctetModel</c>, build, run. Slow (it
/// builds the compiler from scratch, then a project with a model: a few minutes on two cores), so it is one
/// test that does everything once: build and run, a second build that must not recompile the model, and a
/// build with a broken model that must fail with an MSBuild error naming the file and node.
/// </summary>
[Trait("Category", "Package")]
public class PackageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    [Fact]
    public void Package_compiles_a_model_in_a_new_project_which_then_runs_it()
    {
        using var folder = new TempFolder();
        string feed = Directory.CreateDirectory(folder.File("feed")).FullName;
        string app = Directory.CreateDirectory(folder.File("app")).FullName;
        // A private packages folder: a stale Octet 0.1.0 in the user's NuGet cache must never be used.
        var restoreEnvironment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = folder.File("packages") };

        // 1. Pack, building everything into a private artifacts folder (not the running tests' binaries).
        var pack = Dotnet(RepoPaths.Root, null, "pack", Path.Combine(RepoPaths.Root, "Packaging", "Octet.Package.csproj"),
            "-c", "Release", "--disable-build-servers", "-o", feed, "--artifacts-path", folder.File("artifacts"), "-p:OctetPackageVersion=0.1.0");
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack.Output}");
        string package = Path.Combine(feed, "Octet.0.1.0.nupkg");
        Assert.True(File.Exists(package), $"no {package}:\n{pack.Output}");
        AssertPackageLayout(package);

        // 2. A new project: the package, mnist-8 with the sample's committed quantization config, and a
        // program that runs the generated class on one stored input and prints the logits' bits.
        File.Copy(TestData.Model("mnist-8"), Path.Combine(app, "mnist-8.onnx"));
        File.Copy(Path.Combine(RepoPaths.Root, "Samples", "Mnist", "mnist-8.quant.json"), Path.Combine(app, "mnist-8.quant.json"));
        var broken = new OnnxModelBuilder().Input("x", ElementType.Float32, 1, 4).Output("y", ElementType.Float32);
        broken.Node("Frobnicate", ["x"], ["y"]).Name = "mystery_node";
        broken.Save(app, "broken.onnx");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <!-- Adds to the machine's sources (which serve nothing this project needs but Octet). -->
                <add key="octet-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RootNamespace>PackageUser</RootNamespace>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Octet" Version="0.1.0" />
                <OctetModel Include="mnist-8.onnx" Quantization="mnist-8.quant.json" />
                <OctetModel Include="broken.onnx" Condition="'$(WithBrokenModel)' == 'true'" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Runtime.InteropServices;
            using Octet.Runtime;
            using PackageUser;

            var input = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(args[0])).ToArray();
            var logits = new float[Mnist8.OutputLength];
            var model = new Mnist8();
            model.Run(input, logits);
            int best = 0;
            for (int k = 1; k < logits.Length; k++) if (logits[k] > logits[best]) best = k;
            Console.WriteLine($"class {best}");
            Console.WriteLine("bits " + string.Join(" ", logits.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            using var weights = ModelWeights.FromResource(typeof(Mnist8).Assembly, Mnist8.WeightsResourceName, Mnist8.WeightsBytes);
            Console.WriteLine($"weights {weights.Origin} aligned {weights.BaseAlignment}");
            """);

        var graph = OnnxModelLoader.Load(TestData.Model("mnist-8"));
        var inputs = InputSets.FromFolder(Path.Combine(TestData.ModelFolder("mnist-8"), "test_data_set_0"), graph);
        var image = inputs[graph.Inputs[0]].As<float>();
        string inputFile = Path.Combine(folder.Path, "input.bin");
        File.WriteAllBytes(inputFile, System.Runtime.InteropServices.MemoryMarshal.AsBytes(image.AsSpan()).ToArray());

        var build = Dotnet(app, restoreEnvironment, "build", "-c", "Release", "--disable-build-servers", "-tl:off", "-v:n");
        Assert.True(build.ExitCode == 0, $"the new project did not build:\n{build.Output}");
        Assert.Contains("Octet: compiling mnist-8.onnx into PackageUser.Mnist8", build.Output);

        // 3. Run it. Expected: the integer reference executor on the same lowered plan, bit for bit
        // (generated code must compute the identical integers), and so the same class.
        var config = QuantizationConfig.Load(Path.Combine(app, "mnist-8.quant.json"), graph);
        var plan = IntegerLowering.Lower(QdqQuantizer.Apply(graph, config.ToRequest()), config.Numerics);
        var expected = new ReferenceExecutor(plan).Run(inputs)[graph.Outputs[0]].As<float>();
        var run = Dotnet(app, null, "run", "-c", "Release", "--no-build", "--", inputFile);
        Assert.True(run.ExitCode == 0, $"the new project's program failed:\n{run.Output}");
        output.WriteLine(run.Output);
        Assert.Contains($"class {ArgMax(expected)}", run.Output);
        Assert.Contains("bits " + string.Join(" ", expected.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))), run.Output);
        Assert.Matches(@"weights Resource aligned \d+", run.Output);

        // 4. Built again with nothing changed: the compile step is skipped by its inputs and outputs.
        var again = Dotnet(app, restoreEnvironment, "build", "-c", "Release", "--disable-build-servers", "-tl:off", "-v:n", "--no-restore");
        Assert.True(again.ExitCode == 0, $"the second build failed:\n{again.Output}");
        Assert.DoesNotContain("Octet: compiling", again.Output);
        Assert.Contains("Skipping target \"_OctetRunCompiler\" because all output files are up-to-date", again.Output);

        // 5. A model the compiler refuses: an MSBuild error on the model file that names the node.
        var failed = Dotnet(app, restoreEnvironment, "build", "-c", "Release", "--disable-build-servers", "-tl:off", "--no-restore", "-p:WithBrokenModel=true");
        Assert.NotEqual(0, failed.ExitCode);
        var error = Regex.Match(failed.Output, @"^.*broken\.onnx : error OCT1010: .*$", RegexOptions.Multiline);
        Assert.True(error.Success, $"no MSBuild error on broken.onnx:\n{failed.Output}");
        Assert.Contains("mystery_node", error.Value);
        Assert.Contains("Frobnicate", error.Value);

        output.WriteLine($"pack {pack.Elapsed.TotalSeconds:F1} s, first build {build.Elapsed.TotalSeconds:F1} s, " +
            $"no-op build {again.Elapsed.TotalSeconds:F1} s, failing build {failed.Elapsed.TotalSeconds:F1} s");
    }

    private static void AssertPackageLayout(string package)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        string[] required =
        [
            "lib/net9.0/Octet.Runtime.dll", "analyzers/dotnet/cs/Octet.Generator.dll",
            "build/Octet.props", "build/Octet.targets", "buildTransitive/Octet.props", "buildTransitive/Octet.targets",
            "tools/octet/octet.dll", "tools/octet/octet.runtimeconfig.json", "tools/octet/Octet.Compiler.dll",
        ];
        foreach (string entry in required) Assert.True(entries.Contains(entry), $"the package lacks {entry}; it has:\n{string.Join("\n", entries.Order())}");
        // The compiler never runs ONNX Runtime while compiling; its 45 MB native library stays out.
        Assert.DoesNotContain(entries, e => e.Contains("libonnxruntime", StringComparison.Ordinal));
    }

    private DotnetProcess.Result Dotnet(string directory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var result = DotnetProcess.Run(directory, environment, BuildTimeout, arguments);
        output.WriteLine($"dotnet {string.Join(' ', arguments)}: exit {result.ExitCode}, {result.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        return result;
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++) if (values[k] > values[best]) best = k;
        return best;
    }
}
