namespace Octet.Generator.Diagnostics
{
    /// <summary>
    /// A diagnostic as plain, equatable data, so it can travel between incremental pipeline steps (a Roslyn
    /// <c>Diagnostic</c> holds a <c>Location</c> that may pin a syntax tree, and compares by identity).
    /// Turned into a <c>Diagnostic</c> by <see cref="OctetDiagnostics.Create"/> only at the output.
    /// </summary>
    /// <param name="Id">One of the <see cref="OctetDiagnostics"/> ids ("OCT001", ...).</param>
    /// <param name="Message">The complete message (it names the file, and the line, node or tensor concerned).</param>
    /// <param name="Path">The plan file the diagnostic points at.</param>
    /// <param name="Line">1-based line in that file; 0 for the file as a whole.</param>
    public sealed record DiagnosticInfo(string Id, string Message, string Path, int Line);
}
