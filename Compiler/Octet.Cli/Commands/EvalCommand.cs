using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.OnnxRuntime;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet eval MODEL [--quant Q.json] --images IDX --labels IDX</c>: top-1 accuracy of ONNX Runtime on
/// the float model, Octet's float reference executor, and with a quantization config Octet's int8 plan
/// (integer reference executor) and ONNX Runtime on the exported QDQ model, all on the same images.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var quant = new Option<string?>("--quant") { Description = "Quantization config (from 'octet quantize')." };
        var numerics = new Option<string?>("--numerics") { Description = "Override the config's numerics: integer-only or ort-compatible." };
        var images = new Option<string>("--images") { Description = "MNIST-format IDX image file.", Required = true };
        var labels = new Option<string>("--labels") { Description = "MNIST-format IDX label file.", Required = true };
        var inputScale = new Option<string>("--input-scale") { Description = "Multiply pixels by this (e.g. 1/255).", DefaultValueFactory = _ => "1" };
        var count = new Option<int?>("--count") { Description = "Evaluate only the first N images." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("eval", "Top-1 accuracy of ONNX Runtime and Octet, float and int8, on labelled images.")
        {
            model, shape, quant, numerics, images, labels, inputScale, count, json,
        };
        command.SetAction(parse => CommonOptions.Guard(() => Evaluate(
            parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(quant), parse.GetValue(numerics),
            parse.GetValue(images)!, parse.GetValue(labels)!, ParseScale(parse.GetValue(inputScale)!), parse.GetValue(count), parse.GetValue(json))));
        return command;
    }

    /// <summary>A decimal or a fraction such as 1/255.</summary>
    public static float ParseScale(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 1 && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0) return v;
        if (parts.Length == 2 && float.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && a > 0 && b > 0) return a / b;
        throw new OctetException($"--input-scale '{text}': expected a positive number or a fraction like 1/255");
    }

    public static NumericsMode? ParseNumerics(string? text) => text switch
    {
        null => null,
        "integer-only" => NumericsMode.IntegerOnly,
        "ort-compatible" => NumericsMode.OrtCompatible,
        _ => throw new OctetException($"--numerics '{text}': expected integer-only or ort-compatible"),
    };

    private static int Evaluate(string modelPath, string[]? shapes, string? quantPath, string? numericsText,
        string imagesPath, string labelsPath, float inputScale, int? limit, bool json)
    {
        var graph = CommonOptions.Load(modelPath, shapes);
        if (graph.Inputs.Count != 1) throw new OctetException($"{modelPath}: eval needs a model with one input, this one has {graph.Inputs.Count}");
        var (imageDims, pixels) = IdxFile.Read(imagesPath);
        var (labelDims, labels) = IdxFile.Read(labelsPath);
        if (imageDims.Length < 2) throw new OctetException($"{imagesPath}: an IDX file of rank {imageDims.Length} holds no images (expected count x rows x cols)");
        if (labelDims.Length != 1) throw new OctetException($"{labelsPath}: an IDX label file has rank 1 (one byte per image); this one has rank {labelDims.Length}");
        var input = graph.Tensor(graph.Inputs[0]);
        int imageSize = imageDims.Skip(1).Aggregate(1, (x, y) => x * y);
        if (imageSize != input.Shape.ElementCount)
            throw new OctetException($"{imagesPath}: images of {imageSize} pixels do not fit input '{input.Name}' {input.Shape}");
        if (labelDims[0] != imageDims[0]) throw new OctetException($"{labelsPath}: {labelDims[0]} labels for {imageDims[0]} images");
        int n = Math.Min(limit ?? imageDims[0], imageDims[0]);

        var runners = new List<(string Name, Func<float[], float[]> Classify, IDisposable? Owner)>();
        using var ortOptions = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        var ortFloat = new InferenceSession(modelPath, ortOptions);
        runners.Add(("onnxruntime_float", x => OrtRun(ortFloat, input, x), ortFloat));
        var octetFloat = new ReferenceExecutor(graph);
        runners.Add(("octet_float", x => OctetRun(octetFloat, input, x), null));

        string? exportPath = null;
        if (quantPath is not null)
        {
            var config = GraphPreparation.LoadConfig(quantPath, graph);
            var mode = ParseNumerics(numericsText) ?? config.Numerics;
            var qdq = GraphPreparation.ToQdq(graph, config);
            var plan = IntegerLowering.Lower(qdq, mode, config.ToLoweringOptions());
            var octetInt8 = new ReferenceExecutor(plan);
            runners.Add(("octet_int8", x => OctetRun(octetInt8, input, x), null));
            exportPath = Path.Combine(Path.GetTempPath(), $"octet-eval-{Environment.ProcessId}.qdq.onnx");
            OnnxModelWriter.Write(qdq, exportPath);
            var ortQdq = new InferenceSession(exportPath, ortOptions);
            runners.Add(("onnxruntime_qdq", x => OrtRun(ortQdq, input, x), ortQdq));
        }

        var correct = new int[runners.Count];
        try
        {
            var image = new float[imageSize];
            for (int i = 0; i < n; i++)
            {
                for (int p = 0; p < imageSize; p++) image[p] = pixels[i * imageSize + p] * inputScale;
                for (int r = 0; r < runners.Count; r++)
                    if (ArgMax(runners[r].Classify(image)) == labels[i]) correct[r]++;
            }
        }
        finally
        {
            foreach (var r in runners) r.Owner?.Dispose();
            if (exportPath is not null) File.Delete(exportPath);
        }

        if (json)
        {
            var result = new Dictionary<string, object> { ["model"] = modelPath, ["images"] = n, ["ort_version"] = OrtEnv.OnnxRuntimeVersion };
            for (int r = 0; r < runners.Count; r++) result[runners[r].Name + "_top1"] = (double)correct[r] / n;
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine($"{modelPath} on {n:N0} images");
            for (int r = 0; r < runners.Count; r++)
                Console.WriteLine($"  {runners[r].Name,-18} top-1 {100.0 * correct[r] / n:F2} %");
        }
        return ExitCodes.Success;
    }

    private static float[] OrtRun(InferenceSession session, TensorInfo input, float[] image) =>
        session.Run([NamedOnnxValue.CreateFromTensor(input.Name, image, input.Shape.ToLongArray())])[0].AsArray<float>();

    private static float[] OctetRun(ReferenceExecutor executor, TensorInfo input, float[] image)
    {
        var outputs = executor.Run(new Dictionary<string, Tensor> { [input.Name] = Tensor.Create(input.Shape, (float[])image.Clone()) });
        return outputs[executor.Graph.Outputs[0]].ToFloatArray();
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++) if (values[k] > values[best]) best = k;
        return best;
    }
}
