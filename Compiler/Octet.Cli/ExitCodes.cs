namespace Octet.Cli;

public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The command ran, and what it checked does not hold (outside tolerance, unsupported ops).</summary>
    public const int CheckFailed = 1;
    /// <summary>The input cannot be used: unreadable model, bad shape binding, missing inputs.</summary>
    public const int UnusableInput = 2;
}
