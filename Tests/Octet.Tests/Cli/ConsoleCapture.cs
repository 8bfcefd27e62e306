using Xunit;

namespace Octet.Tests.Cli;

/// <summary>Tests that redirect the process-wide Console run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}

/// <summary>Runs <c>octet</c> in-process and captures what it prints.</summary>
public static class OctetCli
{
    public static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        var oldOut = Console.Out;
        var oldError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = Octet.Cli.Program.Main(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
