using System.Runtime.CompilerServices;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.CodeGeneration.Generator;
using Xunit;

namespace Octet.Tests.CodeGeneration.Snapshots;

/// <summary>
/// Compiles a shared model to a plan (<see cref="ModelCompiler"/>), runs the source generator on it through the
/// Roslyn driver (as a user's build does), requires no diagnostics and a clean compile of the generated class,
/// then compares the class with its approved snapshot (see <see cref="Approval"/>).
/// </summary>
public static class ModelSnapshot
{
    public const string Namespace = "Octet.Snapshots";

    /// <param name="model">Path under <c>Tests/Data/models</c>, e.g. <c>mnist-8/model.onnx</c>.</param>
    /// <param name="config">Quantization config relative to the repository root, or null for the model as it is.</param>
    public static void Verify(string model, string className, string? config = null, NumericsMode? numerics = null,
        [CallerFilePath] string callerPath = "")
    {
        var options = new CompileOptions
        {
            QuantizationConfigPath = config == null ? null : Path.Combine(RepoPaths.Root, config),
            Numerics = numerics,
        };
        Verify(ModelCompiler.Compile(RepoPaths.TestDataFile(["models", .. model.Split('/')]), options), className, callerPath);
    }

    /// <summary>The same for a model the test compiled itself (one built in code).</summary>
    public static void Verify(CompiledModel compiled, string className, [CallerFilePath] string callerPath = "")
    {
        var outcome = GeneratorHarness.Run(new PlanInput($"/plans/{className}.octet-plan", compiled.PlanText, className, Namespace));
        Assert.True(outcome.Diagnostics.IsEmpty, "generator diagnostics:\n" + string.Join("\n", outcome.Diagnostics));
        Assert.True(outcome.CompilationProblems.Count == 0, "compiling the generated class:\n" + string.Join("\n", outcome.CompilationProblems.Take(20)));
        Approval.Verify(outcome.Source(), className, callerPath);
    }
}
