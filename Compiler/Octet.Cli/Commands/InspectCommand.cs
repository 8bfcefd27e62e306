using System.CommandLine;
using Octet.Compiler.Analysis;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Operators;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet inspect MODEL</c>: opsets, inputs and outputs with shapes, operator counts with whether Octet
/// supports each, parameter count; <c>--graph</c> adds the full graph dump. Exit 1 when some operator is
/// not supported.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var dump = new Option<bool>("--graph") { Description = "Also print every node with its inferred tensor shapes." };
        var command = new Command("inspect", "Show a model's inputs, outputs, operators and whether Octet supports them.")
        {
            model, shape, dump,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
            Inspect(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(dump))));
        return command;
    }

    private static int Inspect(string path, string[]? shapes, bool dump)
    {
        var graph = OnnxGraphReader.Read(path, new LoadOptions { Shapes = CommonOptions.Bindings(shapes), BindUnknownDimsToOne = true });
        foreach (var warning in graph.Warnings) Console.Error.WriteLine(warning);
        var registry = OperatorRegistry.Default;

        Console.WriteLine($"model: {path}");
        Console.WriteLine($"opsets: {string.Join(", ", graph.OpsetImports.OrderBy(o => o.Key).Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"))}");

        // Supported ops are judged per node at its resolved version, before inference, so the table is
        // complete even when inference stops at the first unsupported node.
        var byOp = graph.Nodes
            .GroupBy(n => (n.Domain, n.OpType, n.OpsetVersion))
            .OrderBy(g => g.Key.Domain, StringComparer.Ordinal).ThenBy(g => g.Key.OpType, StringComparer.Ordinal)
            .ToList();
        bool allSupported = byOp.All(g => registry.Supports(g.Key.Domain, g.Key.OpType, g.Key.OpsetVersion));

        string? inferenceError = null;
        if (allSupported)
        {
            try { ShapeInference.Run(graph); }
            catch (OctetException e) { inferenceError = e.Message; }
        }

        Console.WriteLine("inputs:");
        foreach (var name in graph.Inputs) Console.WriteLine($"  {Describe(graph, name)}");
        Console.WriteLine("outputs:");
        foreach (var name in graph.Outputs) Console.WriteLine($"  {Describe(graph, name)}");
        Console.WriteLine($"parameters: {graph.ParameterCount():N0}");
        Console.WriteLine("operators:");
        Console.WriteLine($"  {"op",-28} {"version",7} {"count",6}  supported");
        foreach (var g in byOp)
        {
            var (domain, op, version) = g.Key;
            var label = (domain.Length > 0 ? domain + "." : "") + op;
            string support = registry.Supports(domain, op, version) ? "yes"
                : registry.Find(domain, op) is null ? "no (operator not implemented)"
                : registry.ResolveVersion(domain, op, graph.OpsetImports[domain]) is null ? "no (not in this opset)"
                : $"no (version {version} not implemented)";
            Console.WriteLine($"  {label,-28} {version,7} {g.Count(),6}  {support}");
        }
        if (inferenceError is not null) Console.WriteLine($"shape inference failed: {inferenceError}");
        if (dump && graph.IsShapeInferred) Console.Write(GraphTextWriter.Write(graph));
        bool ok = allSupported && inferenceError is null;
        Console.WriteLine(ok ? "Octet supports this model." : "Octet does not support this model yet (see above).");
        return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    private static string Describe(ModelGraph graph, string name)
    {
        return graph.Tensors.TryGetValue(name, out var info) && (graph.IsShapeInferred || graph.Inputs.Contains(name))
            ? $"{name}: {info.ElementType.OnnxName()}{info.Shape}"
            : $"{name}: (shape unknown until inference)";
    }
}
