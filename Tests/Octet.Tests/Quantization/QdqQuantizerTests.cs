using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization;

/// <summary>
/// The QDQ quantizer on mnist-8, with activation ranges observed here (min/max over the three stored
/// inputs plus fixed-seed random digits) rather than through the calibration module, so that this test
/// stands on its own.
/// </summary>
public sealed class QdqQuantizerTests
{
    private static (ModelGraph Float, ModelGraph Quantized, List<Dictionary<string, Tensor>> Inputs) QuantizeMnist()
    {
        var graph = OnnxModelLoader.Load(TestData.Model("mnist-8"));
        var inputs = Enumerable.Range(0, 3)
            .Select(k => InputSets.FromFolder(Path.Combine(TestData.ModelFolder("mnist-8"), $"test_data_set_{k}"), graph))
            .ToList();
        var ranges = new Dictionary<string, (float Min, float Max)>();
        void Observe(string name, Tensor value)
        {
            if (value.ElementType != ElementType.Float32) return;
            var v = value.As<float>();
            var (min, max) = ranges.GetValueOrDefault(name, (float.MaxValue, float.MinValue));
            foreach (var x in v) { min = MathF.Min(min, x); max = MathF.Max(max, x); }
            ranges[name] = (min, max);
        }
        var executor = new ReferenceExecutor(graph);
        foreach (var input in inputs)
        {
            foreach (var (name, value) in input) Observe(name, value);
            executor.Run(input, Observe);
        }
        var request = new QuantizationRequest
        {
            Source = "test",
            ActivationParameters = name => ranges.TryGetValue(name, out var r)
                ? QuantizationMath.FromRange(r.Min, r.Max, ElementType.Int8, symmetric: false) : null,
        };
        return (graph, QdqQuantizer.Apply(graph, request), inputs);
    }

    [Fact]
    public void Mnist_in_QDQ_form_keeps_names_and_folds_bias_adds()
    {
        var (floatGraph, quantized, _) = QuantizeMnist();
        Assert.Equal(floatGraph.Inputs, quantized.Inputs);
        Assert.Equal(floatGraph.Outputs, quantized.Outputs);
        // The constant Adds after both convolutions and after the MatMul became biases.
        Assert.DoesNotContain(quantized.Nodes, n => n.OpType == "Add");
        Assert.Contains(quantized.Nodes, n => n.OpType == "Gemm");
        // mnist-8 is opset 8: per-axis DequantizeLinear needs 13, so the model is raised to it.
        Assert.Equal(13, quantized.DefaultOpset);
        Assert.All(quantized.Nodes.Where(n => n.OpType.EndsWith("QuantizeLinear")), n => Assert.Equal("", n.Domain));
        // Every weight is an int8 constant with per-channel parameters.
        var weights = quantized.Tensors.Values.Where(t => t.IsConstant && t.ElementType == ElementType.Int8 && t.Shape.Rank > 1).ToList();
        Assert.Equal(3, weights.Count);
        Assert.All(weights, w => Assert.False(w.Quantization!.IsPerTensor));
        // Conv → Relu: only the Relu output is quantized, so the activation folds into the convolution.
        var relu = quantized.Nodes.First(n => n.OpType == "Relu");
        Assert.Equal("Conv", quantized.Producer(relu.Inputs[0])!.OpType);
    }

    [Fact]
    public void Simulated_int8_mnist_predicts_like_float_on_stored_digits()
    {
        var (floatGraph, quantized, inputs) = QuantizeMnist();
        var floatRun = new ReferenceExecutor(floatGraph);
        var quantRun = new ReferenceExecutor(quantized);
        foreach (var input in inputs)
        {
            var expected = floatRun.Run(input)[floatGraph.Outputs[0]].As<float>();
            var actual = quantRun.Run(input)[quantized.Outputs[0]].As<float>();
            Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
            // 8-bit logits: within a few output steps of the float logits.
            var step = quantized.Tensor(floatGraph.Outputs[0] + "_quantized").Quantization!.Scale;
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 8 * step, $"logit {i}: {actual[i]} vs {expected[i]}");
        }
    }
}
