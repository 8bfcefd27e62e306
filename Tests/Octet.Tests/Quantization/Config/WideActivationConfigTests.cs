using Octet.Compiler.Diagnostics;
using Octet.Compiler.Quantization.Config;
using Xunit;

namespace Octet.Tests.Quantization.Config;

/// <summary>
/// <c>transformer.wide_activations</c> (<c>"none"</c> | <c>"residual"</c>) and <c>transformer.wide_range_factor</c>
/// (a number &gt; 0): defaults, parsing, errors naming file, path and key with the allowed values, writing only when
/// not the default, round trips, and what they hand the QDQ quantizer.
/// </summary>
public sealed class WideActivationConfigTests
{
    [Fact]
    public void Defaults_are_no_wide_activations_and_factor_4()
    {
        var config = QuantizationConfig.Parse("""{ "version": 1 }""", "q.json");
        Assert.Equal(WideActivationPolicy.None, config.Transformer.WideActivations);
        Assert.Equal(4.0, config.Transformer.WideRangeFactor);
        Assert.True(config.Transformer.IsDefault);
        var request = config.ToRequest();
        Assert.Equal(WideActivationPolicy.None, request.WideActivations);
        Assert.Equal(4.0, request.WideRangeFactor);
    }

    [Theory]
    [InlineData("none", WideActivationPolicy.None)]
    [InlineData("residual", WideActivationPolicy.Residual)]
    public void Policy_values_parse(string text, WideActivationPolicy expected)
    {
        var config = QuantizationConfig.Parse($$"""{ "version": 1, "transformer": { "wide_activations": "{{text}}" } }""", "q.json");
        Assert.Equal(expected, config.Transformer.WideActivations);
        Assert.Equal(text, expected.Name());
        Assert.Equal(expected, config.ToRequest().WideActivations);
        // The other transformer keys keep their defaults.
        Assert.Equal(SoftmaxMethod.Ibert, config.Transformer.Softmax);
        Assert.Equal(4.0, config.Transformer.WideRangeFactor);
    }

    [Theory]
    [InlineData("2", 2.0)]
    [InlineData("0.5", 0.5)]
    [InlineData("8.25", 8.25)]
    public void Range_factor_parses(string text, double expected)
    {
        var config = QuantizationConfig.Parse($$"""{ "version": 1, "transformer": { "wide_activations": "residual", "wide_range_factor": {{text}} } }""", "q.json");
        Assert.Equal(expected, config.Transformer.WideRangeFactor);
        Assert.Equal(expected, config.ToRequest().WideRangeFactor);
    }

    [Theory]
    [InlineData("""{ "version": 1, "transformer": { "wide_activations": "all" } }""",
        "q.json: $.transformer.wide_activations: unknown wide activation policy 'all'; expected none or residual")]
    [InlineData("""{ "version": 1, "transformer": { "wide_activations": "Residual" } }""",
        "q.json: $.transformer.wide_activations: unknown wide activation policy 'Residual'; expected none or residual")]
    [InlineData("""{ "version": 1, "transformer": { "wide_activations": true } }""",
        "q.json: $.transformer.wide_activations: expected a string (none or residual), got true")]
    [InlineData("""{ "version": 1, "transformer": { "wide_range_factor": 0 } }""",
        "q.json: $.transformer.wide_range_factor: must be a number greater than 0, got 0")]
    [InlineData("""{ "version": 1, "transformer": { "wide_range_factor": -2 } }""",
        "q.json: $.transformer.wide_range_factor: must be a number greater than 0, got -2")]
    [InlineData("""{ "version": 1, "transformer": { "wide_range_factor": "4" } }""",
        "q.json: $.transformer.wide_range_factor: expected a number, got \"4\"")]
    [InlineData("""{ "version": 1, "transformer": { "wide_range_factor": 1e400 } }""",
        "q.json: $.transformer.wide_range_factor: 1e400 is not a finite number")]
    public void Bad_values_name_the_file_the_path_the_key_and_the_allowed_values(string json, string message)
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse(json, "q.json"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Defaults_are_not_written_and_other_values_round_trip()
    {
        var defaults = new QuantizationConfig();
        Assert.DoesNotContain("wide_", defaults.ToJson());
        var explicitDefaults = QuantizationConfig.Parse("""{ "version": 1, "transformer": { "wide_activations": "none", "wide_range_factor": 4 } }""", "q.json");
        Assert.Equal(defaults, explicitDefaults);
        Assert.Equal(defaults.ToJson(), explicitDefaults.ToJson());

        foreach (var policy in Enum.GetValues<WideActivationPolicy>())
            foreach (var factor in new[] { 4.0, 2.0, 0.75 })
            {
                var config = new QuantizationConfig { Transformer = new TransformerSettings { WideActivations = policy, WideRangeFactor = factor } };
                var json = config.ToJson();
                var reloaded = QuantizationConfig.Parse(json, "round-trip");
                Assert.Equal(config.Transformer, reloaded.Transformer);
                Assert.Equal(config, reloaded);
                Assert.Equal(json, reloaded.ToJson());
                Assert.Equal(policy != WideActivationPolicy.None, json.Contains("\"wide_activations\": \"residual\""));
                Assert.Equal(factor != 4.0, json.Contains("\"wide_range_factor\""));
            }
    }

    [Fact]
    public void Policy_and_factor_take_part_in_equality()
    {
        var a = new QuantizationConfig();
        var b = a with { Transformer = new TransformerSettings { WideActivations = WideActivationPolicy.Residual } };
        var c = a with { Transformer = new TransformerSettings { WideRangeFactor = 2 } };
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(b, c);
    }

    [Fact]
    public void Request_carries_the_calibrated_range_where_the_config_has_one()
    {
        var config = QuantizationConfig.Parse("""
            { "version": 1, "tensors": {
                "ranged": { "min": -1.5, "max": 3 },
                "calibrated": { "min": -2, "max": 1, "scale": 0.0117647061, "zero_point": 42 },
                "explicit": { "scale": 0.5, "zero_point": 0 },
                "float": { "keep_float": true } } }
            """, "q.json");
        var request = config.ToRequest();
        Assert.Equal((-1.5f, 3f), request.ActivationRange("ranged"));
        Assert.Equal((-2f, 1f), request.ActivationRange("calibrated"));
        Assert.Null(request.ActivationRange("explicit"));
        Assert.Null(request.ActivationRange("float"));
        Assert.Null(request.ActivationRange("absent"));
    }
}
