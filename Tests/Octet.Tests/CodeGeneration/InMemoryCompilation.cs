using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Octet.Tests.CodeGeneration;

/// <summary>
/// How the tests compile generated C# with Roslyn in memory (whole model classes, and single kernels wrapped by
/// <see cref="KernelClass"/>): the references and language version a user's project has, a release build, and
/// every warning a failure, because users may build with warnings as errors.
/// </summary>
internal static class InMemoryCompilation
{
    /// <summary>
    /// C# 13: the default language of net9.0, the oldest framework Octet.Runtime supports, so generated code
    /// must not need anything newer (the tests themselves are built with a newer SDK's latest version).
    /// </summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.CSharp13);

    /// <summary>The framework's System.* assemblies plus Octet.Runtime: what a user's project references.</summary>
    public static ImmutableArray<MetadataReference> References { get; } = [.. Octet.Cli.Benchmarking.InMemoryModelClass.UserProjectReferences.Value];

    public static SyntaxTree Parse(string source, string path = "") => CSharpSyntaxTree.ParseText(source, ParseOptions, path: path);

    /// <param name="checkOverflow">Compile as a checked build: arithmetic that may wrap must say <c>unchecked</c>.</param>
    public static CSharpCompilation Create(string assemblyName, IEnumerable<SyntaxTree> trees, bool checkOverflow = false) =>
        CSharpCompilation.Create(assemblyName, trees, References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                checkOverflow: checkOverflow, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>
    /// Emits <paramref name="compilation"/> and loads it into a collectible context of its own (unload it with
    /// <c>AssemblyLoadContext.GetLoadContext(assembly)!.Unload()</c> when done). Fails the test on any error or
    /// warning, listing them (the first 20) and, when given, the numbered <paramref name="listing"/>.
    /// </summary>
    public static Assembly EmitAndLoad(Compilation compilation, string? listing = null)
    {
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var problems = emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!emitted.Success || problems.Count > 0)
            Assert.Fail($"the generated code of {compilation.AssemblyName} does not compile cleanly:\n" + string.Join("\n", problems.Take(20)) +
                        (listing == null ? "" : "\n" + Numbered(listing)));
        image.Position = 0;
        return new AssemblyLoadContext(compilation.AssemblyName, isCollectible: true).LoadFromStream(image);
    }

    /// <summary>Source with line numbers, to read a compiler message's position against.</summary>
    public static string Numbered(string source) =>
        string.Join("\n", source.Split('\n').Select((line, i) => $"{i + 1,4}: {line}"));
}
