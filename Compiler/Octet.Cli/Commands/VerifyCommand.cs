using System.CommandLine;
using System.Text.Json;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.Compiler.Verification;
using Octet.OnnxRuntime;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet verify MODEL --inputs DIR|random</c>: runs ONNX Runtime (graph optimizations on, one intra-op
/// thread) and Octet on the same inputs and reports, per output, how closely they agree. Exit 0 when every
/// output is within <see cref="Tolerance.Float32"/>, 1 when one is not, 2 when the input is unusable.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var inputs = CommonOptions.Inputs(required: true);
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var rtol = new Option<double>("--rtol")
        {
            Description = "Tolerance relative to each reference element.",
            DefaultValueFactory = _ => Tolerance.Float32.Relative,
        };
        var rangeTol = new Option<double>("--range-tol")
        {
            Description = "Tolerance relative to the output's range, max|reference|.",
            DefaultValueFactory = _ => Tolerance.Float32.RangeRelative,
        };
        var quant = new Option<string?>("--quant") { Description = "Quantization config: verify Octet's int8 plan against ONNX Runtime on the exported QDQ model." };
        var numerics = new Option<string?>("--numerics") { Description = "integer-only or ort-compatible (overrides the config; applies to models that arrive quantized too)." };
        var reference = new Option<string>("--reference")
        {
            Description = "What ONNX Runtime runs for an int8 plan: 'quantized' (the QDQ export or the quantized model) or 'float' (the original float model).",
            DefaultValueFactory = _ => "quantized",
        };
        var command = new Command("verify", "Compare Octet with ONNX Runtime on the same inputs.")
        {
            model, shape, inputs, json, rtol, rangeTol, quant, numerics, reference,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
        {
            var tolerance = Tolerance.Float32 with { Relative = parse.GetValue(rtol), RangeRelative = parse.GetValue(rangeTol) };
            if (tolerance.Relative < 0 || tolerance.RangeRelative < 0)
                throw new Compiler.Diagnostics.OctetException("--rtol and --range-tol must not be negative");
            if (tolerance.Relative == 0 && tolerance.RangeRelative == 0) tolerance = tolerance with { AbsoluteFloor = 0 };
            var referenceKind = parse.GetValue(reference);
            if (referenceKind is not ("quantized" or "float"))
                throw new Compiler.Diagnostics.OctetException($"--reference '{referenceKind}': expected quantized or float");
            return Verify(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(inputs)!, parse.GetValue(json), tolerance,
                parse.GetValue(quant), parse.GetValue(numerics), referenceKind == "float");
        }));
        return command;
    }

    private static int Verify(string modelPath, string[]? shapes, string inputSpec, bool json, Tolerance tolerance,
        string? quantPath, string? numerics, bool floatReference)
    {
        var graph = CommonOptions.Load(modelPath, shapes);
        var inputs = InputSets.Load(inputSpec, graph);
        var exportFolder = Path.Combine(Path.GetTempPath(), $"octet-verify-{Environment.ProcessId}");
        try
        {
            var quantized = QuantizedPlan.Create(graph, quantPath, numerics, exportFolder);
            var octetGraph = quantized?.Plan ?? graph;
            var octet = new ReferenceExecutor(octetGraph).Run(inputs);
            if (quantized is not null && !json)
            {
                var floatOps = IntegerPlanCheck.FindFloatArithmetic(quantized.Plan);
                Console.WriteLine($"int8 plan: {quantized.Plan.Nodes.Count(n => n.Domain == "octet")} integer ops, {quantized.Plan.Nodes.Count} nodes in all; " +
                                  (floatOps.Count == 0 ? "no float arithmetic between input quantization and output dequantization"
                                      : $"{floatOps.Count} places compute in float, e.g. {floatOps[0]}"));
            }
            string ortModel = quantized is null || floatReference ? modelPath : quantized.ExportedQdqPath ?? modelPath;
            var ort = OnnxRuntimeReference.Run(ortModel, inputs, graph.Outputs);

            var results = graph.Outputs.Select(name => TensorAgreement.Measure(name, octet[name], ort[name], tolerance)).ToList();
            var steps = graph.Outputs.Select(name => quantized?.OutputStep(name)).ToList();
            var lsb = graph.Outputs.Select((name, i) => steps[i] is { } step ? LsbAgreement.Measure(octet[name], ort[name], step) : null).ToList();
            string description = quantized is null ? "Octet float32 reference executor"
                : $"Octet int8 plan ({(quantized.Mode == Compiler.Quantization.Config.NumericsMode.IntegerOnly ? "integer-only" : "ort-compatible")})";
            string referenceDescription = quantized is null || floatReference ? "the float model" : quantized.ExportedQdqPath is null ? "the quantized model" : "the exported QDQ model";

            // Float plans are judged by the float tolerance; int8 plans against a quantized reference by LSBs
            // (integer-only: every output within 2 LSB; ort-compatible: bit-exact); against float, by argmax.
            string criterion;
            bool ok;
            if (quantized is null)
            {
                criterion = "every float output within the tolerance";
                ok = results.All(r => r.WithinTolerance);
            }
            else if (floatReference || lsb.All(l => l is null))
            {
                criterion = "same argmax on every output (int8 against a float reference, or a float output after int8 layers)";
                ok = results.All(r => r.ArgmaxAgreement == 1);
            }
            else if (quantized.Mode == Compiler.Quantization.Config.NumericsMode.IntegerOnly)
            {
                criterion = "every int8 output within 2 LSB of ONNX Runtime (integer-only requantization rounds differently from ONNX Runtime's float32)";
                ok = lsb.All(l => l is null || l.MaxLsb <= 2);
            }
            else
            {
                criterion = "every int8 output bit-exact with ONNX Runtime (ort-compatible numerics)";
                ok = lsb.All(l => l is null || l.MaxLsb == 0);
            }
            if (!json) Console.WriteLine($"pass criterion: {criterion}");
            if (json) WriteJson(modelPath, inputSpec, tolerance, results, lsb, ok, description, referenceDescription);
            else WriteTable(modelPath, tolerance, results, lsb, ok, description, referenceDescription);
            return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
        }
        catch (OnnxRuntimeException e)
        {
            Console.Error.WriteLine($"error: ONNX Runtime could not run the reference for {modelPath}: {e.Message}");
            return ExitCodes.UnusableInput;
        }
        finally
        {
            if (Directory.Exists(exportFolder)) Directory.Delete(exportFolder, recursive: true);
        }
    }

    private static void WriteTable(string model, Tolerance tolerance, List<TensorAgreement> results, List<LsbAgreement?> lsb, bool ok,
        string octet, string reference)
    {
        Console.WriteLine($"model: {model}");
        Console.WriteLine($"  {octet} vs ONNX Runtime {OrtEnv.OnnxRuntimeVersion} on {reference} (optimizations on, 1 thread)");
        Console.WriteLine($"tolerance: {tolerance}");
        Console.WriteLine($"{"output",-24} {"elements",9} {"max abs",11} {"max rel",11} {"abs/range",10} {"cosine",10} {"bit-exact",9} {"argmax",7} {"top-5",6}  ok");
        foreach (var r in results)
            Console.WriteLine($"{r.Name,-24} {r.Elements,9} {r.MaxAbsDiff,11:G4} {r.MaxRelDiff,11:G4} {(r.ReferenceRange == 0 ? 0 : r.MaxAbsDiff / r.ReferenceRange),10:G3} " +
                              $"{r.CosineSimilarity,10:F7} {r.FractionBitExact,9:P1} {r.ArgmaxAgreement,7:P1} {r.Top5Agreement,6:P0}  {(r.WithinTolerance ? "yes" : "NO")}");
        for (int i = 0; i < results.Count; i++)
            if (lsb[i] is { } l)
                Console.WriteLine($"{results[i].Name,-24} int8 steps of {l.Step:G4}: bit-exact {l.FractionExact:P3}, within ±1 LSB {l.FractionWithin1:P3}, max {l.MaxLsb} LSB");
        Console.WriteLine(ok ? "PASS" : "FAIL");
    }

    private static void WriteJson(string model, string inputs, Tolerance tolerance, List<TensorAgreement> results, List<LsbAgreement?> lsb, bool ok,
        string octet, string reference)
    {
        var buffer = new MemoryStream();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("model", model);
        writer.WriteString("inputs", inputs);
        writer.WriteString("ort_version", OrtEnv.OnnxRuntimeVersion);
        writer.WriteString("tolerance", tolerance.ToString());
        writer.WriteString("octet", octet);
        writer.WriteString("reference", reference);
        writer.WriteBoolean("within_tolerance", ok);
        writer.WriteStartArray("outputs");
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            writer.WriteStartObject();
            writer.WriteString("name", r.Name);
            writer.WriteNumber("elements", r.Elements);
            WriteNumber(writer, "max_abs_diff", r.MaxAbsDiff);
            WriteNumber(writer, "max_rel_diff", r.MaxRelDiff);
            WriteNumber(writer, "reference_range", r.ReferenceRange);
            WriteNumber(writer, "cosine_similarity", r.CosineSimilarity);
            WriteNumber(writer, "fraction_bit_exact", r.FractionBitExact);
            WriteNumber(writer, "argmax_agreement", r.ArgmaxAgreement);
            WriteNumber(writer, "top5_agreement", r.Top5Agreement);
            writer.WriteBoolean("within_tolerance", r.WithinTolerance);
            if (lsb[i] is { } l)
            {
                WriteNumber(writer, "int8_step", l.Step);
                WriteNumber(writer, "int8_fraction_bit_exact", l.FractionExact);
                WriteNumber(writer, "int8_fraction_within_1_lsb", l.FractionWithin1);
                writer.WriteNumber("int8_max_lsb", l.MaxLsb);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>JSON has no NaN or infinity: those are written as null.</summary>
    private static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }
}
