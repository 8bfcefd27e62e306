namespace Octet.Cli.Benchmarking;

/// <summary>What one <c>octet bench</c> run measured, and how it prints.</summary>
/// <param name="Numerics">The plan's numerics: "float32", "integer-only" or "ort-compatible".</param>
/// <param name="Threads">ONNX Runtime's intra-op threads (Octet's are <see cref="OctetThreads"/>).</param>
/// <param name="MaxAbsDiff">Largest |Octet − ONNX Runtime| over the float outputs of the last timed run.</param>
internal sealed record BenchResult(
    string Model,
    string Numerics,
    int Threads,
    double OctetMicroseconds,
    double OrtMicroseconds,
    int Iterations,
    int Warmup,
    string Inputs,
    string OrtVersion,
    string OrtModel,
    double MaxAbsDiff)
{
    /// <summary>Threads of the worker team Octet's generated class ran with (<c>--octet-threads</c>; 1: no team).</summary>
    public int OctetThreads { get; init; } = 1;

    /// <summary>False when the JIT was still compiling when the warm-up's wait ended; null when there was no wait (see <see cref="AlternatingTimer"/>).</summary>
    public bool? JitQuiet { get; init; }

    /// <summary>Above 1: Octet is faster.</summary>
    public double Ratio => OrtMicroseconds / OctetMicroseconds;

    public Dictionary<string, object> ToJson() => new()
    {
        ["model"] = Model,
        ["numerics"] = Numerics,
        ["threads"] = Threads,
        ["octet_threads"] = OctetThreads,
        ["octet_us"] = Math.Round(OctetMicroseconds, 2),
        ["ort_us"] = Math.Round(OrtMicroseconds, 2),
        ["ratio"] = Math.Round(Ratio, 4),
        ["iterations"] = Iterations,
        ["warmup"] = Warmup,
        ["jit_quiet"] = JitQuiet!,
        ["inputs"] = Inputs,
        ["ort_version"] = OrtVersion,
        ["ort_model"] = OrtModel,
        ["max_abs_diff"] = double.IsFinite(MaxAbsDiff) ? MaxAbsDiff : -1,
    };

    public void WriteText(TextWriter output)
    {
        string plan = Numerics == Generator.Plan.ModelPlan.Float32 ? "float32 plan" : $"int8 plan ({Numerics})";
        output.WriteLine($"model: {Model} ({plan}); inputs: {Inputs}");
        output.WriteLine(OctetThreads == 1
            ? "Octet: generated code compiled in memory (Release), single-threaded"
            : $"Octet: generated code compiled in memory (Release), large ops split over a worker team of {OctetThreads} threads");
        output.WriteLine($"ONNX Runtime {OrtVersion}: {OrtModel}, graph optimizations on, {Threads} intra-op thread{(Threads == 1 ? "" : "s")}");
        string jit = JitQuiet switch { true => ", the last 1 s of them without JIT compilation", false => ", the JIT still compiling at the end", null => "" };
        output.WriteLine($"{Iterations} timed runs of each after {Warmup} warm-up runs{jit}, alternating; medians:");
        if (JitQuiet == false) output.WriteLine("warning: the JIT was still compiling methods when the warm-up's wait ended; these times may carry its load");
        output.WriteLine($"  octet  {OctetMicroseconds,12:F1} µs");
        output.WriteLine($"  ort    {OrtMicroseconds,12:F1} µs");
        output.WriteLine($"  ratio  {Ratio,12:F2}   (ort_us / octet_us; above 1 means Octet is faster)");
        output.WriteLine($"outputs: max |octet − ort| = {MaxAbsDiff:G4}");
    }
}
