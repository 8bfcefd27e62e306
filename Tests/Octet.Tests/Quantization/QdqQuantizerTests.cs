using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization;

/// <summary>
/// The QDQ quantizer on mnist-8, with min/max activation ranges over its three stored inputs.
/// </summary>
public sealed class QdqQuantizerTests
{
    private static (ModelGraph Float, ModelGraph Quantized, List<Dictionary<string, Tensor>> Inputs) QuantizeMnist() => MnistQdq.Get();

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
