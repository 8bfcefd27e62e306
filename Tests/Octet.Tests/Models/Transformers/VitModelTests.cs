using Octet.Cli.Commands;
using Octet.Compiler.Quantization.Patterns;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.Quantization.Transformers;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.Models.Transformers;

/// <summary>The ViT written by <see cref="VitModelWriter"/>: deterministic, and the reference executor agrees with ONNX Runtime on it.</summary>
public sealed class VitModelTests
{
    private readonly ITestOutputHelper _output;
    public VitModelTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Writer_is_deterministic()
    {
        var writer = new VitModelWriter();
        Assert.Equal(writer.Build().ToBytes(), new VitModelWriter().Build().ToBytes());
        Assert.NotEqual(writer.Build().ToBytes(), new VitModelWriter { Seed = writer.Seed + 1 }.Build().ToBytes());
    }

    [Fact]
    public void Reference_executor_agrees_with_OnnxRuntime_before_and_after_fusion()
    {
        using var folder = new TempFolder();
        var (graph, path) = TransformerModels.LoadVit(folder.Path);
        var fused = graph.Clone();
        var summary = TransformerFusion.Run(fused);
        Assert.Equal(4, summary.ErfGelus); // one per block
        var plain = new ReferenceExecutor(graph);
        var fusedRun = new ReferenceExecutor(fused);
        double worst = 0;
        foreach (var inputs in TransformerModels.RandomInputs(graph, 10, seed: 5))
        {
            var ort = OnnxRuntimeReference.Run(path, inputs, graph.Outputs)[VitModelWriter.OutputName].As<float>();
            foreach (var octet in new[] { plain.Run(inputs), fusedRun.Run(inputs) })
            {
                var logits = octet[VitModelWriter.OutputName].As<float>();
                // Float32 throughout on both sides, different summation orders over ~30 layers of O(1)
                // values: 1e-4 absolute on logits of magnitude ~1–5 is the usual float tolerance here.
                for (int i = 0; i < logits.Length; i++) worst = Math.Max(worst, Math.Abs(logits[i] - ort[i]));
            }
        }
        _output.WriteLine($"max |Octet − ONNX Runtime| on logits: {worst:E2}");
        Assert.True(worst < 1e-4, $"max difference {worst:E2}");
    }
}
