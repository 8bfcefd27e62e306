using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.Config;

/// <summary>Reading, validating and writing quantization configs (the JSON contract between calibration and lowering).</summary>
public sealed class QuantizationConfigTests
{
    private static readonly Lazy<ModelGraph> Mnist = new(() => OnnxModelLoader.Load(TestData.Model("mnist-8")));

    private const string Full = """
        {
          "$schema": "https://octet.dev/schemas/quantization-config-v1.json",
          "version": 1,
          "numerics": "ort-compatible",
          "weights":     { "type": "int8", "bits": 8, "symmetric": true, "per_channel": false },
          "activations": { "type": "uint8", "symmetric": false, "method": "percentile", "percentile": 99.9, "bn_k": 4 },
          "tensors": {
            "Input3":          { "min": 0.0, "max": 1.0, "scale": 0.003921569, "zero_point": 0 },
            "ReLU32_Output_0": { "min": -1, "max": 3 },
            "Plus214_Output_0": { "keep_float": true }
          },
          "nodes": { "Plus214": { "precision": "float32" } },
          "calibration": { "method": "entropy", "samples": 1000, "data": "mnist-10k-images-idx3-ubyte", "input_scale": 0.00392156886 }
        }
        """;

    [Fact]
    public void Parses_every_field()
    {
        var config = QuantizationConfig.Parse(Full, "q.json", Mnist.Value);
        Assert.Equal(NumericsMode.OrtCompatible, config.Numerics);
        Assert.Equal(new WeightSettings { Type = ElementType.Int8, Symmetric = true, PerChannel = false }, config.Weights);
        Assert.Equal(ElementType.UInt8, config.Activations.Type);
        Assert.False(config.Activations.Symmetric);
        Assert.Equal(CalibrationMethod.Percentile, config.Activations.Method);
        Assert.Equal(99.9, config.Activations.Percentile);
        Assert.Equal(4, config.Activations.BnK);
        Assert.Equal(3, config.Tensors.Count);
        Assert.Equal(new TensorSettings { Min = 0, Max = 1, Scale = 0.003921569f, ZeroPoint = 0 }, config.Tensors["Input3"]);
        Assert.True(config.Tensors["Plus214_Output_0"].KeepFloat);
        Assert.Equal(NodePrecision.Float32, config.Nodes["Plus214"].Precision);
        Assert.Equal(new CalibrationRecord { Method = CalibrationMethod.Entropy, Samples = 1000, Data = "mnist-10k-images-idx3-ubyte", InputScale = 0.00392156886 },
            config.Calibration);
        Assert.Equal("q.json", config.Source);
    }

    [Fact]
    public void Defaults_when_only_the_version_is_given()
    {
        var config = QuantizationConfig.Parse("""{ "version": 1 }""", "q.json");
        Assert.Equal(NumericsMode.IntegerOnly, config.Numerics);
        Assert.Equal(new WeightSettings { Type = ElementType.Int8, Symmetric = true, PerChannel = true }, config.Weights);
        Assert.Equal(new ActivationSettings { Type = ElementType.Int8, Symmetric = false, Method = CalibrationMethod.MinMax, Percentile = 99.999, BnK = 6 },
            config.Activations);
        Assert.Empty(config.Tensors);
        Assert.Empty(config.Nodes);
        Assert.Null(config.Calibration);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_allowed()
    {
        var config = QuantizationConfig.Parse("""
            {
              // hand-edited
              "version": 1,
              "numerics": "ort-compatible", /* for bit-exactness */
            }
            """, "q.json");
        Assert.Equal(NumericsMode.OrtCompatible, config.Numerics);
    }

    [Fact]
    public void Activation_parameters_prefer_scale_and_zero_point_then_range()
    {
        var config = QuantizationConfig.Parse(Full, "q.json");
        // Explicit: uint8 scale 0.003921569, zp 0, exactly as written.
        Assert.Equal(QuantizationParameters.PerTensor(ElementType.UInt8, 0.003921569f, 0), config.ActivationParameters("Input3"));
        // From [-1, 3], uint8 asymmetric: scale 4/255, zp = round(0 - (-1)/(4/255)) = round(63.75) = 64.
        var fromRange = config.ActivationParameters("ReLU32_Output_0")!;
        Assert.Equal(4f / 255, fromRange.Scale, 1e-9f);
        Assert.Equal(64, fromRange.ZeroPoint);
        Assert.Null(config.ActivationParameters("Plus214_Output_0")); // keep_float
        Assert.Null(config.ActivationParameters("Pooling66_Output_0")); // not listed
        Assert.True(config.KeepsFloat("Plus214_Output_0"));
        Assert.False(config.KeepsFloat("Input3"));
        Assert.True(config.NodeKeepsFloat("Plus214"));
        Assert.False(config.NodeKeepsFloat("ReLU32"));
    }

    [Fact]
    public void Symmetric_activations_from_a_range_have_zero_point_zero()
    {
        var config = QuantizationConfig.Parse("""
            { "version": 1, "activations": { "symmetric": true }, "tensors": { "t": { "min": -2, "max": 5.08 } } }
            """, "q.json");
        var p = config.ActivationParameters("t")!;
        Assert.Equal(0, p.ZeroPoint);
        Assert.Equal(5.08f * 2 / 254, p.Scale, 1e-7f); // ±5.08 over [-127, 127]
    }

    [Fact]
    public void Request_carries_the_settings()
    {
        var request = QuantizationConfig.Parse(Full, "q.json").ToRequest();
        Assert.Equal("q.json", request.Source);
        Assert.False(request.WeightsPerChannel);
        Assert.True(request.KeepsFloat("Plus214_Output_0"));
        Assert.True(request.NodeKeepsFloat("Plus214"));
        Assert.Equal(0, request.ActivationParameters("Input3")!.ZeroPoint);
    }

    // ---- errors: file, JSON path, key ----

    [Theory]
    [InlineData("""{ "version": 1, "tensors": { "foo": { "min": 0, "max": 1 } } }""", "q.json: $.tensors.foo: no tensor 'foo' in the model")]
    [InlineData("""{ "version": 1, "nodes": { "Conv_9": { "precision": "float32" } } }""", "q.json: $.nodes.Conv_9: no node 'Conv_9' in the model")]
    [InlineData("""{ "version": 1, "tensors": { "a/b:0": { "min": 0, "max": 1 } } }""", "q.json: $.tensors['a/b:0']: no tensor 'a/b:0' in the model")]
    public void Names_not_in_the_model_are_errors(string json, string message)
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse(json, "q.json", Mnist.Value));
        Assert.Equal(message, e.Message);
        // Without a model the names cannot be checked, and are accepted.
        QuantizationConfig.Parse(json, "q.json");
    }

    [Theory]
    [InlineData("""{ "version": 1, "activations": { "method": "kl" } }""",
        "q.json: $.activations.method: unknown method 'kl'; expected minmax, percentile, entropy, mse or bn-stats")]
    [InlineData("""{ "version": 1, "weights": { "symmetric": "yes" } }""",
        "q.json: $.weights.symmetric: expected true or false, got \"yes\"")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "min": 0, "max": 1, "frobnicate": 2 } } }""",
        "q.json: $.tensors.x.frobnicate: unknown key (expected min, max, scale, zero_point or keep_float)")]
    [InlineData("""{ "version": 1, "quantize": true }""",
        "q.json: $.quantize: unknown key (expected $schema, version, numerics, weights, activations, transformer, tensors, nodes or calibration)")]
    [InlineData("""{ "version": 1, "numerics": "fast" }""",
        "q.json: $.numerics: unknown numerics mode 'fast'; expected integer-only or ort-compatible")]
    [InlineData("""{ "version": 1, "weights": { "type": "int16" } }""",
        "q.json: $.weights.type: type 'int16' is not supported: only 8-bit quantization is (int8 or uint8)")]
    [InlineData("""{ "version": 1, "activations": { "type": "float8" } }""",
        "q.json: $.activations.type: unknown type 'float8'; expected int8 or uint8")]
    [InlineData("""{ "version": 1, "weights": { "bits": 4 } }""",
        "q.json: $.weights.bits: 4-bit quantization is not supported: only 8-bit is")]
    [InlineData("""{ "version": 1, "activations": { "bits": 16 } }""",
        "q.json: $.activations.bits: 16-bit quantization is not supported: only 8-bit is")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "scale": 0, "zero_point": 0 } } }""",
        "q.json: $.tensors.x.scale: scale must be positive, got 0")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "scale": -0.5, "zero_point": 0 } } }""",
        "q.json: $.tensors.x.scale: scale must be positive, got -0.5")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "scale": 0.1, "zero_point": 128 } } }""",
        "q.json: $.tensors.x.zero_point: zero point 128 is outside the int8 range [-128, 127] (the activation type)")]
    [InlineData("""{ "tensors": { "x": { "scale": 0.1, "zero_point": -1 } }, "activations": { "type": "uint8" }, "version": 1 }""",
        "q.json: $.tensors.x.zero_point: zero point -1 is outside the uint8 range [0, 255] (the activation type)")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "min": 2, "max": 1 } } }""",
        "q.json: $.tensors.x.min: min 2 is greater than max 1")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "min": 2 } } }""",
        "q.json: $.tensors.x: 'min' is given without 'max'")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "scale": 0.5 } } }""",
        "q.json: $.tensors.x: 'scale' is given without 'zero_point'")]
    [InlineData("""{ "version": 1, "tensors": { "x": { } } }""",
        "q.json: $.tensors.x: says nothing: give min and max, scale and zero_point, or \"keep_float\": true")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "min": "0", "max": 1 } } }""",
        "q.json: $.tensors.x.min: expected a number, got \"0\"")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "min": 0, "max": 1e39 } } }""",
        "q.json: $.tensors.x.max: 1e39 is not a finite float32 number")]
    [InlineData("""{ "version": 1, "tensors": { "x": { "scale": 0.5, "zero_point": 1.5 } } }""",
        "q.json: $.tensors.x.zero_point: expected an integer, got 1.5")]
    [InlineData("""{ "version": 1, "tensors": [] }""",
        "q.json: $.tensors: expected an object, got []")]
    [InlineData("""{ "version": 1, "nodes": { "n": { "precision": "float16" } } }""",
        "q.json: $.nodes.n.precision: unknown precision 'float16'; expected float32")]
    [InlineData("""{ "version": 1, "nodes": { "n": { } } }""",
        "q.json: $.nodes.n: missing required key 'precision'")]
    [InlineData("""{ "version": 1, "activations": { "percentile": 120 } }""",
        "q.json: $.activations.percentile: must be greater than 0 and at most 100, got 120")]
    [InlineData("""{ "version": 1, "activations": { "bn_k": 0 } }""",
        "q.json: $.activations.bn_k: must be positive, got 0")]
    [InlineData("""{ "version": 2 }""",
        "q.json: $.version: version 2 is not supported; this reader understands version 1")]
    [InlineData("""{ "numerics": "integer-only" }""",
        "q.json: $: missing required key 'version' (this reader understands version 1)")]
    [InlineData("""{ "version": 1, "version": 1 }""",
        "q.json: $.version: duplicate key")]
    [InlineData("""{ "version": 1, "calibration": { "samples": 3 } }""",
        "q.json: $.calibration: missing required key 'method'")]
    [InlineData("""{ "version": 1, "calibration": { "method": "minmax", "input_scale": -1 } }""",
        "q.json: $.calibration.input_scale: must be positive, got -1")]
    [InlineData("""[1, 2]""",
        "q.json: $: expected an object, got [1, 2]")]
    public void Errors_name_the_file_the_path_and_the_key(string json, string message)
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse(json, "q.json"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Invalid_json_reports_line_and_column()
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Parse("{\n  \"version\": 1\n  \"numerics\": 2\n}", "q.json"));
        Assert.StartsWith("q.json: line 3, column 3: not valid JSON", e.Message);
    }

    [Fact]
    public void Load_names_a_missing_file()
    {
        var e = Assert.Throws<OctetException>(() => QuantizationConfig.Load("/nonexistent/q.json"));
        Assert.StartsWith("/nonexistent/q.json: cannot read the quantization config", e.Message);
    }

    // ---- writing ----

    [Fact]
    public void Save_then_Load_gives_the_same_config_and_the_same_bytes()
    {
        using var folder = new TempFolder();
        var config = QuantizationConfig.Parse(Full, "q.json", Mnist.Value);
        config.Save(folder.File("a.json"));
        var reloaded = QuantizationConfig.Load(folder.File("a.json"), Mnist.Value);
        Assert.Equal(config, reloaded);
        reloaded.Save(folder.File("b.json"));
        Assert.Equal(File.ReadAllBytes(folder.File("a.json")), File.ReadAllBytes(folder.File("b.json")));
    }

    [Fact]
    public void Floats_round_trip_bit_exactly()
    {
        // Values whose shortest decimal form needs all nine significant digits, and extremes.
        float[] values = [0.1f, 1f / 3, 0.00392156886f, 16777217f, float.Epsilon, float.MaxValue, -float.MaxValue, 1e-30f, 3.40282e38f, -0f];
        var tensors = System.Collections.Immutable.ImmutableSortedDictionary.CreateBuilder<string, TensorSettings>(StringComparer.Ordinal);
        for (int i = 0; i < values.Length; i++)
            tensors[$"t{i}"] = new TensorSettings { Min = values[i], Max = float.MaxValue, Scale = Math.Abs(values[i]) > 0 ? Math.Abs(values[i]) : 1, ZeroPoint = 0 };
        var config = new QuantizationConfig { Tensors = tensors.ToImmutable() };
        var reloaded = QuantizationConfig.Parse(config.ToJson(), "round-trip");
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(reloaded.Tensors[$"t{i}"].Min!.Value));
            Assert.Equal(BitConverter.SingleToInt32Bits(config.Tensors[$"t{i}"].Scale!.Value), BitConverter.SingleToInt32Bits(reloaded.Tensors[$"t{i}"].Scale!.Value));
        }
    }

    [Fact]
    public void Writes_tensors_sorted_ordinally_with_fixed_layout()
    {
        var tensors = System.Collections.Immutable.ImmutableSortedDictionary.CreateBuilder<string, TensorSettings>(StringComparer.Ordinal);
        tensors["b"] = new TensorSettings { Min = -1, Max = 2.5f, Scale = 0.25f, ZeroPoint = 3 };
        tensors["B"] = new TensorSettings { KeepFloat = true };
        tensors["a"] = new TensorSettings { Min = 0, Max = 1 };
        var config = new QuantizationConfig { Tensors = tensors.ToImmutable() };
        // Expected text written out by hand: ordinal order puts "B" before "a" and "b".
        const string expected = """
            {
              "$schema": "https://octet.dev/schemas/quantization-config-v1.json",
              "version": 1,
              "numerics": "integer-only",
              "weights": {
                "type": "int8",
                "symmetric": true,
                "per_channel": true
              },
              "activations": {
                "type": "int8",
                "symmetric": false,
                "method": "minmax",
                "percentile": 99.999,
                "bn_k": 6
              },
              "tensors": {
                "B": {
                  "keep_float": true
                },
                "a": {
                  "min": 0,
                  "max": 1
                },
                "b": {
                  "min": -1,
                  "max": 2.5,
                  "scale": 0.25,
                  "zero_point": 3
                }
              }
            }

            """;
        Assert.Equal(expected.Replace("\r\n", "\n"), config.ToJson());
    }

    [Fact]
    public void Equality_compares_entries_not_dictionary_identity()
    {
        var a = QuantizationConfig.Parse(Full, "a.json");
        var b = QuantizationConfig.Parse(Full, "b.json");
        Assert.Equal(a, b); // the source name is not part of equality
        var c = a with { Tensors = a.Tensors.SetItem("Input3", new TensorSettings { Min = 0, Max = 2 }) };
        Assert.NotEqual(a, c);
    }
}
