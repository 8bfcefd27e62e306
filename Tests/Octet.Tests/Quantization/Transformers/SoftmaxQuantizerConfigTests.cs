using System.Text.Json;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>The <c>transformer.softmax_quantizer</c> / <c>softmax_log_bits</c> config keys: parsed, validated by path, written back, in the schema.</summary>
public sealed class SoftmaxQuantizerConfigTests
{
    [Theory]
    [InlineData("uniform", SoftmaxQuantizer.Uniform)]
    [InlineData("log2", SoftmaxQuantizer.Log2)]
    [InlineData("logsqrt2", SoftmaxQuantizer.LogSqrt2)]
    public void Quantizer_is_parsed_written_and_reaches_lowering(string text, SoftmaxQuantizer expected)
    {
        var config = QuantizationConfig.Parse($$"""{ "version": 1, "transformer": { "softmax_quantizer": "{{text}}", "softmax_log_bits": 6 } }""", "q.json");
        Assert.Equal(expected, config.Transformer.SoftmaxQuantizer);
        Assert.Equal(6, config.Transformer.SoftmaxLogBits);
        Assert.Equal(text, config.ToLoweringOptions().SoftmaxQuantizer);
        Assert.Equal(6, config.ToLoweringOptions().SoftmaxLogBits);
        Assert.Equal(config, QuantizationConfig.Parse(config.ToJson(), "again.json"));
    }

    [Fact]
    public void Defaults_are_uniform_and_four_bits_and_are_not_written()
    {
        var config = QuantizationConfig.Parse("""{ "version": 1 }""", "q.json");
        Assert.Equal(SoftmaxQuantizer.Uniform, config.Transformer.SoftmaxQuantizer);
        Assert.Equal(4, config.Transformer.SoftmaxLogBits);
        Assert.DoesNotContain("softmax_quantizer", config.ToJson());
    }

    [Theory]
    [InlineData("""{ "softmax_quantizer": "log10" }""", "q.json: $.transformer.softmax_quantizer: ", "log10")]
    [InlineData("""{ "softmax_log_bits": 9 }""", "q.json: $.transformer.softmax_log_bits: ", "from 1 to 8")]
    [InlineData("""{ "softmax_log_bits": 0 }""", "q.json: $.transformer.softmax_log_bits: ", "from 1 to 8")]
    public void Bad_values_are_reported_with_file_path_and_key(string section, string prefix, string fragment)
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse($$"""{ "version": 1, "transformer": {{section}} }""", "q.json"));
        Assert.StartsWith(prefix, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Graph_rewrite_switches_are_parsed_and_written()
    {
        var config = QuantizationConfig.Parse("""{ "version": 1, "transformer": { "pre_rmsnorm": true } }""", "q.json");
        Assert.True(config.Transformer.PreRmsNorm);
        Assert.Equal(config, QuantizationConfig.Parse(config.ToJson(), "again.json"));
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse("""{ "version": 1, "transformer": { "pre_rmsnorm": "yes" } }""", "q.json"));
        Assert.StartsWith("q.json: $.transformer.pre_rmsnorm: ", e.Message);
    }

    [Fact]
    public void Schema_lists_the_quantizers_and_defaults_of_the_reader()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "quantization-config.schema.json")));
        var transformer = schema.RootElement.GetProperty("properties").GetProperty("transformer").GetProperty("properties");
        Assert.Equal(ConfigNames.SoftmaxQuantizerNames, transformer.GetProperty("softmax_quantizer").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
        var defaults = new TransformerSettings();
        Assert.Equal(defaults.SoftmaxQuantizer.Name(), transformer.GetProperty("softmax_quantizer").GetProperty("default").GetString());
        Assert.Equal(defaults.SoftmaxLogBits, transformer.GetProperty("softmax_log_bits").GetProperty("default").GetInt32());
    }
}
