using System.CommandLine;
using Octet.Cli.Commands;

namespace Octet.Cli;

/// <summary>
/// <c>octet</c>: inspect, run and verify ONNX models with Octet. Exit codes: 0 success; 1 the model ran but a
/// check failed (unsupported operators, results outside tolerance); 2 unusable input (bad file, bad option),
/// with a message naming the problem.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Octet: an ahead-of-time compiler from ONNX models to integer-only C#.")
        {
            InspectCommand.Create(),
            RunCommand.Create(),
            VerifyCommand.Create(),
            QuantizeCommand.Create(),
            EvalCommand.Create(),
            ExportQdqCommand.Create(),
            CompileCommand.Create(),
            BenchCommand.Create(),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run 'octet --help' for usage.");
            return ExitCodes.UnusableInput;
        }
        return parsed.Invoke();
    }
}
