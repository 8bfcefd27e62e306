using System.CommandLine;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet export-qdq MODEL --quant Q.json -o OUT.onnx</c>: applies a quantization config to a float model
/// and writes the result as a standard QDQ ONNX model — int8 weights each followed by DequantizeLinear,
/// quantized activations wrapped in QuantizeLinear → DequantizeLinear — which ONNX Runtime runs with its
/// int8 kernels and Netron shows. That file is how a quantization made by Octet is checked against ONNX
/// Runtime. Exit 2 for unusable input (model, config, an existing output without --force).
/// </summary>
internal static class ExportQdqCommand
{
    /// <summary>Operators that mean the model is quantized already: its quantization is to be imported, not redone.</summary>
    private static readonly HashSet<string> QuantizedOperators =
    [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger",
        "ConvInteger", "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearGlobalAveragePool", "QLinearConcat",
    ];

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var quant = new Option<string>("--quant") { Description = "The quantization config (from 'octet quantize', or written by hand).", Required = true };
        var numerics = new Option<string?>("--numerics")
        {
            Description = "Override the config's numerics mode (integer-only or ort-compatible). It governs Octet's own integer " +
                          "lowering; the QDQ file is the same in both modes, since ONNX Runtime requantizes in its own way.",
        };
        numerics.AcceptOnlyFromAmong([.. ConfigNames.NumericsNames]);
        var output = new Option<string>("--output", "-o") { Description = "The QDQ model to write (e.g. model.qdq.onnx).", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite the output file if it exists." };

        var command = new Command("export-qdq", "Quantize a float model with a quantization config and write it as a QDQ ONNX model.")
        {
            model, shape, quant, numerics, output, force,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
            Export(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(quant)!, parse.GetValue(numerics),
                parse.GetValue(output)!, parse.GetValue(force))));
        return command;
    }

    private static int Export(string modelPath, string[]? shapes, string configPath, string? numerics, string outputPath, bool force)
    {
        if (Directory.Exists(outputPath)) throw new OctetException($"-o {outputPath} is a folder; give a file name");
        if (File.Exists(outputPath) && !force) throw new OctetException($"{outputPath} already exists; use --force to overwrite it");
        if (Path.GetFullPath(outputPath) == Path.GetFullPath(modelPath))
            throw new OctetException($"-o {outputPath} is the input model; write the QDQ model to another file");

        var graph = CommonOptions.Load(modelPath, shapes);
        var quantized = graph.Nodes.FirstOrDefault(n => QuantizedOperators.Contains(n.OpType));
        if (quantized is not null)
            throw new OctetException($"{modelPath} is quantized already ({quantized.Describe()}); export-qdq quantizes float models");

        var config = GraphPreparation.LoadConfig(configPath, graph);
        if (numerics is not null && ConfigNames.TryParseNumerics(numerics, out var mode)) config = config with { Numerics = mode };

        var qdq = GraphPreparation.ToQdq(graph, config);
        var folder = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (folder is not null) Directory.CreateDirectory(folder);
        OnnxModelWriter.Write(qdq, outputPath);

        var weights = qdq.Nodes.Count(n => n.OpType == "DequantizeLinear" && qdq.Tensor(n.Inputs[0]).IsConstant);
        var activations = qdq.Nodes.Count(n => n.OpType == "QuantizeLinear");
        var opsets = string.Join(", ", qdq.OpsetImports.OrderBy(o => o.Key, StringComparer.Ordinal)
            .Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"));
        Console.WriteLine($"quantized {modelPath} with {configPath} ({config.Numerics.Name()}): " +
                          $"{activations} activation(s) through QuantizeLinear/DequantizeLinear, {weights} weight and bias tensor(s) " +
                          $"stored quantized ({ConfigNames.TypeName(config.Weights.Type)} weights, {(config.Weights.PerChannel ? "per channel" : "per tensor")})");
        Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length:N0} bytes, {qdq.Nodes.Count} nodes, opsets {opsets})");
        return ExitCodes.Success;
    }
}
