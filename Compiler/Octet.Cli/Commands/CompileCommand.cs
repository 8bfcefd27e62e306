using System.CommandLine;
using System.Text;
using System.Text.Json;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Quantization.Config;
using Octet.Generator.Emit;
using Octet.Generator.Pipeline;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet compile MODEL [--quant Q.json] [--numerics M] [--shape ...] -o DIR [--json] [--class-name C] [--namespace N]</c>:
/// compiles a model the way the build does and writes what the build would use, for inspection:
/// <c>&lt;stem&gt;.octet-plan</c> (the model plan), <c>&lt;stem&gt;.weights.bin</c> (packed weights),
/// <c>&lt;stem&gt;.memory.txt</c> (the memory report) and <c>&lt;stem&gt;.g.cs</c> (the generated class).
/// Exit 0 when all of it was written; 1 when the plan was written but the generator reported problems
/// (they are printed, and the source still written); 2 for unusable input (model, config, options, an
/// op code generation does not support), with a message naming the file, node or tensor.
/// </summary>
internal static class CompileCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var quant = new Option<string?>("--quant") { Description = "Quantization config for a float model (from 'octet quantize'); without it a float model gets a float32 plan." };
        var numerics = new Option<string?>("--numerics")
        {
            Description = "Requantization of a quantized plan: integer-only (default for already-quantized models) or ort-compatible; overrides the config's.",
        };
        numerics.AcceptOnlyFromAmong([.. ConfigNames.NumericsNames]);
        var output = new Option<string>("--output", "-o") { Description = "Folder to write the plan, weights, memory report and generated C# into.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print sizes as one JSON object." };
        var className = new Option<string?>("--class-name") { Description = "Name of the generated class (default: the model file's stem in PascalCase)." };
        var ns = new Option<string?>("--namespace") { Description = $"Namespace of the generated class (default: {ModelNaming.DefaultNamespace})." };

        var command = new Command("compile", "Compile a model into a model plan, packed weights, a memory report and the generated C# class.")
        {
            model, shape, quant, numerics, output, json, className, ns,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
            Compile(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(quant), parse.GetValue(numerics),
                parse.GetValue(output)!, parse.GetValue(json), parse.GetValue(className), parse.GetValue(ns))));
        return command;
    }

    private static int Compile(string modelPath, string[]? shapes, string? quantPath, string? numericsText, string folder,
        bool json, string? className, string? @namespace)
    {
        if (File.Exists(folder)) throw new OctetException($"-o {folder} is a file; give a folder to write into");
        string stem = Path.GetFileNameWithoutExtension(modelPath);
        className ??= ModelNaming.PascalCase(stem);
        @namespace ??= ModelNaming.DefaultNamespace;
        if (!IsIdentifier(className)) throw new OctetException($"--class-name '{className}' is not a C# identifier");
        if (!@namespace.Split('.').All(IsIdentifier)) throw new OctetException($"--namespace '{@namespace}' is not a C# namespace");

        var paths = new[] { Octet.Generator.OctetModelGenerator.PlanExtension, ".weights.bin", ".memory.txt", ".g.cs" }.Select(ext => Path.Combine(folder, stem + ext)).ToArray();
        foreach (var path in paths)
        {
            foreach (var (input, what) in new[] { (modelPath, "model"), (quantPath, "quantization config") })
                if (input is not null && SamePath(path, input))
                    throw new OctetException($"writing {path} would overwrite the {what}; choose another -o folder");
        }

        var graph = CommonOptions.Load(modelPath, shapes);
        var config = quantPath is null ? null : GraphPreparation.LoadConfig(quantPath, graph);
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(modelPath), config, EvalCommand.ParseNumerics(numericsText));
        var emitted = ModelClassEmitter.Emit(compiled.Plan, @namespace, className);

        Directory.CreateDirectory(folder);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        File.WriteAllText(paths[0], compiled.PlanText, utf8);
        File.WriteAllBytes(paths[1], compiled.Weights);
        File.WriteAllText(paths[2], compiled.MemoryReport, utf8);
        File.WriteAllText(paths[3], emitted.Source, utf8);

        var plan = compiled.Plan;
        long sourceBytes = utf8.GetByteCount(emitted.Source);
        if (json)
        {
            var result = new Dictionary<string, object>
            {
                ["model"] = modelPath,
                ["numerics"] = plan.Numerics,
                ["ops"] = plan.Ops.Count,
                ["arena_bytes"] = plan.Memory.ArenaBytes,
                ["lower_bound_bytes"] = plan.Memory.LowerBoundBytes,
                ["naive_bytes"] = plan.Memory.NaiveBytes,
                ["weights_bytes"] = plan.Weights.Bytes,
                ["generated_source_bytes"] = sourceBytes,
                ["problems"] = emitted.Problems.Select(p => $"{p.Id}: {p.Message}").ToArray(),
            };
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine($"compiled {modelPath} ({plan.Numerics}): {plan.Ops.Count} ops, arena {plan.Memory.ArenaBytes:N0} bytes " +
                              $"(lower bound {plan.Memory.LowerBoundBytes:N0}, naive {plan.Memory.NaiveBytes:N0}), weights {plan.Weights.Bytes:N0} bytes");
            foreach (var path in paths) Console.WriteLine($"wrote {path}");
        }
        foreach (var problem in emitted.Problems) Console.Error.WriteLine($"error {problem.Id}: {paths[0]}: {problem.Message}");
        return emitted.Problems.Count == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>A C# identifier made of ASCII letters, digits and '_' (not starting with a digit), and not a keyword.</summary>
    private static bool IsIdentifier(string name) =>
        name.Length > 0 && !char.IsDigit(name[0]) && name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_'))
        && !Keywords.Contains(name);

    private static readonly HashSet<string> Keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    ];
}
