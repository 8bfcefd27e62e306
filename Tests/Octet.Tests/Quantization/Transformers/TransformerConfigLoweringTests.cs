using Octet.Cli.Commands;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Patterns;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>
/// The config's <c>transformer</c> section reaches lowering through the paths that read configs: code
/// generation's <see cref="GraphPreparation"/> and the CLI's <see cref="QuantizedPlan"/>. The ViT test model
/// is calibrated (MinMax, 4 samples), the calibrated config is written with the section under test, read
/// back from its JSON text, and the lowered plan's ISoftmax / IGelu nodes must carry the chosen method.
/// </summary>
public sealed class TransformerConfigLoweringTests
{
    [Theory]
    [InlineData("shiftmax")]
    [InlineData("ibert")]
    public void Softmax_method_from_the_config_reaches_code_generation(string method)
    {
        using var folder = new TempFolder();
        var (graph, _) = TransformerModels.LoadVit(folder.Path);
        var config = CalibratedConfigWith(graph, $$"""{ "softmax": "{{method}}" }""");

        var prepared = GraphPreparation.Prepare(graph, config, numerics: null);

        var softmaxes = prepared.Graph.Nodes.Where(n => n.OpType == "ISoftmax").ToList();
        // One attention Softmax per block, each lowered with the configured method.
        Assert.Equal(graph.Nodes.Count(n => n.OpType == "Softmax"), softmaxes.Count);
        Assert.NotEmpty(softmaxes);
        Assert.All(softmaxes, n => Assert.Equal(method, n.GetString("method", "")));
    }

    [Fact]
    public void Without_a_transformer_section_softmax_is_ibert()
    {
        using var folder = new TempFolder();
        var (graph, _) = TransformerModels.LoadVit(folder.Path);
        var config = QuantizationConfig.Parse(Calibrate(graph).ToJson(), "vit.quant.json", graph);
        var prepared = GraphPreparation.Prepare(graph, config, numerics: null);
        var softmaxes = prepared.Graph.Nodes.Where(n => n.OpType == "ISoftmax").ToList();
        Assert.NotEmpty(softmaxes);
        Assert.All(softmaxes, n => Assert.Equal("ibert", n.GetString("method", "")));
    }

    [Theory]
    [InlineData("table")]
    [InlineData("shiftgelu")]
    [InlineData("ibert")]
    public void Gelu_method_from_the_config_reaches_code_generation(string method)
    {
        using var folder = new TempFolder();
        var (graph, _) = TransformerModels.LoadVit(folder.Path);
        // The ViT writes GELU decomposed (erf); fusion makes the single Gelu node lowering chooses a method for.
        var fused = graph.Clone();
        Assert.True(TransformerFusion.Run(fused).ErfGelus > 0);
        var config = CalibratedConfigWith(fused, $$"""{ "gelu": "{{method}}" }""");

        var plan = GraphPreparation.Prepare(fused, config, numerics: null).Graph;

        int gelus = fused.Nodes.Count(n => n.OpType == "Gelu");
        var igelus = plan.Nodes.Where(n => n.OpType == "IGelu").ToList();
        if (method == "table")
        {
            Assert.Empty(igelus);
            Assert.True(plan.Nodes.Count(n => n.OpType == "Table") >= gelus);
        }
        else
        {
            Assert.Equal(gelus, igelus.Count);
            Assert.All(igelus, n => Assert.Equal(method, n.GetString("method", "")));
        }
    }

    [Theory]
    [InlineData("shiftmax")]
    [InlineData("ibert")]
    public void Softmax_method_from_a_config_file_reaches_the_cli_plan(string method)
    {
        using var folder = new TempFolder();
        var (graph, _) = TransformerModels.LoadVit(folder.Path);
        var configPath = folder.File("vit.quant.json");
        // Calibrated as octet quantize does: on the graph with the transformer patterns fused, whose tensor names a
        // config uses (the fused linear layers have no separate MatMul output).
        File.WriteAllText(configPath, CalibratedConfigWith(GraphPreparation.FuseTransformerPatterns(graph), $$"""{ "softmax": "{{method}}" }""").ToJson());

        var plan = QuantizedPlan.Create(graph, configPath, numerics: null, exportFolder: folder.File("export"));

        Assert.NotNull(plan);
        var softmaxes = plan!.Plan.Nodes.Where(n => n.OpType == "ISoftmax").ToList();
        Assert.NotEmpty(softmaxes);
        Assert.All(softmaxes, n => Assert.Equal(method, n.GetString("method", "")));
    }

    /// <summary>MinMax calibration of <paramref name="graph"/> over a few random inputs, as the calibrator writes it.</summary>
    private static QuantizationConfig Calibrate(ModelGraph graph) =>
        Calibrator.Run(graph, CalibrationSamples.FromList(TransformerModels.RandomInputs(graph, 4, seed: 3)),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();

    /// <summary>
    /// The calibrated config's JSON with <paramref name="transformerSection"/> added as its "transformer" key,
    /// parsed as a file would be: the section is read by the config reader, not set in code.
    /// </summary>
    private static QuantizationConfig CalibratedConfigWith(ModelGraph graph, string transformerSection)
    {
        var json = Calibrate(graph).ToJson();
        Assert.DoesNotContain("\"transformer\"", json); // the calibrator leaves the default section out
        int brace = json.IndexOf('{');
        json = json[..(brace + 1)] + $"\n  \"transformer\": {transformerSection}," + json[(brace + 1)..];
        return QuantizationConfig.Parse(json, "vit.quant.json", graph);
    }
}
