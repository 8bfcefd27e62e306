using Xunit;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>Analyzer config options as MSBuild would pass them: global build properties and per-additional-file metadata.</summary>
public sealed class TestAnalyzerConfigOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
{
    public static TestAnalyzerConfigOptions Empty { get; } = new(ImmutableDictionary<string, string>.Empty);

    public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
}

/// <summary>The options provider the driver gets: one set of global options and one set per additional file (by path).</summary>
public sealed class TestAnalyzerConfigOptionsProvider(
    ImmutableDictionary<string, string> globalOptions,
    ImmutableDictionary<string, ImmutableDictionary<string, string>> fileOptions) : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new TestAnalyzerConfigOptions(globalOptions);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => TestAnalyzerConfigOptions.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        fileOptions.TryGetValue(textFile.Path, out var values) ? new TestAnalyzerConfigOptions(values) : TestAnalyzerConfigOptions.Empty;
}
