using Octet.Generator.Diagnostics;
using Octet.Generator.Plan;

namespace Octet.Generator.Pipeline
{
    /// <summary>The emit step's result for one plan file: the source to add (null when none) and every diagnostic so far.</summary>
    public sealed record GeneratedModel(string Path, string FullName, string HintName, string? Source, EquatableArray<DiagnosticInfo> Diagnostics);
}
