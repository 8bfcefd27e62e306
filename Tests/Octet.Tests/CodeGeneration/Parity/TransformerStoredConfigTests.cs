using Octet.Compiler.Quantization.Config;
using Octet.Compiler.CodeGeneration;
using Octet.Tests.FrontEnd;
using Octet.Tests.Quantization.Transformers;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The quantization configs of the transformer test models, kept in <c>Tests/Data/configs/</c> so that
/// they can be used by hand (ViT: the model written by <c>VitModelWriter</c> with
/// its default settings): they must be exactly what calibration gives today (I-BERT softmax, table GELU; accept a
/// change with OCTET_ACCEPT_SNAPSHOTS=1 after review, like a snapshot), and they must compile
/// integer-only with the transformer operators.
/// </summary>
public sealed class TransformerStoredConfigTests
{
    public static IEnumerable<object[]> Models() => [["vit"], ["bert_toy"]];

    private static string ConfigPath(string model) => Path.Combine(TestData.Folder, "configs", model switch
    {
        "vit" => "vit.quant.json",
        "bert_toy" => "bert_toy_optimized.quant.json",
        _ => "attention_distilbert.quant.json",
    });

    [Theory]
    [MemberData(nameof(Models))]
    public void Stored_transformer_config_is_what_calibration_gives(string model)
    {
        using var folder = new TempFolder();
        var (graph, _) = TransformerCompilation.Load(model, folder.Path);
        var config = TransformerCompilation.Calibrate(graph, "ibert", "table");
        var text = System.Text.Encoding.UTF8.GetString(ConfigWriter.Write(config));
        var path = ConfigPath(model);
        Approval.VerifyFiles(text, path, Path.ChangeExtension(path, ".received.json"));
    }

    /// <summary>
    /// The stored config, read and checked against the fused graph it describes (its tensor names include the
    /// fusion's, e.g. the "_rows" views around linear layers), compiles integer-only with the transformer operators.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Stored_transformer_config_compiles_to_an_integer_only_transformer_plan(string model)
    {
        using var folder = new TempFolder();
        var (graph, path) = TransformerCompilation.Load(model, folder.Path);
        var config = QuantizationConfig.Load(ConfigPath(model), GraphPreparation.FuseTransformerPatterns(graph));

        var compiled = ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, numerics: null);

        Assert.Equal("integer-only", compiled.Plan.Numerics);
        foreach (var op in new[] { "octet.ISoftmax", "octet.ILayerNorm", "octet.Table", "octet.QMatMul" })
            Assert.Contains(compiled.Plan.Ops, o => o.OpType == op);
    }
}
