using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Onnx.Proto;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Import;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.HostileInput;

/// <summary>
/// Structure-level mutants of quantized models (QDQ and QOperator) and of small float models through the
/// whole quantization pipeline: import, or calibration and QDQ quantization, integer lowering in both numerics modes, and
/// execution of the integer plan. Allowed outcomes: success or an <see cref="OctetException"/>; anything
/// else (another exception type, a hang) fails with the seed so it can be replayed.
/// </summary>
public sealed class QuantizationMutationTests
{
    private const int Mutants = 2000;
    private readonly ITestOutputHelper _output;
    public QuantizationMutationTests(ITestOutputHelper output) => _output = output;

    private static readonly string[] Seeds =
    [
        "models/ort-synthetic/conv_qdq_s8s8.onnx", "models/ort-synthetic/conv_qdq_s8s8_perchannel.onnx",
        "models/ort-synthetic/conv_qdq_u8u8.onnx", "models/ort-synthetic/layout_transform_reshape.qdq.onnx",
        "models/ort-synthetic/qdq_with_multi_consumer_dq_nodes.onnx", "onnx-node/test_qlinearconv/model.onnx",
        "onnx-node/test_qlinearmatmul_2D_int8_float32/model.onnx", "models/mnist-8/model.onnx",
    ];

    [Fact]
    public void Mutated_models_through_quantization_and_lowering_succeed_or_are_rejected()
    {
        using var folder = new TempFolder();
        var protos = Seeds.Select(s => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(TestData.Folder, s)))).ToArray();
        int rejected = 0, lowered = 0, executed = 0;
        var failures = new List<string>();
        for (int seed = 0; seed < Mutants; seed++)
        {
            var random = new Random(seed);
            int which = random.Next(protos.Length);
            var (bytes, description) = StructureMutator.Mutate(protos[which], random);
            var path = folder.File($"q{seed}.onnx");
            File.WriteAllBytes(path, bytes);
            var outcome = "";
            var (finished, error) = Hostile.Run(() => outcome = Pipeline(path, seed));
            File.Delete(path);
            if (!finished) { failures.Add($"seed {seed} ({Seeds[which]}: {description}): did not finish within {Hostile.Timeout.TotalSeconds} s"); continue; }
            if (error is OctetException) { rejected++; continue; }
            if (error is not null) { failures.Add($"seed {seed} ({Seeds[which]}: {description}): {error.GetType().Name}: {error.Message}\n{error.StackTrace}"); continue; }
            if (outcome.Contains("lowered")) lowered++;
            if (outcome.Contains("executed")) executed++;
        }
        _output.WriteLine($"{Mutants} mutants: {rejected} rejected with OctetException, {lowered} lowered, {executed} executed, {failures.Count} failed");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        // The campaign must reach the integer pipeline, not only the loader.
        Assert.True(executed > Mutants / 10, $"only {executed} mutants reached integer execution");
    }

    private static string Pipeline(string path, int seed)
    {
        var graph = OnnxModelLoader.Load(path, new LoadOptions { BindUnknownDimsToOne = true });
        if (ExecutionCost.Estimate(graph) > 5e6) return "loaded";
        var inputs = InputSets.Random(graph, seed);
        ModelGraph qdq;
        if (QuantizedModelImport.IsQuantized(graph)) qdq = QuantizedModelImport.ToQdq(graph);
        else
        {
            // A float model: calibrate on one random input (min/max) and quantize it.
            var config = Calibrator.Run(graph, CalibrationSamples.FromList([inputs]), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
            qdq = QdqQuantizer.Apply(graph, config.ToRequest());
        }
        var outcome = "lowered";
        foreach (var mode in new[] { NumericsMode.IntegerOnly, NumericsMode.OrtCompatible })
        {
            var plan = IntegerLowering.Lower(qdq, mode);
            IntegerPlanCheck.FindFloatArithmetic(plan);
            new ReferenceExecutor(plan).Run(inputs);
            outcome = "lowered executed";
        }
        return outcome;
    }
}
