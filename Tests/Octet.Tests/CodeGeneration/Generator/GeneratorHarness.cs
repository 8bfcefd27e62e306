using Xunit;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Octet.Generator;
using Octet.Generator.Plan;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>One plan file handed to the generator, with the item metadata MSBuild would attach.</summary>
public sealed record PlanInput(string Path, string Text, string? ClassName = null, string? Namespace = null)
{
    public static PlanInput From(ModelPlan plan, string? className = null, string? @namespace = null, string? path = null) =>
        new(path ?? $"/plans/{plan.Model}{OctetModelGenerator.PlanExtension}", PlanWriter.Write(plan), className, @namespace);
}

/// <summary>
/// Runs <see cref="OctetModelGenerator"/> through Roslyn's generator driver, as the compiler does: plans as
/// additional texts, names as analyzer config options. Tracking of incremental steps is on.
/// </summary>
public static class GeneratorHarness
{
    /// <summary>An otherwise empty compilation the generator runs against (and whose output the tests compile).</summary>
    public static CSharpCompilation EmptyCompilation(string assemblyName = "OctetGeneratedTest") =>
        InMemoryCompilation.Create(assemblyName,
            [InMemoryCompilation.Parse("namespace User { internal static class Placeholder { } }", "/src/Placeholder.cs")]);

    public static GeneratorDriver CreateDriver(IEnumerable<PlanInput> plans, string? rootNamespace = null) =>
        CreateDriver(plans, rootNamespace, out _);

    /// <summary>As above, also giving the additional texts (to replace one later with <c>ReplaceAdditionalText</c>).</summary>
    public static GeneratorDriver CreateDriver(IEnumerable<PlanInput> plans, string? rootNamespace, out IReadOnlyList<AdditionalText> texts)
    {
        var list = plans.ToList();
        var global = ImmutableDictionary<string, string>.Empty;
        if (rootNamespace != null) global = global.Add(OctetModelGenerator.RootNamespaceProperty, rootNamespace);
        var perFile = ImmutableDictionary<string, ImmutableDictionary<string, string>>.Empty;
        foreach (var plan in list)
        {
            var values = ImmutableDictionary<string, string>.Empty;
            if (plan.ClassName != null) values = values.Add(OctetModelGenerator.ClassNameMetadata, plan.ClassName);
            if (plan.Namespace != null) values = values.Add(OctetModelGenerator.NamespaceMetadata, plan.Namespace);
            perFile = perFile.SetItem(plan.Path, values);
        }
        texts = list.Select(p => (AdditionalText)new InMemoryAdditionalText(p.Path, p.Text)).ToList();
        return CSharpGeneratorDriver.Create(
            [new OctetModelGenerator().AsSourceGenerator()],
            texts,
            InMemoryCompilation.ParseOptions,
            new TestAnalyzerConfigOptionsProvider(global, perFile),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    /// <summary>Runs the generator once over <paramref name="plans"/>.</summary>
    public static GeneratorOutcome Run(IEnumerable<PlanInput> plans, string? rootNamespace = null)
    {
        var compilation = EmptyCompilation();
        var driver = CreateDriver(plans, rootNamespace).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorOutcome(driver, output, diagnostics);
    }

    public static GeneratorOutcome Run(params PlanInput[] plans) => Run((IEnumerable<PlanInput>)plans);
}

/// <summary>What one generator run produced.</summary>
public sealed record GeneratorOutcome(GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> DriverDiagnostics)
{
    public GeneratorRunResult Result => Driver.GetRunResult().Results[0];

    /// <summary>The generator's diagnostics (what the user sees from Octet).</summary>
    public ImmutableArray<Diagnostic> Diagnostics => Result.Diagnostics;

    public IReadOnlyList<GeneratedSourceResult> Sources => Result.GeneratedSources;

    public string Source(int index = 0) => Sources[index].SourceText.ToString();

    /// <summary>Errors and warnings from compiling the user's code together with what the generator added.</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems =>
        Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
}
