using Xunit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>An additional file given to the generator driver from memory.</summary>
public sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText source = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => source;
}
