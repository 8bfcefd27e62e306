using System.CommandLine;
using System.Text.Json;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
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
        var command = new Command("verify", "Compare Octet with ONNX Runtime on the same inputs.")
        {
            model, shape, inputs, json, rtol, rangeTol,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
        {
            var tolerance = Tolerance.Float32 with { Relative = parse.GetValue(rtol), RangeRelative = parse.GetValue(rangeTol) };
            if (tolerance.Relative < 0 || tolerance.RangeRelative < 0)
                throw new Compiler.Diagnostics.OctetException("--rtol and --range-tol must not be negative");
            if (tolerance.Relative == 0 && tolerance.RangeRelative == 0) tolerance = tolerance with { AbsoluteFloor = 0 };
            return Verify(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(inputs)!, parse.GetValue(json), tolerance);
        }));
        return command;
    }

    private static int Verify(string modelPath, string[]? shapes, string inputSpec, bool json, Tolerance tolerance)
    {
        var graph = CommonOptions.Load(modelPath, shapes);
        var inputs = InputSets.Load(inputSpec, graph);
        var octet = new ReferenceExecutor(graph).Run(inputs);

        Dictionary<string, Tensor> ort;
        try
        {
            ort = OnnxRuntimeReference.Run(modelPath, inputs, graph.Outputs);
        }
        catch (OnnxRuntimeException e)
        {
            Console.Error.WriteLine($"error: ONNX Runtime could not run {modelPath}: {e.Message}");
            return ExitCodes.UnusableInput;
        }

        var results = graph.Outputs.Select(name => TensorAgreement.Measure(name, octet[name], ort[name], tolerance)).ToList();
        bool ok = results.All(r => r.WithinTolerance);
        if (json) WriteJson(modelPath, inputSpec, tolerance, results, ok);
        else WriteTable(modelPath, tolerance, results, ok);
        return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    private static void WriteTable(string model, Tolerance tolerance, List<TensorAgreement> results, bool ok)
    {
        Console.WriteLine($"model: {model}   ONNX Runtime {OrtEnv.OnnxRuntimeVersion} (optimizations on, 1 thread) vs Octet reference executor");
        Console.WriteLine($"tolerance: {tolerance}");
        Console.WriteLine($"{"output",-24} {"elements",9} {"max abs",11} {"max rel",11} {"abs/range",10} {"cosine",10} {"bit-exact",9} {"argmax",7}  ok");
        foreach (var r in results)
            Console.WriteLine($"{r.Name,-24} {r.Elements,9} {r.MaxAbsDiff,11:G4} {r.MaxRelDiff,11:G4} {(r.ReferenceRange == 0 ? 0 : r.MaxAbsDiff / r.ReferenceRange),10:G3} " +
                              $"{r.CosineSimilarity,10:F7} {r.FractionBitExact,9:P1} {r.ArgmaxAgreement,7:P1}  {(r.WithinTolerance ? "yes" : "NO")}");
        Console.WriteLine(ok ? "PASS: every output is within tolerance." : "FAIL: some output is outside tolerance.");
    }

    private static void WriteJson(string model, string inputs, Tolerance tolerance, List<TensorAgreement> results, bool ok)
    {
        var buffer = new MemoryStream();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("model", model);
        writer.WriteString("inputs", inputs);
        writer.WriteString("ort_version", OrtEnv.OnnxRuntimeVersion);
        writer.WriteString("tolerance", tolerance.ToString());
        writer.WriteBoolean("within_tolerance", ok);
        writer.WriteStartArray("outputs");
        foreach (var r in results)
        {
            writer.WriteStartObject();
            writer.WriteString("name", r.Name);
            writer.WriteNumber("elements", r.Elements);
            WriteNumber(writer, "max_abs_diff", r.MaxAbsDiff);
            WriteNumber(writer, "max_rel_diff", r.MaxRelDiff);
            WriteNumber(writer, "reference_range", r.ReferenceRange);
            WriteNumber(writer, "cosine_similarity", r.CosineSimilarity);
            WriteNumber(writer, "fraction_bit_exact", r.FractionBitExact);
            WriteNumber(writer, "argmax_agreement", r.ArgmaxAgreement);
            writer.WriteBoolean("within_tolerance", r.WithinTolerance);
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
