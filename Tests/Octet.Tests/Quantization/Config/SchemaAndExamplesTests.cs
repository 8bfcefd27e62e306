using System.Text.Json;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.Config;

/// <summary>
/// The documented format and the parser agree: every example in docs/examples parses, and the JSON Schema
/// lists exactly the keys the parser accepts, section by section.
/// </summary>
public sealed class SchemaAndExamplesTests
{
    private static string Docs => Path.Combine(TestData.RepositoryRoot, "docs");

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Docs, "examples"), "*.quant.json").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void There_are_examples()
    {
        Assert.True(Examples().Count >= 3);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_parses(string file)
    {
        var path = Path.Combine(Docs, "examples", file);
        var config = QuantizationConfig.Load(path);
        Assert.Equal(path, config.Source);
        // Examples written for mnist-8 name its tensors and nodes.
        if (file.StartsWith("mnist-8-", StringComparison.Ordinal))
            QuantizationConfig.Load(path, OnnxModelLoader.Load(TestData.Model("mnist-8")));
        // And survive a write/read cycle unchanged.
        Assert.Equal(config, QuantizationConfig.Parse(config.ToJson(), "rewritten"));
    }

    [Fact]
    public void Committed_mnist_config_parses_against_the_model()
    {
        var path = Path.Combine(TestData.RepositoryRoot, "Samples", "Mnist", "mnist-8.quant.json");
        var graph = OnnxModelLoader.Load(TestData.Model("mnist-8"));
        var config = QuantizationConfig.Load(path, graph);
        Assert.NotNull(config.Calibration);
        Assert.Equal(1000, config.Calibration!.Samples);
        // Every activation has parameters.
        foreach (var name in Compiler.Quantization.Calibration.ActivationObserver.ActivationTensors(graph))
            Assert.NotNull(config.ActivationParameters(name));
    }

    [Fact]
    public void Schema_is_draft_2020_12_and_lists_the_parsers_top_level_keys()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Docs, "quantization-config.schema.json")));
        var root = schema.RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());
        Assert.Equal(QuantizationConfig.SchemaUri, root.GetProperty("$id").GetString());
        Assert.Equal(Sorted(QuantizationConfig.TopLevelKeys), Sorted(PropertyNames(root)));
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
    }

    [Theory]
    [InlineData("$.weights", "properties/weights")]
    [InlineData("$.activations", "properties/activations")]
    [InlineData("$.tensors.*", "properties/tensors/additionalProperties")]
    [InlineData("$.nodes.*", "properties/nodes/additionalProperties")]
    [InlineData("$.calibration", "properties/calibration")]
    [InlineData("$.transformer", "properties/transformer")]
    public void Schema_lists_each_sections_keys(string section, string pointer)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Docs, "quantization-config.schema.json")));
        var element = Resolve(schema.RootElement, schema.RootElement, pointer);
        Assert.Equal(Sorted(QuantizationConfig.SectionKeys[section]), Sorted(PropertyNames(element)));
        Assert.False(element.GetProperty("additionalProperties").GetBoolean());
    }

    [Fact]
    public void Schema_enumerations_match_the_parser()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Docs, "quantization-config.schema.json")));
        var defs = schema.RootElement.GetProperty("$defs");
        Assert.Equal(ConfigNames.MethodNames, Strings(defs.GetProperty("method").GetProperty("enum")));
        Assert.Equal(ConfigNames.TypeNames, Strings(defs.GetProperty("storageType").GetProperty("enum")));
        Assert.Equal(ConfigNames.NumericsNames, Strings(schema.RootElement.GetProperty("properties").GetProperty("numerics").GetProperty("enum")));
        var transformer = schema.RootElement.GetProperty("properties").GetProperty("transformer").GetProperty("properties");
        Assert.Equal(ConfigNames.SoftmaxNames, Strings(transformer.GetProperty("softmax").GetProperty("enum")));
        Assert.Equal(ConfigNames.GeluNames, Strings(transformer.GetProperty("gelu").GetProperty("enum")));
        // The schema's defaults are the reader's.
        var defaults = new TransformerSettings();
        Assert.Equal(defaults.Softmax.Name(), transformer.GetProperty("softmax").GetProperty("default").GetString());
        Assert.Equal(defaults.Gelu.Name(), transformer.GetProperty("gelu").GetProperty("default").GetString());
        Assert.Equal(ConfigNames.WideActivationNames, Strings(transformer.GetProperty("wide_activations").GetProperty("enum")));
        Assert.Equal(defaults.WideActivations.Name(), transformer.GetProperty("wide_activations").GetProperty("default").GetString());
        Assert.Equal(defaults.WideRangeFactor, transformer.GetProperty("wide_range_factor").GetProperty("default").GetDouble());
    }

    /// <summary>Follows a slash-separated path of property names, through "$ref": "#/$defs/…" where one is met.</summary>
    private static JsonElement Resolve(JsonElement root, JsonElement element, string pointer)
    {
        foreach (var part in pointer.Split('/'))
            element = Dereference(root, Dereference(root, element).GetProperty(part));
        return element;
    }

    private static JsonElement Dereference(JsonElement root, JsonElement element)
    {
        while (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$ref", out var reference))
        {
            var target = root;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/')) target = target.GetProperty(part);
            element = target;
        }
        return element;
    }

    private static List<string> PropertyNames(JsonElement element) =>
        element.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static List<string> Sorted(IEnumerable<string> names) => names.OrderBy(n => n, StringComparer.Ordinal).ToList();
}
