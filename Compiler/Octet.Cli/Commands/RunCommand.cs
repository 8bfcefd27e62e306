using System.CommandLine;
using System.Diagnostics;
using Octet.Compiler.Data;
using Octet.Compiler.Reference;

namespace Octet.Cli.Commands;

/// <summary><c>octet run MODEL --inputs DIR|random</c>: runs the float reference executor and summarizes each output.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var inputs = CommonOptions.Inputs(required: true);
        var save = new Option<string?>("--save") { Description = "Folder to write each output to as NAME.npy." };
        var repeat = new Option<int>("--repeat")
        {
            Description = "Run this many times and report the first and the fastest run's time.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("run", "Run a model with Octet's reference executor and summarize its outputs.")
        {
            model, shape, inputs, save, repeat,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
            Run(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(inputs)!, parse.GetValue(save), parse.GetValue(repeat))));
        return command;
    }

    private static int Run(string modelPath, string[]? shapes, string inputSpec, string? saveFolder, int repeat)
    {
        if (repeat < 1) throw new Compiler.Diagnostics.OctetException("--repeat must be at least 1");
        var graph = CommonOptions.Load(modelPath, shapes);
        var inputs = InputSets.Load(inputSpec, graph);
        var executor = new ReferenceExecutor(graph);
        Dictionary<string, Compiler.Graph.Tensor> outputs = null!;
        var times = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            outputs = executor.Run(inputs);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        foreach (var (name, value) in outputs) Console.WriteLine(TensorSummary.Describe(name, value));
        Console.WriteLine(repeat == 1
            ? $"reference executor: {times[0]:F1} ms"
            : $"reference executor: first run {times[0]:F1} ms (includes JIT), fastest of {repeat} {times.Min():F1} ms");
        if (saveFolder is not null)
        {
            Directory.CreateDirectory(saveFolder);
            foreach (var (name, value) in outputs)
            {
                var file = Path.Combine(saveFolder, NpyFile.FileStem(name) + ".npy");
                if (File.Exists(file)) throw new Compiler.Diagnostics.OctetException($"--save: {file} already exists; not overwriting it");
                NpyFile.Write(file, value);
            }
        }
        return ExitCodes.Success;
    }
}
