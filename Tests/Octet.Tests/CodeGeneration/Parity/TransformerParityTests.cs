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
/// The transformer test models compiled integer-only (pattern fusion in the compile path, ISoftmax / IGelu or
/// Table / ILayerNorm, Q·Kᵀ and A·V as QMatMul of two activations), generated to C#, compiled in memory, and run on
/// random inputs against the reference executor running the compiler's final graph: every output leaves through an
/// edge dequantize, so the generated code must give the same float bits (integers inside, the same one multiply at
/// the edge), and <c>RunQuantized</c> the same 8-bit outputs. attention_distilbert is bound to the 3 tokens it was
/// exported for (<see cref="TransformerCompilation.DistilBertShapes"/>).
/// </summary>
public sealed class TransformerParityTests
{
    private readonly ITestOutputHelper _output;
    public TransformerParityTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Cases() =>
    [
        ["vit", "ibert", "table", "uniform"],
        ["vit", "shiftmax", "shiftgelu", "uniform"],
        ["vit", "ibert", "ibert", "uniform"],
        ["bert_toy", "ibert", "table", "uniform"],
        ["bert_toy", "shiftmax", "shiftgelu", "uniform"],
        ["bert_toy", "ibert", "ibert", "uniform"],
        ["vit", "ibert", "table", "log2"],
        ["bert_toy", "shiftmax", "table", "logsqrt2"],
        // attention_distilbert (no GELU: its Table is the query scaling Div): the attention mask is octet.Select.
        ["distilbert", "ibert", "table", "uniform"],
        ["distilbert", "shiftmax", "table", "log2"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_integer_transformer_is_bit_identical_to_the_integer_reference(string model, string softmax, string gelu, string softmaxQuantizer)
    {
        using var folder = new TempFolder();
        var (graph, path) = TransformerCompilation.Load(model, folder.Path);
        var config = TransformerCompilation.Calibrate(graph, softmax, gelu);
        Assert.True(ConfigNames.TryParseSoftmaxQuantizer(softmaxQuantizer, out var quantizer));
        config = config with { Transformer = config.Transformer with { SoftmaxQuantizer = quantizer } };
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, NumericsMode.IntegerOnly);

        var opTypes = compiled.Plan.Ops.Select(op => op.OpType).ToHashSet();
        _output.WriteLine($"{model} softmax={softmax} gelu={gelu} softmax_quantizer={softmaxQuantizer}: plan ops {string.Join(", ", compiled.Plan.Ops.GroupBy(o => o.OpType).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}");
        Assert.Contains(softmaxQuantizer == "uniform" ? "octet.ISoftmax" : "octet.IShiftAttention", opTypes);
        Assert.Contains("octet.ILayerNorm", opTypes);
        Assert.Contains(gelu == "table" ? "octet.Table" : "octet.IGelu", opTypes);
        if (model == "distilbert") Assert.Contains("octet.Select", opTypes);
        if (softmaxQuantizer == "uniform")
            Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.QMatMul" && op.Inputs.All(i => compiled.Plan.Tensors.First(t => t.Name == i).Storage == Octet.Generator.Plan.PlanStorage.Arena));
        Assert.All(compiled.Plan.Outputs, o => Assert.NotNull(o.Quantized));

        var generated = GeneratedModel.Build(compiled.Plan, className: "TransformerModel");
        var instance = generated.Create(compiled.Weights);
        var reference = new ReferenceExecutor(compiled.Graph);
        var outputEdges = new HashSet<string>(compiled.Plan.Outputs.Select(e => e.Quantized!.Tensor));
        var inputEdges = new HashSet<string>(compiled.Plan.Inputs.Where(e => e.Quantized != null).Select(e => e.Quantized!.Tensor));
        foreach (var inputs in TransformerCompilation.Inputs(graph, count: 4, seed: 21))
        {
            var observed = new Dictionary<string, Tensor>();
            var expected = reference.Run(inputs, (name, value) =>
            {
                if (outputEdges.Contains(name) || inputEdges.Contains(name)) observed[name] = value;
            });
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
            if (generated.RunQuantizedDelegate is { } runQuantized)
            {
                var quantizedInputs = compiled.Plan.Inputs.Select(e => EightBit(observed[e.Quantized!.Tensor])).ToArray();
                var quantizedOutputs = compiled.Plan.Outputs.Select(e => (Array)(e.Quantized!.ElementType == "int8"
                    ? new sbyte[Length(compiled, e.Tensor)] : new byte[Length(compiled, e.Tensor)])).ToArray();
                runQuantized(instance, quantizedInputs, quantizedOutputs);
                for (int i = 0; i < compiled.Plan.Outputs.Count; i++)
                    Assert.Equal(EightBit(observed[compiled.Plan.Outputs[i].Quantized!.Tensor]), quantizedOutputs[i]);
            }
        }
    }

    private static Array ToArray(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Int64 => tensor.As<long>().ToArray(),
        ElementType.Int32 => tensor.As<int>().ToArray(),
        _ => tensor.ToFloatArray(),
    };

    private static Array EightBit(Tensor tensor) => tensor.ElementType == ElementType.Int8 ? tensor.As<sbyte>().ToArray() : tensor.As<byte>().ToArray();

    private static int Length(CompiledModel compiled, string tensor) =>
        (int)compiled.Plan.Tensors.First(t => t.Name == tensor).Shape.Aggregate(1L, (a, d) => a * d);
}
