using Octet.Compiler.Quantization.Config;
using Octet.Tests.CodeGeneration.Plan;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.CodeGeneration.Snapshots;

/// <summary>
/// The generated code of small models, approved as <c>*.verified.cs</c> files in this folder (see README.md):
/// any change to what the generator writes for them shows up as a reviewable diff.
/// </summary>
public class GeneratedModelSnapshotTests
{
    [Fact]
    public void Mnist8_float() => ModelSnapshot.Verify("mnist-8/model.onnx", "Mnist8Float");

    [Fact]
    public void Mnist8_int8() => ModelSnapshot.Verify("mnist-8/model.onnx", "Mnist8Int8", config: "Samples/Mnist/mnist-8.quant.json");

    [Fact]
    public void Conv_qdq_s8s8() => ModelSnapshot.Verify("ort-synthetic/conv_qdq_s8s8.onnx", "ConvQdqS8S8");

    /// <summary>Float (no config): hard-swish as Add/Clip/Div/Mul with NHWC ↔ rowmajor relayouts around the element-wise ops.</summary>
    [Fact]
    public void Mobilenet_v3_small_excerpt_float() => ModelSnapshot.Verify("ort-synthetic/mobilenet_v3_small_excerpt.onnx", "MobilenetV3SmallExcerptFloat");

    /// <summary>
    /// int8 with a lookup table: Conv → Sigmoid built in code and quantized by calibration (<see cref="TableModel"/>);
    /// the Sigmoid lowers to <c>octet.Table</c>, whose 256 entries the generated class holds as a constant.
    /// </summary>
    [Fact]
    public void Conv_sigmoid_int8_with_a_table()
    {
        using var folder = new TempFolder();
        var compiled = TableModel.CompileInt8(folder);
        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.Table");
        ModelSnapshot.Verify(compiled, "ConvSigmoidInt8");
    }
}
