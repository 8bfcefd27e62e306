using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.WideActivations;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.WideActivations;

/// <summary>
/// What the QDQ quantizer writes with <c>transformer.wide_activations = "residual"</c>: which tensors are int16 and
/// with which parameters, the Q/DQ domain (com.microsoft below opset 21, ONNX from 21), the 8-bit copies (exactly the
/// linear layers with an 8-bit output that read a 16-bit tensor, their biases at the copy's scale), and a model
/// without a residual stream refused. A hand-written post-LN block gives exact expected sets; the transformer test
/// models check the same rules at scale.
/// </summary>
public sealed class WideActivationQuantizerTests
{
    /// <summary>
    /// x → Add(pos) = a → LayerNorm = n1 → MatMul(W3) → Relu = q → MatMul(W1) = h → Add(n1, h) = r → LayerNorm = n2 →
    /// MatMul(W2) = y. Post-LN: the stream is {a, r}, h is written into it, n1 is a LayerNorm output the stream reads,
    /// {n2, y} the head. The MatMul into the Relu reads the 16-bit n1 with an 8-bit (fused Relu) output: an 8-bit copy.
    /// </summary>
    private static ModelGraph PostLayerNormBlock(string folder, int opset)
    {
        var random = new Random(5);
        float[] Values(int n, float spread = 0.5f) => Enumerable.Range(0, n).Select(_ => (random.NextSingle() * 2 - 1) * spread).ToArray();
        var b = new OnnxModelBuilder(opset: opset, graphName: "post_ln_block")
            .Input("x", ElementType.Float32, 1, 4, 8)
            .Output("y", ElementType.Float32, 1, 4, 3);
        b.Initializer("pos", Values(32), 1, 4, 8);
        b.Initializer("g1", Values(8, 0.2f).Select(v => v + 1).ToArray(), 8);
        b.Initializer("b1", Values(8, 0.1f), 8);
        b.Initializer("g2", Values(8, 0.2f).Select(v => v + 1).ToArray(), 8);
        b.Initializer("b2", Values(8, 0.1f), 8);
        b.Initializer("W3", Values(64), 8, 8);
        b.Initializer("W1", Values(64), 8, 8);
        b.Initializer("W2", Values(24), 8, 3);
        b.Node("Add", ["x", "pos"], ["a"]);
        b.Node("LayerNormalization", ["a", "g1", "b1"], ["n1"], Attr.Int("axis", -1));
        b.Node("MatMul", ["n1", "W3"], ["g"]);
        b.Node("Relu", ["g"], ["q"]);
        b.Node("MatMul", ["q", "W1"], ["h"]);
        b.Node("Add", ["n1", "h"], ["r"]);
        b.Node("LayerNormalization", ["r", "g2", "b2"], ["n2"], Attr.Int("axis", -1));
        b.Node("MatMul", ["n2", "W2"], ["y"]);
        return OnnxModelLoader.Load(b.Save(folder));
    }

    private static QuantizationConfig Calibrate(ModelGraph graph, int count = 8)
    {
        var random = new Random(3);
        var samples = Enumerable.Range(0, count).Select(_ => graph.Inputs.ToDictionary(i => i, i =>
        {
            var info = graph.Tensor(i);
            return Tensor.Create(info.Shape, Enumerable.Range(0, (int)info.Shape.ElementCount).Select(_ => random.NextSingle() * 4 - 2).ToArray());
        })).ToList();
        return Calibrator.Run(graph, CalibrationSamples.FromList(samples), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
    }

    private static QuantizationConfig Residual(QuantizationConfig config, double factor = 4) =>
        config with { Transformer = config.Transformer with { WideActivations = WideActivationPolicy.Residual, WideRangeFactor = factor } };

    [Fact]
    public void Roles_of_a_post_LayerNorm_block_are_the_stream_writer_head_and_stream_read_LayerNorm_output()
    {
        using var folder = new TempFolder();
        var roles = ResidualStreamRoles.Find(PostLayerNormBlock(folder.Path, 17));
        Assert.Equal(["a", "r"], roles.Stream.Order(StringComparer.Ordinal));
        Assert.Equal(["h"], roles.Writers.Order(StringComparer.Ordinal));
        Assert.Equal(["n1"], roles.StreamLayerNormOutputs.Order(StringComparer.Ordinal));
        Assert.Equal(["n2", "y"], roles.Head.Order(StringComparer.Ordinal));
        Assert.Equal(["a", "h", "n1", "n2", "r", "y"], roles.Wide.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(17, "com.microsoft", 1)]
    [InlineData(21, "", 21)]
    public void Wide_tensors_get_symmetric_int16_QDQ_in_the_domain_the_opset_allows(int opset, string int16Domain, int int16Version)
    {
        using var folder = new TempFolder();
        var graph = PostLayerNormBlock(folder.Path, opset);
        var config = Calibrate(graph);
        foreach (var factor in new[] { 4.0, 2.0 })
        {
            var qdq = QdqQuantizer.Apply(graph, Residual(config, factor).ToRequest());
            var sixteen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in qdq.Nodes.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"))
            {
                var integer = node.OpType == "QuantizeLinear" ? node.Outputs[0] : node.Inputs[0];
                bool wide = qdq.Tensor(integer).ElementType == ElementType.Int16;
                Assert.Equal(wide ? int16Domain : "", node.Domain);
                Assert.Equal(wide ? int16Version : OperatorVersion(node.OpType, opset), node.OpsetVersion);
                if (node.OpType != "QuantizeLinear" || !wide) continue;
                var source = node.Inputs[0] == "y_float" ? "y" : node.Inputs[0];
                sixteen.Add(source);
                // Symmetric: zero point 0, scale = max(|min|, |max|) · factor / 32767 from the calibrated range.
                var range = config.Tensors[source];
                float expected = (float)(Math.Max(Math.Abs(range.Min!.Value), Math.Abs(range.Max!.Value)) * factor / 32767);
                Assert.Equal(0, qdq.Tensor(node.Inputs[2]).ConstantValue!.As<short>()[0]);
                float actual = qdq.Tensor(node.Inputs[1]).ConstantValue!.As<float>()[0];
                // The compiler computes in float32, this in float64: within a float32 rounding.
                Assert.True(Math.Abs(actual - expected) <= 1e-6 * expected, $"'{source}': scale {actual:R}, expected {expected:R}");
            }
            Assert.Equal(["a", "h", "n1", "n2", "r", "y"], sixteen.Order(StringComparer.Ordinal));
            Assert.Equal(opset < 21, qdq.OpsetImports.ContainsKey("com.microsoft"));

            // The model runs in the reference executor and survives writing as ONNX.
            var inputs = new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new Shape(1, 4, 8), Enumerable.Range(0, 32).Select(i => MathF.Sin(i)).ToArray()) };
            var before = new ReferenceExecutor(qdq).Run(inputs)["y"];
            var path = Path.Combine(folder.Path, $"qdq{opset}_{factor}.onnx");
            OnnxModelWriter.Write(qdq, path);
            var after = new ReferenceExecutor(OnnxModelLoader.Load(path)).Run(inputs)["y"];
            Assert.Equal(before.As<float>(), after.As<float>());
        }
    }

    private static int OperatorVersion(string opType, int opset) =>
        Octet.Compiler.Operators.OperatorRegistry.Default.ResolveVersion("", opType, opset)!.Value;

    [Fact]
    public void A_linear_layer_with_an_8_bit_output_reads_a_16_bit_input_through_an_8_bit_copy()
    {
        using var folder = new TempFolder();
        var graph = PostLayerNormBlock(folder.Path, 17);
        var config = Calibrate(graph);
        var eightBit = QdqQuantizer.Apply(graph, config.ToRequest());
        var qdq = QdqQuantizer.Apply(graph, Residual(config).ToRequest());

        var copies = Copies(qdq);
        var (tensor, readers) = Assert.Single(copies);
        Assert.Equal("n1", tensor.Source);
        Assert.Equal("MatMul", Assert.Single(readers).OpType);
        Assert.Equal(["n1", "W3"], Assert.Single(readers).Inputs.Select(i => Original(qdq, i)));
        // The copy has the tensor's 8-bit parameters (those of the all-8-bit model).
        var copyParameters = QuantizeParameters(qdq, tensor.Quantize);
        var n1EightBit = eightBit.Nodes.Single(n => n.OpType == "QuantizeLinear" && n.Inputs[0] == "n1");
        Assert.Equal(QuantizeParameters(eightBit, n1EightBit), copyParameters);
        Assert.Equal(ElementType.Int8, qdq.Tensor(tensor.Quantize.Outputs[0]).ElementType);
        // The writer h reads the 8-bit Relu output and the head's MatMul the 16-bit n2 directly: no copies there.
        Assert.All(LinearLayers(qdq), node => Assert.False(
            InputTypes(qdq, node).Contains(ElementType.Int16) && OutputType(qdq, node) != ElementType.Int16,
            $"'{node.Name}' has an 8-bit output and reads a 16-bit input directly"));
    }

    [Theory]
    [InlineData("vit")]
    [InlineData("bert_toy")]
    public void Transformer_copies_exist_exactly_for_linear_readers_with_8_bit_outputs_and_biases_use_their_scale(string model)
    {
        using var folder = new TempFolder();
        var setup = WideActivationCase.Load(model, folder.Path, sampleCount: 1);
        var qdq = QdqQuantizer.Apply(setup.Fused, setup.Residual().ToRequest());
        var roles = ResidualStreamRoles.Find(setup.Fused);
        var copies = Copies(qdq);

        // No linear layer with an 8-bit output reads a 16-bit tensor other than through a copy...
        var linear = LinearLayers(qdq).ToList();
        Assert.All(linear, node => Assert.False(
            InputTypes(qdq, node).Contains(ElementType.Int16) && OutputType(qdq, node) != ElementType.Int16,
            $"{model}: '{node.Name}' has an 8-bit output and reads a 16-bit input directly"));
        // ...and every copy is read by such layers only (the others read the 16-bit tensor itself).
        foreach (var (copy, readers) in copies)
        {
            Assert.NotEmpty(readers);
            Assert.All(readers, r => Assert.Equal(ElementType.Int8, OutputType(qdq, r)));
            Assert.All(readers, r => Assert.Contains(r.OpType, new[] { "Conv", "Gemm", "MatMul" }));
            // Bias at s_copy · s_w: the int32 bias's scale per channel.
            foreach (var reader in readers.Where(r => r.Inputs.Count > 2 && r.Inputs[2].Length > 0))
            {
                var biasDq = qdq.Producer(reader.Inputs[2])!;
                var weightDq = qdq.Producer(reader.Inputs[1])!;
                var biasScales = qdq.Tensor(biasDq.Inputs[1]).ConstantValue!.As<float>();
                var weightScales = qdq.Tensor(weightDq.Inputs[1]).ConstantValue!.As<float>();
                float copyScale = QuantizeParameters(qdq, copy.Quantize).Scale;
                for (int c = 0; c < biasScales.Length; c++) Assert.Equal(copyScale * weightScales[c], biasScales[c]);
            }
        }
        // bert_toy is post-LN: its stream-read LayerNorm outputs feed Q/K/V and fc1 through copies. The pre-LN ViT has none.
        if (model == "bert_toy")
        {
            Assert.NotEmpty(roles.StreamLayerNormOutputs);
            Assert.NotEmpty(copies);
            Assert.All(copies.Keys, c => Assert.Contains(ResidualStreamRoles.Root(setup.Fused, c.Source), roles.StreamLayerNormOutputs));
        }
        else
        {
            Assert.Empty(roles.StreamLayerNormOutputs.Except(roles.Head));
            Assert.Empty(copies);
        }
    }

    [Fact]
    public void A_model_without_LayerNorm_is_refused_with_the_reason()
    {
        var (graph, _, inputs) = MnistQdq.Get();
        var config = Calibrator.Run(graph, CalibrationSamples.FromList(inputs), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig() with
        {
            Source = "mnist-8.quant.json",
        };
        Assert.True(ResidualStreamRoles.Find(graph).IsEmpty);
        var e = Assert.Throws<OctetException>(() => QdqQuantizer.Apply(graph, Residual(config).ToRequest()));
        Assert.StartsWith("mnist-8.quant.json: transformer.wide_activations is \"residual\", but ", e.Message);
        Assert.Contains("has no residual stream (no LayerNormalization reading a computed tensor)", e.Message);
        Assert.Contains("set it to \"none\"", e.Message);
        // Policy none: no int16 anywhere, no com.microsoft import.
        var qdq = QdqQuantizer.Apply(graph, config.ToRequest());
        Assert.DoesNotContain(qdq.Tensors.Values, t => t.ElementType == ElementType.Int16);
        Assert.False(qdq.OpsetImports.ContainsKey("com.microsoft"));
    }

    [Theory]
    [InlineData(-3f, 5f, 4.0)]
    [InlineData(-7.5f, 0.25f, 2.0)]
    [InlineData(0f, 1f, 1.0)]
    public void Int16_parameters_are_symmetric_with_zero_point_0(float min, float max, double factor)
    {
        var p = QuantizationMath.FromRange((float)(min * factor), (float)(max * factor), ElementType.Int16, symmetric: true);
        Assert.Equal(ElementType.Int16, p.StorageType);
        Assert.Equal(0, p.ZeroPoint);
        float absMax = (float)(Math.Max(Math.Abs(min), Math.Abs(max)) * factor);
        Assert.True(Math.Abs(p.Scale - absMax / 32767.0) <= 1e-6 * p.Scale, $"scale {p.Scale:R} for ±{absMax}");
        // ±absMax map to ±32767: the full symmetric range, never −32768.
        Assert.Equal(32767, QuantizationMath.Quantize(absMax, p.Scale, 0, -32767, 32767));
        Assert.Equal(-32767, QuantizationMath.Quantize(-absMax, p.Scale, 0, -32767, 32767));
        Assert.Equal(p, WideActivationAssignmentParameters(min, max, factor));
    }

    [Fact]
    public void Int16_asymmetric_parameters_cover_the_range_with_65535_steps()
    {
        var p = QuantizationMath.FromRange(-1f, 3f, ElementType.Int16, symmetric: false);
        Assert.True(Math.Abs(p.Scale - 4.0 / 65535) <= 1e-6 * p.Scale, $"scale {p.Scale:R}");
        Assert.InRange(p.ZeroPoint, -32768, 32767);
        Assert.Equal(-32768, QuantizationMath.Quantize(-1f, p.Scale, p.ZeroPoint, -32768, 32767));
        Assert.Equal(32767, QuantizationMath.Quantize(3f, p.Scale, p.ZeroPoint, -32768, 32767));
    }

    /// <summary>The policy's parameters through the public path: a one-tensor config quantized by the policy is read back.</summary>
    private static QuantizationParameters WideActivationAssignmentParameters(float min, float max, double factor)
    {
        using var folder = new TempFolder();
        var graph = PostLayerNormBlock(folder.Path, 17);
        var config = Calibrate(graph);
        var tensors = config.Tensors.SetItem("r", new TensorSettings { Min = min, Max = max });
        var qdq = QdqQuantizer.Apply(graph, Residual(config with { Tensors = tensors }, factor).ToRequest());
        return QuantizeParameters(qdq, qdq.Nodes.Single(n => n.OpType == "QuantizeLinear" && n.Inputs[0] == "r"));
    }

    // ---- reading the QDQ graph ----

    private sealed record Copy(string Source, Node Quantize);

    /// <summary>Each 8-bit copy (an int8 QuantizeLinear of a 16-bit DequantizeLinear's output) and the nodes reading it.</summary>
    private static Dictionary<Copy, List<Node>> Copies(ModelGraph qdq)
    {
        var result = new Dictionary<Copy, List<Node>>();
        foreach (var q in qdq.Nodes.Where(n => n.OpType == "QuantizeLinear"))
        {
            if (qdq.Producer(q.Inputs[0]) is not { OpType: "DequantizeLinear" } dq16 || qdq.Tensor(dq16.Inputs[0]).ElementType != ElementType.Int16) continue;
            var q16 = qdq.Producer(dq16.Inputs[0])!;
            var dq8 = qdq.Consumers(q.Outputs[0]).Single();
            result[new Copy(q16.Inputs[0], q)] = qdq.Consumers(dq8.Outputs[0]).ToList();
        }
        return result;
    }

    private static IEnumerable<Node> LinearLayers(ModelGraph qdq) =>
        qdq.Nodes.Where(n => n.Domain.Length == 0 && n.OpType is "Conv" or "Gemm" or "MatMul");

    /// <summary>The integer types of a node's activation inputs (what the DequantizeLinear feeding each reads).</summary>
    private static HashSet<ElementType> InputTypes(ModelGraph qdq, Node node) =>
        node.Inputs.Where(i => i.Length > 0 && qdq.Producer(i) is { OpType: "DequantizeLinear" } dq && !qdq.Tensor(dq.Inputs[0]).IsConstant)
            .Select(i => qdq.Tensor(qdq.Producer(i)!.Inputs[0]).ElementType).ToHashSet();

    /// <summary>The integer type the node's result is quantized to (through a fused Relu / Clip); Float32 when none.</summary>
    private static ElementType OutputType(ModelGraph qdq, Node node)
    {
        var output = node.Outputs[0];
        var readers = qdq.Consumers(output);
        if (readers.Count == 1 && readers[0].OpType is "Relu" or "Clip") readers = qdq.Consumers(readers[0].Outputs[0]);
        var q = readers.FirstOrDefault(r => r.OpType == "QuantizeLinear");
        return q is null ? ElementType.Float32 : qdq.Tensor(q.Outputs[0]).ElementType;
    }

    private static QuantizationParameters QuantizeParameters(ModelGraph qdq, Node quantize)
    {
        var zp = qdq.Tensor(quantize.Inputs[2]).ConstantValue!;
        return QuantizationParameters.PerTensor(zp.ElementType, qdq.Tensor(quantize.Inputs[1]).ConstantValue!.As<float>()[0], (int)zp.GetAsDouble(0));
    }

    /// <summary>The tensor a node input was before quantization: through DequantizeLinear ← QuantizeLinear, and a weight's DQ output is its name.</summary>
    private static string Original(ModelGraph qdq, string tensor)
    {
        while (qdq.Producer(tensor) is { OpType: "DequantizeLinear" } dq && qdq.Producer(dq.Inputs[0]) is { OpType: "QuantizeLinear" } q) tensor = q.Inputs[0];
        return tensor;
    }
}
