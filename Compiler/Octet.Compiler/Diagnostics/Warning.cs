namespace Octet.Compiler.Diagnostics;

/// <summary>Something the user should know but that does not stop compilation (e.g. a defaulted batch dim).</summary>
public sealed record Warning(string Message)
{
    public override string ToString() => "warning: " + Message;
}
