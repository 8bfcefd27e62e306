using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Reference;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.FrontEnd;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The transformer test models compiled integer-only with a 16-bit residual stream (<c>transformer.wide_activations:
/// residual</c>, row 9a of docs/integer-transformers.md): the plan holds int16 tensors (stream, writers, head, the
/// post-LN activations the stream reads) and their kernels (QGemm/QConv with int16 output, QGemm with an int16 A and
/// int64 accumulation, QAdd on int16, ILayerNorm on int16, Requantize int16 → 8-bit copies, the head's int16 output
/// dequantized last). The generated class, compiled in memory, must give the float bits of the reference executor
/// running the compiler's final graph on the same random inputs.
/// </summary>
public sealed class WideTransformerParityTests
{
    private readonly ITestOutputHelper _output;
    public WideTransformerParityTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Cases() =>
    [
        ["vit", "ibert", "table"],
        ["vit", "shiftmax", "shiftgelu"],
        ["bert_toy", "ibert", "table"],
        ["bert_toy", "shiftmax", "shiftgelu"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_transformer_with_int16_stream_is_bit_identical_to_the_integer_reference(string model, string softmax, string gelu)
    {
        using var folder = new TempFolder();
        var (graph, path) = TransformerCompilation.Load(model, folder.Path);
        var config = TransformerCompilation.Calibrate(graph, softmax, gelu);
        config = config with { Transformer = config.Transformer with { WideActivations = WideActivationPolicy.Residual } };
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, NumericsMode.IntegerOnly);

        var wide = compiled.Plan.Tensors.Where(t => t.ElementType == "int16").ToList();
        _output.WriteLine($"{model} softmax={softmax} gelu={gelu}: {wide.Count} int16 tensors; plan ops " +
                          string.Join(", ", compiled.Plan.Ops.GroupBy(o => o.OpType).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}")));
        Assert.NotEmpty(wide);
        bool IsWide(string tensor) => wide.Any(t => t.Name == tensor);
        // The stream is added in int16 and normalized from int16.
        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.QAdd" && op.Outputs.Any(IsWide));
        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.ILayerNorm" && op.Inputs.Any(IsWide));
        bool IsWideInput(Octet.Generator.Plan.PlanOp op) => op.Inputs.Count > 0 && IsWide(op.Inputs[0]);
        _output.WriteLine($"  int16-input ops: {string.Join(", ", compiled.Plan.Ops.Where(IsWideInput).GroupBy(o => o.OpType).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}; " +
                          $"int16-output ops: {string.Join(", ", compiled.Plan.Ops.Where(op => op.Outputs.Any(IsWide)).GroupBy(o => o.OpType).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}");

        // A Table on an int16 input reads its 65,536 entries from the weights, not from a plan attribute (source literal).
        foreach (var table in compiled.Plan.Ops.Where(op => op.OpType == "octet.Table" && IsWideInput(op)))
        {
            Assert.Equal(2, table.Inputs.Count);
            var entries = compiled.Plan.Tensors.First(t => t.Name == table.Inputs[1]);
            Assert.Equal(Octet.Generator.Plan.PlanStorage.Weights, entries.Storage);
            Assert.Equal([65536], entries.Shape.ToArray());
            Assert.DoesNotContain(table.Attributes, a => a.Name == "table");
        }

        GeneratedModel generated;
        try
        {
            generated = GeneratedModel.Build(compiled.Plan, className: "WideTransformerModel");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException || e.Message.Contains("does not compile", StringComparison.Ordinal))
        {
            // Show the generated lines the compiler complained about (the message names them by line number).
            var source = Octet.Generator.Emit.ModelClassEmitter.Emit(compiled.Plan, "Octet.Tests.Generated", "WideTransformerModel").Source.Split('\n');
            foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(e.Message, @"\.g\.cs\((\d+),"))
            {
                int line = int.Parse(match.Groups[1].Value);
                for (int i = Math.Max(0, line - 4); i < Math.Min(source.Length, line + 1); i++) _output.WriteLine($"{i + 1}: {source[i]}");
            }
            throw;
        }
        var instance = generated.Create(compiled.Weights);
        var reference = new ReferenceExecutor(compiled.Graph);
        foreach (var inputs in TransformerCompilation.Inputs(graph, count: 4, seed: 21))
        {
            var expected = reference.Run(inputs);
            var runInputs = compiled.Plan.Inputs.Select(e => ToArray(inputs[e.Name])).ToArray();
            var runOutputs = compiled.Plan.Outputs.Select(e => (Array)new float[Length(compiled, e.Tensor)]).ToArray();
            generated.RunDelegate(instance, runInputs, runOutputs);
            for (int i = 0; i < compiled.Plan.Outputs.Count; i++)
            {
                var want = expected[compiled.Plan.Outputs[i].Name].As<float>().ToArray();
                var got = (float[])runOutputs[i];
                int mismatches = Enumerable.Range(0, want.Length).Count(j => BitConverter.SingleToInt32Bits(want[j]) != BitConverter.SingleToInt32Bits(got[j]));
                _output.WriteLine($"  output '{compiled.Plan.Outputs[i].Name}' [{want.Length}]: {mismatches} value(s) differ from the integer reference");
                Assert.Equal(0, mismatches);
            }
        }
    }

    private static Array ToArray(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Int64 => tensor.As<long>().ToArray(),
        ElementType.Int32 => tensor.As<int>().ToArray(),
        _ => tensor.ToFloatArray(),
    };

    private static int Length(CompiledModel compiled, string tensor) =>
        (int)compiled.Plan.Tensors.First(t => t.Name == tensor).Shape.Aggregate(1L, (a, d) => a * d);
}
