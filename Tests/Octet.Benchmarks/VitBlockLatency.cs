using Octet.Cli.Benchmarking;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Generator.Emit;
using Octet.OnnxRuntime;
using Octet.Runtime;
using Octet.Tests.Models.Transformers;
using Octet.Tests.Quantization.Transformers;

namespace Octet.Benchmarks;

/// <summary>
/// One ViT block, Octet's integer-only generated class against ONNX Runtime on the float model — the measurement
/// behind "Latency: one ViT block vs ONNX Runtime float" in docs/integer-transformers.md, kept so it can be re-run.
/// The model is the tests' <see cref="VitModelWriter"/> at ViT-Tiny's width (197 tokens, patch conv and head
/// included), calibrated and compiled as the transformer parity tests do (fused patterns, MinMax over 20 standard
/// normal images, Softmax outputs at ISoftmax's scale, I-BERT softmax, table GELU). Timing is octet bench's own:
/// the class compiled in memory by <see cref="InMemoryModelClass"/>, ONNX Runtime with ORT_ENABLE_ALL and one
/// intra-op thread, <see cref="AlternatingTimer"/> (warm-up rounds and a minimum warm-up time, then alternating
/// timed rounds, medians). BenchmarkDotNet is not used: the figure wanted is a ratio of two sides measured under
/// the same machine load, which alternating rounds in one process give and two separate benchmarks do not.
/// </summary>
public static class VitBlockLatency
{
    public const string Option = "--vit-block";

    private static VitModelWriter Writer => new()
    {
        ImageSize = 56, PatchSize = 4, Width = 192, Heads = 3, MlpWidth = 768, Blocks = 1, Classes = 10,
    };

    /// <summary>
    /// Runs the measurement; arguments: [--iterations N] [--warmup N] [--warmup-seconds S] (octet bench's defaults), and
    /// [--wide-activations] for the config with <c>transformer.wide_activations: residual</c> (16-bit residual stream), and
    /// [--profile] for Octet's per-op medians (<c>octet bench --profile</c>'s report) instead of the comparison, [--run-gap] for
    /// <see cref="RunGapDiagnosis"/> (whole Run against the ops back to back and the sum of op medians, allocation, JIT), and [--no-jit-wait] to start
    /// timing without waiting for the JIT to go quiet (<see cref="JitQuiescence"/>).
    /// </summary>
    public static int Run(string[] args)
    {
        int rounds = IntOption(args, "--iterations", 200);
        int warmupRounds = IntOption(args, "--warmup", 50);
        double warmupSeconds = double.Parse(Value(args, "--warmup-seconds") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
        var wide = args.Contains("--wide-activations") ? WideActivationPolicy.Residual : WideActivationPolicy.None;

        var folder = Path.Combine(Path.GetTempPath(), $"octet-vit-block-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            string modelPath = Writer.Save(folder);
            var graph = OnnxModelLoader.Load(modelPath);

            var fused = GraphPreparation.FuseTransformerPatterns(graph);
            var config = Calibrator.Run(fused, CalibrationSamples.FromList(NormalImages(graph, count: 20, seed: 10)),
                new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
            config = TransformerQuantization.WithSoftmaxOutputScale(config, fused);
            config = config with { Transformer = new TransformerSettings { Softmax = SoftmaxMethod.Ibert, Gelu = GeluMethod.Table, WideActivations = wide } };

            var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(modelPath), config, NumericsMode.IntegerOnly);
            var plan = compiled.Plan;
            const string ns = "Octet.Bench", className = "VitBlock";
            var emitted = ModelClassEmitter.Emit(plan, ns, className);
            if (emitted.Problems.Count > 0)
                throw new InvalidOperationException("code generation reported: " + string.Join("; ", emitted.Problems.Select(p => $"{p.Id}: {p.Message}")));
            var modelClass = InMemoryModelClass.Compile(plan, emitted.Source, ns + "." + className);

            // One input image, standard normal, shared by both sides (the ORT feed wraps the same array).
            var image = NormalImages(graph, count: 1, seed: 1)[0];
            if (plan.Inputs.Count != 1 || plan.Outputs.Count != 1)
                throw new InvalidOperationException($"the ViT plan has {plan.Inputs.Count} inputs and {plan.Outputs.Count} outputs; one each expected");
            var input = (float[])image[VitModelWriter.InputName].Data;
            var octetOutput = new float[checked((int)OpEmitContext.ElementCount(plan.Tensors.First(t => t.Name == plan.Outputs[0].Tensor)))];
            using var weights = ModelWeights.FromBytes(compiled.Weights);
            // Timing starts once the JIT has gone quiet (JitQuiescence: the in-memory compilation leaves a second or more of
            // background tier-1 recompilation); --no-jit-wait skips that, to see its effect.
            bool waitForJit = !args.Contains("--no-jit-wait");
            if (args.Contains(RunGapDiagnosis.Option))
                return RunGapDiagnosis.Run(modelClass, weights, [input], [octetOutput], warmupRounds, TimeSpan.FromSeconds(warmupSeconds), rounds, waitForJit);
            if (waitForJit) JitQuiescence.WaitAndReport(modelClass.Bind(weights, [input], [octetOutput]));
            if (args.Contains("--profile"))
                return OpProfiler.Report(OpProfiler.Run(plan, emitted.Source, ns + "." + className, weights, [input], [octetOutput],
                    warmupRounds, TimeSpan.FromSeconds(warmupSeconds), rounds, jitWaitLimit: waitForJit ? null : TimeSpan.Zero), "ViT block", json: false);
            var octetRun = modelClass.Bind(weights, [input], [octetOutput]);

            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(modelPath, options);
            var inputInfo = graph.Tensor(VitModelWriter.InputName);
            var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromArray(VitModelWriter.InputName, input, inputInfo.Shape.ToLongArray()) };
            string[] outputNames = [VitModelWriter.OutputName];
            IReadOnlyList<NamedOnnxValue>? ortResults = null;
            void OrtRun() => ortResults = session.Run(feeds, outputNames);

            if (waitForJit)
                JitQuiescence.WaitAndReport(() =>
                {
                    octetRun();
                    OrtRun();
                });
            // The waits above already let the JIT go quiet (and reported it), or were skipped on purpose.
            var timing = AlternatingTimer.Run(octetRun, OrtRun, warmupRounds, TimeSpan.FromSeconds(warmupSeconds), rounds, jitWaitLimit: TimeSpan.Zero);

            // A guard that both timed runs computed the same classifier: integer-only logits differ from float ones by
            // quantization error, not by orders of magnitude.
            var ortLogits = ortResults![0].AsArray<float>();
            double maxAbsDiff = octetOutput.Zip(ortLogits, (a, b) => Math.Abs((double)a - b)).Max();
            double ortRange = ortLogits.Max(v => Math.Abs((double)v));

            Console.WriteLine($"ViT block: image 56, patch 4, width 192, heads 3, MLP 768, 1 block, 10 classes ({Writer.Tokens} tokens); integer-only, ibert softmax, table gelu, MinMax{(wide == WideActivationPolicy.Residual ? ", 16-bit residual stream (wide_activations: residual)" : "")}");
            Console.WriteLine($"plan ops: {plan.Ops.Count}; ONNX Runtime {OrtEnv.OnnxRuntimeVersion}, ORT_ENABLE_ALL, 1 intra-op thread, float model; Octet single-threaded");
            Console.WriteLine($"rounds: {timing.Rounds} timed, {timing.WarmupRounds} warm-up (>= {warmupSeconds} s)");
            Console.WriteLine(FormattableString.Invariant($"octet_us {timing.MedianFirstMicroseconds:F1}"));
            Console.WriteLine(FormattableString.Invariant($"ort_us {timing.MedianSecondMicroseconds:F1}"));
            Console.WriteLine(FormattableString.Invariant($"ratio_ort_over_octet {timing.MedianSecondMicroseconds / timing.MedianFirstMicroseconds:F3}"));
            Console.WriteLine(FormattableString.Invariant($"max |octet - ort| logits {maxAbsDiff:G4} (ORT max |logit| {ortRange:G4})"));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Standard normal images (Box–Muller over a seeded generator), the distribution the transformer tests calibrate on.</summary>
    private static List<Dictionary<string, Tensor>> NormalImages(ModelGraph graph, int count, int seed)
    {
        var random = new Random(seed);
        var info = graph.Tensor(VitModelWriter.InputName);
        var result = new List<Dictionary<string, Tensor>>();
        for (int s = 0; s < count; s++)
        {
            var values = new float[checked((int)info.Shape.ElementCount)];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            result.Add(new Dictionary<string, Tensor>(StringComparer.Ordinal) { [VitModelWriter.InputName] = Tensor.Create(info.Shape, values) });
        }
        return result;
    }

    private static string? Value(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        if (at < 0) return null;
        if (at + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
        return args[at + 1];
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        Value(args, name) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
