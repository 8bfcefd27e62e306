using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.WideActivations;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet quantize MODEL --calibration DATA --method M -o OUT.quant.json</c>: calibrates the model's
/// activations on DATA with the float reference executor and writes a quantization config holding every
/// activation's observed range and chosen scale and zero point. Exit 2 for unusable input (model, data,
/// options, an existing output file without --force).
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var calibration = new Option<string?>("--calibration")
        {
            Description = "Calibration data: a folder of test_data_set_N folders, a folder of .npy files (first axis = sample; " +
                          "one per input, named after it), or an MNIST-format IDX image file. Optional for bn-stats.",
        };
        var method = new Option<string>("--method")
        {
            Description = "How activation ranges are chosen: minmax, percentile, entropy, mse or bn-stats.",
            DefaultValueFactory = _ => "minmax",
        };
        method.AcceptOnlyFromAmong([.. ConfigNames.MethodNames]);
        var perChannel = new Option<bool>("--per-channel")
        {
            Description = "Quantize weights per output channel (the default); --per-channel false for one scale per weight tensor.",
            DefaultValueFactory = _ => true,
            Arity = ArgumentArity.ZeroOrOne,
        };
        var samples = new Option<int?>("--samples") { Description = "Use the first N samples (default: all)." };
        var inputScale = new Option<string?>("--input-scale")
        {
            Description = "Multiply integer data (IDX pixels, integer .npy) by S to make the float input, e.g. 1/255 or 0.00392.",
        };
        var percentile = new Option<double>("--percentile")
        {
            Description = "For --method percentile: the percentage of values kept.",
            DefaultValueFactory = _ => ActivationSettings.DefaultPercentile,
        };
        var bnK = new Option<double>("--bn-k")
        {
            Description = "For --method bn-stats: k in the range β ± k·|γ|.",
            DefaultValueFactory = _ => ActivationSettings.DefaultBnK,
        };
        var activationType = new Option<string>("--activation-type")
        {
            Description = "Storage type of activations: int8 or uint8.",
            DefaultValueFactory = _ => "int8",
        };
        activationType.AcceptOnlyFromAmong([.. ConfigNames.TypeNames]);
        var symmetric = new Option<bool>("--symmetric-activations") { Description = "Quantize activations symmetrically (zero point 0, or 128 for uint8)." };
        var numerics = new Option<string>("--numerics")
        {
            Description = "Requantization of the lowered model: integer-only or ort-compatible.",
            DefaultValueFactory = _ => "integer-only",
        };
        numerics.AcceptOnlyFromAmong([.. ConfigNames.NumericsNames]);
        var output = new Option<string>("--output", "-o") { Description = "The config file to write (e.g. model.quant.json).", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite the output file if it exists." };
        var preRmsNorm = new Option<bool>("--pre-rmsnorm")
        {
            Description = "Pre-LN transformers: center the residual stream so every LayerNorm is an RMSNorm, calibrate that graph, " +
                          "and write transformer.pre_rmsnorm into the config (models that do not qualify are refused with the reason).",
        };
        var wideActivations = new Option<string>("--wide-activations")
        {
            Description = "Transformers: which activations the config gives 16 bits (transformer.wide_activations): none, or residual " +
                          "(the residual stream, what is written into it, the head and the LayerNorm outputs the stream reads; " +
                          "models without LayerNormalization are refused).",
            DefaultValueFactory = _ => "none",
        };
        wideActivations.AcceptOnlyFromAmong([.. ConfigNames.WideActivationNames]);
        var wideRangeFactor = new Option<double>("--wide-range-factor")
        {
            Description = "The 16-bit tensors' range is the calibrated one times this factor (transformer.wide_range_factor, > 0).",
            DefaultValueFactory = _ => TransformerSettings.DefaultWideRangeFactor,
        };

        var command = new Command("quantize", "Calibrate a float model's activations and write a quantization config.")
        {
            model, shape, calibration, method, perChannel, samples, inputScale, percentile, bnK, activationType, symmetric, numerics, output, force, preRmsNorm,
            wideActivations, wideRangeFactor,
        };
        command.SetAction(parse => CommonOptions.Guard(() =>
        {
            ConfigNames.TryParseMethod(parse.GetValue(method)!, out var calibrationMethod);
            ConfigNames.TryParseType(parse.GetValue(activationType)!, out var type);
            ConfigNames.TryParseNumerics(parse.GetValue(numerics)!, out var numericsMode);
            ConfigNames.TryParseWideActivations(parse.GetValue(wideActivations)!, out var widePolicy);
            var options = new CalibrationOptions
            {
                Method = calibrationMethod,
                Percentile = parse.GetValue(percentile),
                BnK = parse.GetValue(bnK),
                ActivationType = type,
                SymmetricActivations = parse.GetValue(symmetric),
            };
            var scale = parse.GetValue(inputScale) is { } text ? ParseScale(text) : (double?)null;
            return Quantize(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(calibration), options, parse.GetValue(samples),
                scale, new WeightSettings { PerChannel = parse.GetValue(perChannel) }, numericsMode, parse.GetValue(output)!, parse.GetValue(force),
                new TransformerSettings
                {
                    PreRmsNorm = parse.GetValue(preRmsNorm), WideActivations = widePolicy, WideRangeFactor = parse.GetValue(wideRangeFactor),
                });
        }));
        return command;
    }

    private static int Quantize(string modelPath, string[]? shapes, string? dataPath, CalibrationOptions options, int? sampleLimit,
        double? inputScale, WeightSettings weights, NumericsMode numerics, string outputPath, bool force,
        TransformerSettings transformer)
    {
        if (File.Exists(outputPath) && !force) throw new OctetException($"{outputPath} already exists; use --force to overwrite it");
        if (Directory.Exists(outputPath)) throw new OctetException($"-o {outputPath} is a folder; give a file name");
        if (sampleLimit is < 1) throw new OctetException($"--samples must be at least 1, got {sampleLimit}");
        if (!(options.Percentile > 0 && options.Percentile <= 100)) throw new OctetException($"--percentile must be greater than 0 and at most 100, got {options.Percentile}");
        if (!(options.BnK > 0)) throw new OctetException($"--bn-k must be positive, got {options.BnK}");
        if (!(transformer.WideRangeFactor > 0) || !double.IsFinite(transformer.WideRangeFactor))
            throw new OctetException($"--wide-range-factor must be a number greater than 0, got {transformer.WideRangeFactor}");
        if (dataPath is null && options.Method != CalibrationMethod.BnStats)
            throw new OctetException($"--method {options.Method.Name()} needs --calibration DATA (only bn-stats can do without data, for the tensors it covers)");

        // Calibrate the graph the config will describe: transformer patterns fused (and Pre-RMSNorm applied when
        // asked), so its names and ranges are those every tool reading the config quantizes.
        var graph = GraphPreparation.DescribedGraph(CommonOptions.Load(modelPath, shapes), transformer);
        // Refused now rather than when the config is used: the policy needs a residual stream.
        if (transformer.WideActivations != WideActivationPolicy.None && ResidualStreamRoles.Find(graph).IsEmpty)
            throw new OctetException($"--wide-activations {transformer.WideActivations.Name()}: {modelPath} has no residual stream " +
                                     "(no LayerNormalization reading a computed tensor) to give 16 bits");
        CalibrationSamples? samples = null;
        if (dataPath is not null)
        {
            samples = CalibrationSamples.Open(dataPath, graph, inputScale);
            if (sampleLimit is { } limit)
            {
                if (limit > samples.Count) Console.Error.WriteLine($"warning: --samples {limit}, but {dataPath} holds only {samples.Count}; using all of them");
                samples = samples.Take(limit);
            }
        }
        else if (inputScale is not null) throw new OctetException("--input-scale needs --calibration DATA");

        var progress = ProgressLine.ForConsole();
        var clock = Stopwatch.StartNew();
        CalibrationResult result;
        try
        {
            result = Calibrator.Run(graph, samples, options, progress is null ? null : progress.Report);
        }
        finally
        {
            progress?.Finish();
        }
        var elapsed = clock.Elapsed;

        var config = result.ToConfig(weights, numerics, samples?.Description, inputScale);
        if (!transformer.IsDefault) config = config with { Transformer = transformer };
        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(outputPath));
            if (folder is not null) Directory.CreateDirectory(folder);
            config.Save(outputPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OctetException($"-o {outputPath}: cannot write the config ({e.Message})", e);
        }

        Console.WriteLine($"calibrated {modelPath} with {options.Method.Name()} on {result.Samples} sample(s) " +
                          $"in {elapsed.TotalSeconds:F2} s ({ConfigNames.TypeName(options.ActivationType)} activations, {(options.SymmetricActivations ? "symmetric" : "asymmetric")})");
        Console.WriteLine($"{"tensor",-32} {"observed min",13} {"observed max",13} {"range min",11} {"range max",11} {"scale",12} {"zp",5}");
        foreach (var t in result.Tensors)
            Console.WriteLine($"{Shorten(t.Name),-32} {t.ObservedMin,13:G6} {t.ObservedMax,13:G6} {t.Min,11:G5} {t.Max,11:G5} {t.Parameters.Scale,12:G6} {t.Parameters.ZeroPoint,5}" +
                              (t.FromBatchNorm ? "  (bn-stats)" : ""));
        Console.WriteLine($"wrote {outputPath}");
        return ExitCodes.Success;
    }

    /// <summary>A positive scale written as a decimal (0.00392) or a fraction (1/255).</summary>
    internal static double ParseScale(string text)
    {
        var parts = text.Split('/');
        double value = parts.Length switch
        {
            1 when double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
            2 when double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d != 0 => n / d,
            _ => double.NaN,
        };
        if (!(value > 0) || !double.IsFinite(value))
            throw new OctetException($"--input-scale '{text}' is not a positive number or fraction (e.g. 1/255 or 0.00392)");
        return value;
    }

    private static string Shorten(string name) => name.Length <= 32 ? name : name[..29] + "...";

    /// <summary>
    /// A progress line rewritten in place with a carriage return, shown only when standard output is a
    /// terminal (never in CI logs or when redirected), at most ten times a second.
    /// </summary>
    private sealed class ProgressLine
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastDraw = -1000;
        private bool _drawn;

        public static ProgressLine? ForConsole() => Console.IsOutputRedirected ? null : new ProgressLine();

        public void Report(CalibrationProgress p)
        {
            long now = _clock.ElapsedMilliseconds;
            if (p.Done != p.Total && now - _lastDraw < 100) return;
            _lastDraw = now;
            string pass = p.Passes > 1 ? $" (pass {p.Pass} of {p.Passes}: {(p.Pass == 1 ? "ranges" : "histograms")})" : "";
            Console.Write($"\rcalibrating: sample {p.Done,6} of {p.Total}{pass}  ");
            _drawn = true;
        }

        public void Finish()
        {
            if (_drawn) Console.Write("\r" + new string(' ', 72) + "\r");
        }
    }
}
