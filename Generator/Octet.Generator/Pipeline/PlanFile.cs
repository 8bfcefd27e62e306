namespace Octet.Generator.Pipeline
{
    /// <summary>
    /// One plan additional file as the first pipeline step sees it: its path, its text and the names the
    /// project asked for. Plain strings only, so the step's output compares by value and later steps are
    /// skipped when none of this changed (editing a C# file changes none of it).
    /// </summary>
    /// <param name="ClassName">From the item metadata <c>OctetClassName</c>; null when not given.</param>
    /// <param name="Namespace">From the item metadata <c>OctetNamespace</c>; null when not given.</param>
    /// <param name="RootNamespace">The project's <c>RootNamespace</c> (build property); null when not visible.</param>
    public sealed record PlanFile(string Path, string Text, string? ClassName, string? Namespace, string? RootNamespace);
}
