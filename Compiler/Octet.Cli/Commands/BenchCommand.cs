using System.CommandLine;
using System.Text.Json;
using Octet.Cli.Benchmarking;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Generator.Emit;
using Octet.Generator.Pipeline;
using Octet.Generator.Plan;
using Octet.OnnxRuntime;
using Octet.Runtime;

namespace Octet.Cli.Commands;

/// <summary>
/// <c>octet bench MODEL [--quant Q.json] [--numerics M] [--threads N] [--iterations N] [--inputs DIR|random] [--json]</c>:
/// compiles the model as <c>octet compile</c> does, compiles the generated class in memory (Roslyn, optimizations
/// on) and times it against ONNX Runtime in the same process on the same inputs, alternating the two. For an
/// int8 plan ONNX Runtime runs the QDQ export of the same quantization (or the model itself when it arrives
/// quantized), so both sides compute the same int8 network; for a float plan, the float model. ONNX Runtime
/// runs with graph optimizations on and N intra-op threads; Octet's generated code runs single-threaded, or with
/// <c>--octet-threads K</c> splits its large ops over a worker team of K threads, whose idle workers spin
/// <c>--octet-spin-us S</c> microseconds before blocking (--threads leaves Octet alone, so the
/// two can be compared at any mix). Inputs: the model folder's
/// <c>test_data_set_0</c> when there is one, else fixed-seed random values. Prints both medians and
/// ratio = ort_us / octet_us (above 1: Octet is faster). Exit 0 after a run, 2 for unusable input.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var shape = CommonOptions.Shape();
        var quant = new Option<string?>("--quant") { Description = "Quantization config for a float model (from 'octet quantize'): bench the int8 plan against ONNX Runtime on its QDQ export." };
        var numerics = new Option<string?>("--numerics") { Description = "integer-only or ort-compatible (overrides the config; applies to models that arrive quantized too)." };
        numerics.AcceptOnlyFromAmong([.. ConfigNames.NumericsNames]);
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime's intra-op threads (Octet runs single-threaded).", DefaultValueFactory = _ => 1 };
        var iterations = new Option<int>("--iterations") { Description = "Timed runs of each side (after warm-up).", DefaultValueFactory = _ => 200 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs of each side first, for at least --warmup-seconds in all.", DefaultValueFactory = _ => 50 };
        var warmupSeconds = new Option<double>("--warmup-seconds")
        {
            Description = "Minimum warm-up time: the JIT optimizes the generated methods only after tens of calls and a delay.",
            DefaultValueFactory = _ => 2.0,
        };
        var jitWait = new Option<double>("--jit-wait-seconds")
        {
            Description = "After warm-up, keep warming up until the JIT has compiled nothing for 1 s, for at most this long (0: no wait). " +
                          "Compiling the model in memory leaves background recompilation that would otherwise run during timing.",
            DefaultValueFactory = _ => 60.0,
        };
        var inputs = new Option<string?>("--inputs")
        {
            Description = "A test_data_set_N folder, a folder of .npy files, or 'random' (default: test_data_set_0 beside the model if present, else random).",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var ort = new Option<string>("--ort")
        {
            Description = "What ONNX Runtime runs for a model quantized by --quant: qdq (the QDQ export of the same quantization, " +
                          "the default) or float (the float model: int8 Octet against float ONNX Runtime, e.g. for a transformer block).",
            DefaultValueFactory = _ => "qdq",
        };
        ort.AcceptOnlyFromAmong("qdq", "float");
        var profile = new Option<bool>("--profile") { Description = "Time each op of the generated class instead (no ONNX Runtime): a table of op medians, slowest first." };

        var command = new Command("bench", "Time Octet's generated code against ONNX Runtime on the same inputs, in one process.")
        {
            model, shape, quant, numerics, threads, iterations, warmup, warmupSeconds, jitWait, inputs, json, profile, ort,
        };
        // Octet's own thread count, apart from ONNX Runtime's --threads (read in the action through OctetThreadsOption).
        command.Options.Add(OctetThreadsOption);
        command.Options.Add(OctetSpinOption);
        command.SetAction(parse => CommonOptions.Guard(() =>
        {
            int octetThreadCount = parse.GetValue(OctetThreadsOption);
            if (octetThreadCount < 1 || octetThreadCount > 256) throw new OctetException($"--octet-threads {octetThreadCount}: from 1 to 256");
            double spinMicroseconds = parse.GetValue(OctetSpinOption);
            if (!(spinMicroseconds >= 0 && spinMicroseconds <= Octet.Runtime.Threading.WorkerTeam.MaxWorkerSpin.TotalMicroseconds))
                throw new OctetException($"--octet-spin-us {spinMicroseconds}: from 0 to {Octet.Runtime.Threading.WorkerTeam.MaxWorkerSpin.TotalMicroseconds:0}");
            int threadCount = parse.GetValue(threads);
            int rounds = parse.GetValue(iterations);
            int warmupRounds = parse.GetValue(warmup);
            double warmupTime = parse.GetValue(warmupSeconds);
            if (threadCount < 1) throw new OctetException($"--threads {threadCount}: at least 1");
            if (rounds < 1) throw new OctetException($"--iterations {rounds}: at least 1");
            if (warmupRounds < 0) throw new OctetException($"--warmup {warmupRounds}: must not be negative");
            if (!(warmupTime >= 0 && warmupTime <= 3600)) throw new OctetException($"--warmup-seconds {warmupTime}: from 0 to 3600");
            double jitWaitTime = parse.GetValue(jitWait);
            if (!(jitWaitTime >= 0 && jitWaitTime <= 3600)) throw new OctetException($"--jit-wait-seconds {jitWaitTime}: from 0 to 3600");
            return Bench(parse.GetValue(model)!, parse.GetValue(shape), parse.GetValue(quant), parse.GetValue(numerics),
                threadCount, rounds, warmupRounds, TimeSpan.FromSeconds(warmupTime), parse.GetValue(inputs), parse.GetValue(json), parse.GetValue(profile), octetThreadCount,
                parse.GetValue(ort) == "float", TimeSpan.FromMicroseconds(spinMicroseconds), TimeSpan.FromSeconds(jitWaitTime));
        }));
        return command;
    }

    private static readonly Option<int> OctetThreadsOption = new("--octet-threads")
    {
        Description = "Threads of the worker team Octet's generated class splits its large ops over (1: none).",
        DefaultValueFactory = _ => 1,
    };

    /// <summary>The worker team's idle spin (<see cref="Octet.Runtime.Threading.WorkerTeam"/>'s constructor argument).</summary>
    private static readonly Option<double> OctetSpinOption = new("--octet-spin-us")
    {
        Description = "How long an idle worker of Octet's team spins for the next op before it blocks, in microseconds (default 50).",
        DefaultValueFactory = _ => Octet.Runtime.Threading.WorkerTeam.DefaultWorkerSpin.TotalMicroseconds,
    };

    private static int Bench(string modelPath, string[]? shapes, string? quantPath, string? numericsText, int threads,
        int rounds, int warmupRounds, TimeSpan warmupTime, string? inputSpec, bool json, bool profile = false, int octetThreadCount = 1,
        bool ortFloat = false, TimeSpan? workerSpin = null, TimeSpan? jitWaitLimit = null)
    {
        var graph = CommonOptions.Load(modelPath, shapes);
        bool arrivesQuantized = QuantizedModelImport.IsQuantized(graph);
        if (arrivesQuantized && quantPath is not null)
            throw new OctetException($"{modelPath} is already quantized; bench it without --quant (its own quantization is kept exactly)");
        if (ortFloat && quantPath is null)
            throw new OctetException($"--ort float needs --quant: it compares the int8 plan Octet compiles from a quantization config with the float model ({modelPath} has no --quant)");
        var config = quantPath is null ? null : GraphPreparation.LoadConfig(quantPath, graph);

        inputSpec ??= DefaultInputs(modelPath);
        var values = InputSets.Load(inputSpec, graph);

        // The same compilation as octet compile and the build: plan, packed weights, generated class.
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(modelPath), config, EvalCommand.ParseNumerics(numericsText));
        var plan = compiled.Plan;
        const string ns = "Octet.Bench";
        string className = ModelNaming.PascalCase(Path.GetFileNameWithoutExtension(modelPath));
        var emitted = ModelClassEmitter.Emit(plan, ns, className);
        if (emitted.Problems.Count > 0)
            throw new OctetException($"code generation for {modelPath} reported: {string.Join("; ", emitted.Problems.Select(p => $"{p.Id}: {p.Message}"))}");
        var modelClass = InMemoryModelClass.Compile(plan, emitted.Source, ns + "." + className);

        var tempFolder = Path.Combine(Path.GetTempPath(), $"octet-bench-{Environment.ProcessId}");
        try
        {
            string ortModel = modelPath;
            string ortDescription = plan.Numerics == ModelPlan.Float32 ? "the float model" : "the quantized model itself";
            if (config is not null && ortFloat) ortDescription = "the float model (--ort float)";
            else if (config is not null)
            {
                // ONNX Runtime runs the same quantization as Octet: the QDQ export of the config (export-qdq).
                Directory.CreateDirectory(tempFolder);
                ortModel = Path.Combine(tempFolder, Path.GetFileNameWithoutExtension(modelPath) + ".qdq.onnx");
                try
                {
                    OnnxModelWriter.Write(GraphPreparation.ToQdq(graph, config), ortModel);
                }
                catch (OctetException e)
                {
                    // Fused transformer nodes (LayerNormalization, Gelu) need newer opsets than the rest of the graph was
                    // exported with; the float model is then the ONNX Runtime side to compare with.
                    throw new OctetException($"{modelPath}: the QDQ export for ONNX Runtime cannot be written ({e.Message}); bench against the float model with --ort float", e);
                }
                ortDescription = "the exported QDQ model";
            }

            var (inputTypes, outputTypes) = InMemoryModelClass.RunTypes(plan);
            var octetInputs = plan.Inputs.Select((edge, i) => InputArray(values, edge.Name, inputTypes[i])).ToArray();
            var octetOutputs = plan.Outputs.Select((edge, o) => Array.CreateInstance(outputTypes[o], OutputLength(plan, edge))).ToArray();
            using var weights = ModelWeights.FromBytes(compiled.Weights);
            using var team = octetThreadCount > 1 ? new Octet.Runtime.Threading.WorkerTeam(octetThreadCount, workerSpin) : null;
            if (profile)
                return OpProfiler.Report(OpProfiler.Run(plan, emitted.Source, ns + "." + className, weights, octetInputs, octetOutputs,
                    warmupRounds, warmupTime, rounds, team, jitWaitLimit), modelPath, json);
            var octetRun = modelClass.Bind(weights, team, octetInputs, octetOutputs);

            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
            using var session = new InferenceSession(ortModel, options);
            var feeds = graph.Inputs.Select(name => OnnxRuntimeReference.ToNamedOnnxValue(name, values[name])).ToList();
            var outputNames = graph.Outputs.ToList();
            IReadOnlyList<NamedOnnxValue>? ortResults = null;
            void OrtRun() => ortResults = session.Run(feeds, outputNames);

            var timing = AlternatingTimer.Run(octetRun, OrtRun, warmupRounds, warmupTime, rounds, jitWaitLimit);
            double maxAbsDiff = MaxAbsDifference(plan, octetOutputs, ortResults!);

            var result = new BenchResult(modelPath, plan.Numerics, threads, timing.MedianFirstMicroseconds, timing.MedianSecondMicroseconds,
                rounds, timing.WarmupRounds, inputSpec, OrtEnv.OnnxRuntimeVersion, ortDescription, maxAbsDiff) { OctetThreads = octetThreadCount, JitQuiet = timing.JitQuiet };
            if (json) Console.WriteLine(JsonSerializer.Serialize(result.ToJson(), new JsonSerializerOptions { WriteIndented = true }));
            else result.WriteText(Console.Out);
            return ExitCodes.Success;
        }
        finally
        {
            if (Directory.Exists(tempFolder)) Directory.Delete(tempFolder, recursive: true);
        }
    }

    /// <summary>The model's own stored inputs when it has them (real data exercises real activation ranges), else random.</summary>
    private static string DefaultInputs(string modelPath)
    {
        var stored = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".", "test_data_set_0");
        return Directory.Exists(stored) ? stored : "random";
    }

    private static Array InputArray(Dictionary<string, Tensor> values, string name, Type type)
    {
        if (!values.TryGetValue(name, out var tensor))
            throw new OctetException($"no input value for the generated class's input '{name}'");
        if (tensor.Data.GetType().GetElementType() != type)
            throw new OctetException($"input '{name}' is {tensor.ElementType}, the generated Run takes {type.Name}");
        return tensor.Data;
    }

    private static int OutputLength(ModelPlan plan, PlanEdge edge) =>
        checked((int)OpEmitContext.ElementCount(plan.Tensors.First(t => t.Name == edge.Tensor)));

    /// <summary>
    /// Largest |Octet − ONNX Runtime| over the float outputs: a guard that the two timed runs computed the same
    /// thing (int8 plans differ by a few output steps in integer-only numerics; that is verify's business).
    /// </summary>
    private static double MaxAbsDifference(ModelPlan plan, Array[] octetOutputs, IReadOnlyList<NamedOnnxValue> ortResults)
    {
        double max = 0;
        for (int o = 0; o < plan.Outputs.Count; o++)
        {
            if (octetOutputs[o] is not float[] octet) continue;
            var ort = ortResults.FirstOrDefault(r => r.Name == plan.Outputs[o].Name)?.Data as float[];
            if (ort is null || ort.Length != octet.Length) continue;
            for (int i = 0; i < octet.Length; i++) max = Math.Max(max, Math.Abs((double)octet[i] - ort[i]));
        }
        return max;
    }
}
