using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Onnx.Writing;

/// <summary>The QDQ graph the quantizer makes, written and read back: Octet sees the same graph in the file.</summary>
public sealed class QdqRoundTripTests
{
    [Fact]
    public void Quantized_mnist_reads_back_as_the_same_graph()
    {
        var graph = OnnxModelLoader.Load(TestData.Model("mnist-8"));
        var config = QuantizationConfig.Load(Path.Combine(TestData.RepositoryRoot, "Tests", "Octet.Tests", "Onnx", "Writing", "mnist-8.quant.json"), graph);
        var qdq = QdqQuantizer.Apply(graph, config.ToRequest());

        using var folder = new TempFolder();
        var path = folder.File("mnist.qdq.onnx");
        OnnxModelWriter.Write(qdq, path);
        var reloaded = OnnxModelLoader.Load(path);

        Assert.Equal(RoundTrip.ExpectedText(qdq), GraphTextWriter.Write(reloaded));
        // The quantized weights stay int8 constants read by DequantizeLinear: nothing folded them back to float.
        var weightDequantizers = reloaded.Nodes.Where(n => n.OpType == "DequantizeLinear" && reloaded.Tensor(n.Inputs[0]).IsConstant).ToList();
        Assert.Contains(weightDequantizers, n => reloaded.Tensor(n.Inputs[0]).ElementType == ElementType.Int8);
        Assert.Equal(OnnxModelWriter.ToBytes(qdq), OnnxModelWriter.ToBytes(reloaded));
    }
}
