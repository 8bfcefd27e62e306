using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Reference;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.Operators.Quantization;

/// <summary>Small quantized models through the loader (shape inference, constant folding) and the reference executor.</summary>
public sealed class QuantizedModelTests
{
    private static Tensor U8(int[] shape, params byte[] values) => Tensor.Create(new Shape(shape), values);

    /// <summary>x → QuantizeLinear → com.microsoft.QLinearAdd(xq, xq) → DequantizeLinear → y.</summary>
    private static OnnxModelBuilder QOperatorModel(bool importMicrosoft)
    {
        var model = new OnnxModelBuilder(13)
            .Input("x", ElementType.Float32, 4)
            .Initializer("half", [0.5f])
            .Initializer("one", [1f])
            .Initializer("zp", U8([], 128))
            .Output("y");
        if (importMicrosoft) model.Opset("com.microsoft", 1);
        model.Node("QuantizeLinear", ["x", "half", "zp"], ["xq"]);
        model.Node("QLinearAdd", ["xq", "half", "zp", "xq", "half", "zp", "one", "zp"], ["sum"]).Domain = "com.microsoft";
        model.Node("DequantizeLinear", ["sum", "one", "zp"], ["y"]);
        return model;
    }

    [Fact]
    public void QOperator_model_with_a_com_microsoft_op_runs()
    {
        using var folder = new TempFolder();
        var graph = OnnxModelLoader.Load(QOperatorModel(importMicrosoft: true).Save(folder.Path));
        Assert.Equal(ElementType.UInt8, graph.Tensor("xq").ElementType);

        // Quantize: x / 0.5 rounded + 128 = [130, 126, 128, 255 (saturated)]; add in float: 2 * (xq - 128) * 0.5 = [2, -2, 0, 127].
        var y = new ReferenceExecutor(graph).Run(new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(new Shape(4), new[] { 1f, -1f, 0.25f, 100f }),
        })["y"];
        Assert.Equal(new[] { 2f, -2, 0, 127 }, y.As<float>());
    }

    [Fact]
    public void Com_microsoft_op_needs_the_domain_imported()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<OctetException>(() => OnnxModelLoader.Load(QOperatorModel(importMicrosoft: false).Save(folder.Path)));
        Assert.Contains("com.microsoft", e.Message);
    }

    [Fact]
    public void Dequantized_weights_stay_quantized_and_dequantize_at_run_time()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder(13)
            .Input("x", ElementType.Float32, 2)
            .Initializer("w_q", Tensor.Create(new Shape(2), new sbyte[] { -4, 6 }))
            .Initializer("w_scale", [0.25f])
            .Output("y");
        model.Node("DequantizeLinear", ["w_q", "w_scale"], ["w"]);
        model.Node("Mul", ["x", "w"], ["y"]);
        var graph = OnnxModelLoader.Load(model.Save(folder.Path));

        // The int8 weights are kept as they are (lowering needs them); DequantizeLinear runs at run time.
        Assert.False(graph.Tensor("w").IsConstant);
        Assert.Equal(["DequantizeLinear", "Mul"], graph.Nodes.Select(n => n.OpType));
        var x = Tensor.Create(new Shape(2), new[] { 2f, 2f });
        var y = new ReferenceExecutor(graph).Run(new Dictionary<string, Tensor> { ["x"] = x })["y"].As<float>();
        Assert.Equal(new[] { -2f, 3f }, y);
    }
}
