using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.CodeGeneration.Parity;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.CodeGeneration.Snapshots;

/// <summary>
/// The generated code of the small attention block of <see cref="TransformerSnapshotTests"/> with a 16-bit residual
/// stream (<c>transformer.wide_activations: residual</c>; see README.md for accepting changes): int16 tensors and the
/// kernels that read and write them — the patch-embedding QConv and the block's writers with an int16 output, QAdd and
/// ILayerNorm on the int16 stream, the Requantize 8-bit copies for the linear layers, the head's QGemm with an int16 A
/// (int64 accumulation) and the DequantizeLinear of its int16 output.
/// </summary>
public class WideTransformerSnapshotTests
{
    [Fact]
    public void Attention_block_int16_stream()
    {
        using var folder = new TempFolder();
        var path = TransformerSnapshotTests.AttentionBlock.Save(folder.Path, "attention_block.onnx");
        var graph = Octet.Compiler.Onnx.OnnxModelLoader.Load(path);
        var config = TransformerCompilation.Calibrate(graph, "ibert", "ibert");
        config = config with { Transformer = config.Transformer with { WideActivations = WideActivationPolicy.Residual } };
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, NumericsMode.IntegerOnly);
        Assert.Contains(compiled.Plan.Tensors, t => t.ElementType == "int16");
        foreach (var op in new[] { "octet.ILayerNorm", "octet.QAdd", "octet.QGemm", "DequantizeLinear" })
            Assert.Contains(compiled.Plan.Ops, o => o.OpType == op);
        ModelSnapshot.Verify(compiled, "AttentionBlockInt16");
    }
}
