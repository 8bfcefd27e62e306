using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.CodeGeneration.Parity;
using Octet.Tests.FrontEnd;
using Octet.Tests.Models.Transformers;
using Xunit;

namespace Octet.Tests.CodeGeneration.Snapshots;

/// <summary>
/// The generated code of a small integer-only attention block (see README.md for accepting changes): one ViT
/// encoder block of width 8 with 2 heads over 5 tokens, calibrated as the transformer parity tests calibrate,
/// with I-BERT softmax and I-BERT GELU so that all three transformer emitters (ILayerNorm, ISoftmax, IGelu), the
/// class-token Gather and QMatMul of two activations (Q·Kᵀ, A·V) appear.
/// </summary>
public class TransformerSnapshotTests
{
    internal static readonly VitModelWriter AttentionBlock = new()
    {
        ImageSize = 8, PatchSize = 4, Width = 8, Heads = 2, MlpWidth = 16, Blocks = 1, Classes = 3,
    };

    [Fact]
    public void Attention_block_int8()
    {
        using var folder = new TempFolder();
        var path = AttentionBlock.Save(folder.Path, "attention_block.onnx");
        var graph = Octet.Compiler.Onnx.OnnxModelLoader.Load(path);
        var config = TransformerCompilation.Calibrate(graph, "ibert", "ibert");
        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, NumericsMode.IntegerOnly);
        foreach (var op in new[] { "octet.ILayerNorm", "octet.ISoftmax", "octet.IGelu", "octet.QMatMul", "Gather" })
            Assert.Contains(compiled.Plan.Ops, o => o.OpType == op);
        ModelSnapshot.Verify(compiled, "AttentionBlockInt8");
    }
}
