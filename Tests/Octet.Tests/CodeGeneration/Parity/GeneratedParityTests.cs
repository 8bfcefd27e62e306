using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Reference;
using Octet.Compiler.Verification;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.CodeGeneration.Plan;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// Every shared model, compiled to a plan, generated to C#, compiled by Roslyn in memory and run on the
/// model's stored inputs (fixed-seed random ones where it has none), against the reference executor running
/// the compiler's final graph (the same graph the plan was made from: lowered, laid out, Relayout nodes
/// included; Relayout is the identity there).
/// <list type="bullet">
/// <item>int8 plans: every output that leaves the model through a dequantize step at the edge must be
/// bit-identical (integer arithmetic inside, and the same one float32 multiply per element at the edge);
/// <c>RunQuantized</c>'s 8-bit outputs must equal the reference's 8-bit tensors exactly. Outputs behind
/// float ops that stay in float (a final Softmax) get the float tolerance below.</item>
/// <item>float plans: <see cref="Tolerance.Float32"/> (relative 1e-3, or 1e-4 of the output's range): the
/// generated kernels sum in a different order (SIMD lanes, NHWC) than the reference executor, so float32
/// rounding differs; this is the same tolerance the reference executor meets against ONNX Runtime, so
/// agreement with ONNX Runtime follows within twice of it. Argmax must agree.</item>
/// </list>
/// Models whose quantization is applied by Octet (float models) are calibrated with MinMax on the same inputs.
/// </summary>
public sealed class GeneratedParityTests
{
    private readonly ITestOutputHelper _output;
    public GeneratedParityTests(ITestOutputHelper output) => _output = output;

    /// <summary>The shared float models (a model folder's model.onnx, or a file under ort-synthetic).</summary>
    private static readonly string[] FloatModels =
    [
        "mnist-8", "squeezenet1.0", "cifar10-classifier", "super-resolution", "ultraface-320",
        "ort-synthetic/mobilenet_v3_small_excerpt.onnx",
    ];

    public static IEnumerable<object[]> FloatPlans() => FloatModels.Select(m => new object[] { m });

    public static IEnumerable<object[]> QuantizedByOctet() =>
        from model in FloatModels
        from numerics in new[] { NumericsMode.IntegerOnly, NumericsMode.OrtCompatible }
        select new object[] { model, numerics };

    public static IEnumerable<object[]> AlreadyQuantized() =>
        from path in new[]
        {
            "mobilenetv3-small-qdq/model.onnx", "shufflenet-v2-int8/model.onnx",
            "ort-synthetic/conv_qdq_s8s8.onnx", "ort-synthetic/conv_qdq_s8s8_perchannel.onnx",
            "ort-synthetic/conv_qdq_u8u8.onnx",
            "ort-synthetic/qdq_with_multi_consumer_dq_nodes.onnx",
        }
        from numerics in new[] { NumericsMode.IntegerOnly, NumericsMode.OrtCompatible }
        select new object[] { path, numerics };

    [Theory]
    [MemberData(nameof(FloatPlans))]
    public void Float_plan_agrees_with_the_reference_executor(string model)
    {
        var path = ModelPath(model);
        var graph = OnnxModelLoader.Load(path);
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config: null, numerics: null);
        Assert.Equal("float32", compiled.Plan.Numerics);
        Check(model, compiled, StoredOrRandomInputs(model, graph));
    }

    [Theory]
    [MemberData(nameof(QuantizedByOctet))]
    public void Int8_plan_of_a_model_quantized_by_Octet_is_bit_identical_to_the_integer_reference(string model, NumericsMode numerics)
    {
        var path = ModelPath(model);
        var graph = OnnxModelLoader.Load(path);
        var inputs = StoredOrRandomInputs(model, graph);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList([inputs]),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, numerics);
        Check($"{model} int8 {numerics}", compiled, inputs);
    }

    [Theory]
    [MemberData(nameof(AlreadyQuantized))]
    public void Int8_plan_of_a_quantized_model_is_bit_identical_to_the_integer_reference(string file, NumericsMode numerics)
    {
        var path = Path.Combine(TestData.Folder, "models", file);
        var graph = OnnxModelLoader.Load(path, new LoadOptions { BindUnknownDimsToOne = true });
        var folder = Path.Combine(Path.GetDirectoryName(path)!, "test_data_set_0");
        var inputs = Path.GetFileName(path) == "model.onnx" && Directory.Exists(folder)
            ? InputSets.FromFolder(folder, graph)
            : InputSets.Random(graph, InputSets.RandomSeed);
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config: null, numerics);
        Check($"{file} {numerics}", compiled, inputs);
    }

    /// <summary>
    /// SqueezeNet's int8 plan ends in a float Softmax (kept in float by design), so its full-model test
    /// compares with the float tolerance. Cut before the Softmax, every output comes through an edge dequantize
    /// and the whole integer part must be bit-identical.
    /// </summary>
    [Theory]
    [InlineData(NumericsMode.IntegerOnly)]
    [InlineData(NumericsMode.OrtCompatible)]
    public void SqueezeNet_int8_plan_without_its_float_softmax_is_bit_identical(NumericsMode numerics)
    {
        var path = ModelPath("squeezenet1.0");
        var graph = OnnxModelLoader.Load(path);
        var softmax = graph.Producer(graph.Outputs[0])!;
        Assert.Equal("Softmax", softmax.OpType);
        graph.Outputs[0] = softmax.Inputs[0];
        graph.Nodes.Remove(softmax);
        var inputs = StoredOrRandomInputs("squeezenet1.0", graph);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList([inputs]),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, numerics);
        Assert.All(compiled.Plan.Outputs, o => Assert.NotNull(o.Quantized));
        Check($"squeezenet1.0 without Softmax int8 {numerics}", compiled, inputs);
    }

    /// <summary>A plan with an <c>octet.Table</c> (Conv → Sigmoid, see <see cref="TableModel"/>): bit-identical in both numerics.</summary>
    [Theory]
    [InlineData(NumericsMode.IntegerOnly)]
    [InlineData(NumericsMode.OrtCompatible)]
    public void Int8_plan_with_a_lookup_table_is_bit_identical_to_the_integer_reference(NumericsMode numerics)
    {
        using var folder = new TempFolder();
        var compiled = TableModel.CompileInt8(folder, numerics);
        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.Table");
        Assert.All(compiled.Plan.Outputs, o => Assert.NotNull(o.Quantized));
        Check($"{TableModel.FileName} int8 {numerics}", compiled, TableModel.Inputs());
    }

    private static string ModelPath(string model) => model.EndsWith(".onnx", StringComparison.Ordinal)
        ? Path.Combine(TestData.Folder, "models", model)
        : TestData.Model(model);

    private static Dictionary<string, Tensor> StoredOrRandomInputs(string model, ModelGraph graph)
    {
        var folder = Path.Combine(Path.GetDirectoryName(ModelPath(model))!, "test_data_set_0");
        return !model.EndsWith(".onnx", StringComparison.Ordinal) && Directory.Exists(folder) ? InputSets.FromFolder(folder, graph) : InputSets.Random(graph, InputSets.RandomSeed);
    }

    private void Check(string label, CompiledModel compiled, Dictionary<string, Tensor> inputs)
    {
        var plan = compiled.Plan;
        var generated = GeneratedModel.Build(plan, className: "ParityModel");
        var instance = generated.Create(compiled.Weights);

        // The reference runs the compiler's final graph; observe keeps the 8-bit tensors at the edges.
        var edgeTensors = new HashSet<string>(plan.Inputs.Concat(plan.Outputs).Where(e => e.Quantized != null).Select(e => e.Quantized!.Tensor));
        var observed = new Dictionary<string, Tensor>();
        var expected = new ReferenceExecutor(compiled.Graph).Run(inputs, (name, value) =>
        {
            if (edgeTensors.Contains(name)) observed[name] = value;
        });

        var runInputs = plan.Inputs.Select(e => (Array)inputs[e.Name].ToFloatArray()).ToArray();
        var runOutputs = plan.Outputs.Select(e => (Array)new float[OutputLength(plan, e)]).ToArray();
        generated.RunDelegate(instance, runInputs, runOutputs);
        // Twice: a second Run on the same instance must give the same result (no state leaks between runs).
        var again = plan.Outputs.Select(e => (Array)new float[OutputLength(plan, e)]).ToArray();
        generated.RunDelegate(instance, runInputs, again);

        bool integer = plan.Numerics != "float32";
        for (int i = 0; i < plan.Outputs.Count; i++)
        {
            var edge = plan.Outputs[i];
            var reference = expected[edge.Name];
            var actual = Tensor.Create(reference.Shape, (float[])runOutputs[i]);
            Assert.Equal((float[])runOutputs[i], (float[])again[i]);
            if (integer && edge.Quantized != null)
            {
                var want = reference.ToFloatArray();
                var got = (float[])runOutputs[i];
                int mismatches = Enumerable.Range(0, want.Length).Count(j => BitConverter.SingleToInt32Bits(want[j]) != BitConverter.SingleToInt32Bits(got[j]));
                _output.WriteLine($"{label} output '{edge.Name}' {reference}: {mismatches} of {want.Length} values differ from the integer reference (bit-exact required)");
                Assert.Equal(0, mismatches);
            }
            else
            {
                var agreement = TensorAgreement.Measure(edge.Name, actual, reference, Tolerance.Float32);
                _output.WriteLine($"{label} output '{edge.Name}' {reference}: max abs diff {agreement.MaxAbsDiff:G3} " +
                                  $"of range {agreement.ReferenceRange:G4}, argmax agreement {agreement.ArgmaxAgreement:P1}");
                Assert.True(agreement.WithinTolerance, agreement.ToString());
                Assert.Equal(1.0, agreement.ArgmaxAgreement);
            }
        }

        if (generated.RunQuantizedDelegate is { } runQuantized)
        {
            // RunQuantized skips the edge steps: feed it the reference's quantized inputs, compare 8-bit outputs exactly.
            var quantizedInputs = plan.Inputs.Select(e => QuantizedArray(observed[e.Quantized!.Tensor])).ToArray();
            var quantizedOutputs = plan.Outputs.Select(e => (Array)(e.Quantized!.ElementType == "int8"
                ? new sbyte[OutputLength(plan, e)] : new byte[OutputLength(plan, e)])).ToArray();
            runQuantized(instance, quantizedInputs, quantizedOutputs);
            for (int i = 0; i < plan.Outputs.Count; i++)
            {
                var want = observed[plan.Outputs[i].Quantized!.Tensor];
                Assert.Equal(QuantizedArray(want), quantizedOutputs[i]);
            }
        }
    }

    private static Array QuantizedArray(Tensor tensor) => tensor.ElementType == ElementType.Int8
        ? tensor.As<sbyte>().ToArray()
        : tensor.As<byte>().ToArray();

    private static int OutputLength(Octet.Generator.Plan.ModelPlan plan, Octet.Generator.Plan.PlanEdge edge) =>
        (int)plan.Tensors.First(t => t.Name == edge.Tensor).Shape.Aggregate(1L, (a, d) => a * d);
}
