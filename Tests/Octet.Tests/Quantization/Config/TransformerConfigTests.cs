using Octet.Compiler.Diagnostics;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Xunit;

namespace Octet.Tests.Quantization.Config;

/// <summary>
/// The config's <c>transformer</c> section: which integer algorithm lowering uses for Softmax and GELU.
/// Every spelling parses to its method, bad values are reported with file, path and key, and the section is
/// written only when it differs from the defaults (ibert softmax, table GELU).
/// </summary>
public sealed class TransformerConfigTests
{
    [Fact]
    public void Defaults_are_ibert_softmax_and_table_gelu()
    {
        var config = QuantizationConfig.Parse("""{ "version": 1 }""", "q.json");
        Assert.Equal(SoftmaxMethod.Ibert, config.Transformer.Softmax);
        Assert.Equal(GeluMethod.Table, config.Transformer.Gelu);
        var options = config.ToLoweringOptions();
        Assert.Equal("ibert", options.Softmax);
        Assert.Equal("table", options.Gelu);
    }

    [Theory]
    [InlineData("ibert", SoftmaxMethod.Ibert)]
    [InlineData("shiftmax", SoftmaxMethod.Shiftmax)]
    public void Softmax_values_parse(string text, SoftmaxMethod expected)
    {
        var config = QuantizationConfig.Parse($$"""{ "version": 1, "transformer": { "softmax": "{{text}}" } }""", "q.json");
        Assert.Equal(expected, config.Transformer.Softmax);
        Assert.Equal(GeluMethod.Table, config.Transformer.Gelu); // the other key keeps its default
        Assert.Equal(text, config.ToLoweringOptions().Softmax);
    }

    [Theory]
    [InlineData("table", GeluMethod.Table)]
    [InlineData("shiftgelu", GeluMethod.ShiftGelu)]
    [InlineData("ibert", GeluMethod.Ibert)]
    public void Gelu_values_parse(string text, GeluMethod expected)
    {
        var config = QuantizationConfig.Parse($$"""{ "version": 1, "transformer": { "gelu": "{{text}}" } }""", "q.json");
        Assert.Equal(expected, config.Transformer.Gelu);
        Assert.Equal(SoftmaxMethod.Ibert, config.Transformer.Softmax);
        Assert.Equal(text, config.ToLoweringOptions().Gelu);
    }

    [Fact]
    public void Config_spellings_are_exactly_the_lowering_methods()
    {
        // The config hands its spellings to lowering unchanged: both must name the same set of methods.
        Assert.Equal(TransformerLoweringOptions.SoftmaxMethods.Order(StringComparer.Ordinal), ConfigNames.SoftmaxNames.Order(StringComparer.Ordinal));
        Assert.Equal(TransformerLoweringOptions.GeluMethods.Order(StringComparer.Ordinal), ConfigNames.GeluNames.Order(StringComparer.Ordinal));
        foreach (var softmax in Enum.GetValues<SoftmaxMethod>())
            foreach (var gelu in Enum.GetValues<GeluMethod>())
            {
                var options = new TransformerSettings { Softmax = softmax, Gelu = gelu }.ToLoweringOptions();
                Assert.Contains(options.Softmax, TransformerLoweringOptions.SoftmaxMethods);
                Assert.Contains(options.Gelu, TransformerLoweringOptions.GeluMethods);
            }
    }

    [Theory]
    [InlineData("""{ "version": 1, "transformer": { "softmax": "exact" } }""",
        "q.json: $.transformer.softmax: unknown softmax method 'exact'; expected ibert or shiftmax")]
    [InlineData("""{ "version": 1, "transformer": { "gelu": "tanh" } }""",
        "q.json: $.transformer.gelu: unknown gelu method 'tanh'; expected table, shiftgelu or ibert")]
    [InlineData("""{ "version": 1, "transformer": { "softmax": "Shiftmax" } }""",
        "q.json: $.transformer.softmax: unknown softmax method 'Shiftmax'; expected ibert or shiftmax")]
    [InlineData("""{ "version": 1, "transformer": { "gelu": 1 } }""",
        "q.json: $.transformer.gelu: expected a string (table, shiftgelu or ibert), got 1")]
    [InlineData("""{ "version": 1, "transformer": { "layernorm": "ibert" } }""",
        "q.json: $.transformer.layernorm: unknown key (expected softmax, gelu, softmax_quantizer, softmax_log_bits, pre_rmsnorm, wide_activations or wide_range_factor)")]
    [InlineData("""{ "version": 1, "transformer": { "softmax": "ibert", "softmax": "shiftmax" } }""",
        "q.json: $.transformer.softmax: duplicate key")]
    [InlineData("""{ "version": 1, "transformer": "shiftmax" }""",
        "q.json: $.transformer: expected an object, got \"shiftmax\"")]
    public void Bad_values_name_the_file_the_path_and_the_key(string json, string message)
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse(json, "q.json"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Default_section_is_not_written_and_others_round_trip()
    {
        var defaults = new QuantizationConfig();
        Assert.DoesNotContain("transformer", defaults.ToJson());
        // Spelling out the defaults gives an equal config (and the same bytes when written).
        var explicitDefaults = QuantizationConfig.Parse("""{ "version": 1, "transformer": { "softmax": "ibert", "gelu": "table" } }""", "q.json");
        Assert.Equal(defaults, explicitDefaults);
        Assert.Equal(defaults.ToJson(), explicitDefaults.ToJson());

        foreach (var softmax in Enum.GetValues<SoftmaxMethod>())
            foreach (var gelu in Enum.GetValues<GeluMethod>())
            {
                var config = new QuantizationConfig { Transformer = new TransformerSettings { Softmax = softmax, Gelu = gelu } };
                var json = config.ToJson();
                var reloaded = QuantizationConfig.Parse(json, "round-trip");
                Assert.Equal(config.Transformer, reloaded.Transformer);
                Assert.Equal(config, reloaded);
                Assert.Equal(json, reloaded.ToJson());
                if (!config.Transformer.IsDefault)
                    Assert.Contains($"\"transformer\": {{\n    \"softmax\": \"{softmax.Name()}\",\n    \"gelu\": \"{gelu.Name()}\"\n  }}", json);
            }
    }

    [Fact]
    public void Transformer_settings_take_part_in_equality()
    {
        var a = new QuantizationConfig();
        var b = a with { Transformer = new TransformerSettings { Softmax = SoftmaxMethod.Shiftmax } };
        var c = a with { Transformer = new TransformerSettings { Gelu = GeluMethod.ShiftGelu } };
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(b, c);
    }
}
