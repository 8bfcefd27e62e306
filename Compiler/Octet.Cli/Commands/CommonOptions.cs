using System.CommandLine;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;

namespace Octet.Cli.Commands;

/// <summary>Arguments and options several commands share, and how a command reports an error.</summary>
internal static class CommonOptions
{
    public static Argument<string> Model() => new("MODEL") { Description = "Path to the .onnx model file." };

    public static Option<string[]> Shape() => new("--shape")
    {
        Description = "Bind an input's dynamic dimensions, e.g. --shape x=1x3x224x224 (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> Inputs(bool required) => new("--inputs")
    {
        Description = "A test_data_set_N folder (input_K.pb), a folder of .npy files, or 'random' (fixed seed).",
        Required = required,
    };

    public static ShapeBindings Bindings(string[]? shapes) => ShapeBindings.Parse(shapes ?? []);

    public static ModelGraph Load(string model, string[]? shapes)
    {
        var graph = OnnxModelLoader.Load(model, Bindings(shapes));
        foreach (var warning in graph.Warnings) Console.Error.WriteLine(warning);
        return graph;
    }

    /// <summary>Runs a command body, turning Octet's errors into a message and exit code 2, never a stack trace.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OctetException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.UnusableInput;
        }
        catch (Octet.OnnxRuntime.OnnxRuntimeException e)
        {
            Console.Error.WriteLine($"error: ONNX Runtime refused the model: {e.Message}");
            return ExitCodes.UnusableInput;
        }
    }
}
