using System.Text.Json;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CliTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static readonly string MnistData = Path.Combine(TestData.ModelFolder("mnist-8"), "test_data_set_0");

    [Fact]
    public void Inspect_lists_inputs_outputs_and_operator_support()
    {
        var (code, output, _) = OctetCli.Run("inspect", Mnist);
        Assert.Equal(0, code);
        Assert.Contains("Input3: float[1,1,28,28]", output);
        Assert.Contains("Plus214_Output_0: float[1,10]", output);
        Assert.Matches(@"Conv\s+1\s+2\s+yes", output);
        Assert.Contains("opsets: ai.onnx 8", output);
        // conv 8·1·5·5 + 8, conv 16·8·5·5 + 16, dense 256·10 + 10, counted by hand from the layer shapes.
        Assert.Contains("parameters: 5,994", output);
    }

    [Fact]
    public void Inspect_reports_unsupported_operators_and_exits_1()
    {
        var (code, output, _) = OctetCli.Run("inspect", TestData.Synthetic("gpt2_one_layer.onnx"));
        Assert.Equal(1, code);
        Assert.Contains("com.microsoft.FastGelu", output);
        Assert.Contains("no (operator not implemented)", output);
    }

    [Fact]
    public void Run_prints_output_summary()
    {
        var (code, output, error) = OctetCli.Run("run", Mnist, "--inputs", MnistData);
        Assert.True(code == 0, error);
        Assert.Contains("Plus214_Output_0: float[1,10]", output);
    }

    [Fact]
    public void Verify_json_reports_agreement_with_OnnxRuntime()
    {
        var (code, output, error) = OctetCli.Run("verify", Mnist, "--inputs", MnistData, "--json");
        Assert.True(code == 0, error + output);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("1.30.0", json.RootElement.GetProperty("ort_version").GetString());
        var first = json.RootElement.GetProperty("outputs")[0];
        Assert.Equal("Plus214_Output_0", first.GetProperty("name").GetString());
        Assert.Equal(10, first.GetProperty("elements").GetInt64());
        foreach (var field in new[] { "max_abs_diff", "max_rel_diff", "cosine_similarity", "fraction_bit_exact", "argmax_agreement" })
            Assert.True(first.TryGetProperty(field, out _), field);
        Assert.Equal(1.0, first.GetProperty("argmax_agreement").GetDouble());
        Assert.True(first.GetProperty("cosine_similarity").GetDouble() > 0.99999);
    }

    [Fact]
    public void Verify_with_random_inputs_passes()
    {
        var (code, output, error) = OctetCli.Run("verify", Mnist, "--inputs", "random");
        Assert.True(code == 0, error + output);
        Assert.Contains("PASS", output);
    }

    [Fact]
    public void Verify_exits_1_when_outside_tolerance()
    {
        // Demanding bit-exact agreement: float32 sums in a different order cannot all meet it on squeezenet.
        var folder = Path.Combine(TestData.ModelFolder("squeezenet1.0"), "test_data_set_0");
        var (code, output, _) = OctetCli.Run("verify", TestData.Model("squeezenet1.0"), "--inputs", folder, "--rtol", "0", "--range-tol", "0");
        Assert.Equal(1, code);
        Assert.Contains("FAIL", output);
    }

    [Theory]
    [InlineData("verify", "/nonexistent/model.onnx", "--inputs", "random")]
    [InlineData("run", "MODEL", "--inputs", "/nonexistent/folder")]
    [InlineData("run", "MODEL", "--inputs", "random", "--shape", "Input3=1x1x28")]
    [InlineData("run", "MODEL", "--inputs", "random", "--shape", "nosuchinput=1x1x28x28")]
    [InlineData("inspect", "MODEL", "--shape", "Input3=axb")]
    public void Unusable_input_exits_2_with_a_message(params string[] args)
    {
        args = args.Select(a => a == "MODEL" ? Mnist : a).ToArray();
        var (code, _, error) = OctetCli.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
    }

    [Fact]
    public void Missing_required_option_exits_2()
    {
        var (code, _, error) = OctetCli.Run("run", Mnist);
        Assert.Equal(2, code);
        Assert.Contains("--inputs", error);
    }
}

[Collection(ConsoleCollection.Name)]
public sealed class QuantizedCliTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static readonly string MnistConfig = Path.Combine(TestData.RepositoryRoot, "Samples", "Mnist", "mnist-8.quant.json");
    private static readonly string Images = Path.Combine(TestData.RepositoryRoot, "Samples", "Data", "mnist-10k", "mnist-10k-images-idx3-ubyte");
    private static readonly string Labels = Path.Combine(TestData.RepositoryRoot, "Samples", "Data", "mnist-10k", "mnist-10k-labels-idx1-ubyte");

    [Theory]
    [InlineData("integer-only")]
    [InlineData("ort-compatible")]
    public void Verify_with_a_config_compares_the_int8_plan_with_OnnxRuntime_on_the_QDQ_export(string numerics)
    {
        var data = Path.Combine(TestData.ModelFolder("mnist-8"), "test_data_set_1");
        var (code, output, error) = OctetCli.Run("verify", Mnist, "--quant", MnistConfig, "--numerics", numerics, "--inputs", data, "--json");
        Assert.True(code == 0, error + output);
        using var json = JsonDocument.Parse(output);
        var first = json.RootElement.GetProperty("outputs")[0];
        long maxLsb = first.GetProperty("int8_max_lsb").GetInt64();
        // ort-compatible numerics reproduce ONNX Runtime's float32 requantization: bit-exact.
        if (numerics == "ort-compatible") Assert.Equal(0, maxLsb);
        else Assert.InRange(maxLsb, 0, 2);
        Assert.Equal(1.0, first.GetProperty("argmax_agreement").GetDouble());
    }

    [Fact]
    public void Verify_of_a_model_that_arrives_quantized_needs_no_config()
    {
        var (code, output, error) = OctetCli.Run("verify", TestData.Synthetic("conv_qdq_s8s8.onnx"), "--inputs", "random", "--numerics", "ort-compatible");
        Assert.True(code == 0, error + output);
        Assert.Contains("bit-exact 100.000 %", output);
    }

    [Fact]
    public void Eval_reports_float_and_int8_top1_for_Octet_and_OnnxRuntime()
    {
        var (code, output, error) = OctetCli.Run("eval", Mnist, "--quant", MnistConfig, "--images", Images, "--labels", Labels,
            "--input-scale", "1/255", "--count", "300", "--json");
        Assert.True(code == 0, error + output);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        foreach (var name in new[] { "onnxruntime_float_top1", "octet_float_top1", "octet_int8_top1", "onnxruntime_qdq_top1" })
            Assert.InRange(root.GetProperty(name).GetDouble(), 0.97, 1.0);
        // The same float model, the same images: the two float figures are identical.
        Assert.Equal(root.GetProperty("onnxruntime_float_top1").GetDouble(), root.GetProperty("octet_float_top1").GetDouble());
    }

    [Fact]
    public void Eval_rejects_images_given_as_labels()
    {
        var (code, _, error) = OctetCli.Run("eval", Mnist, "--images", Images, "--labels", Images, "--input-scale", "1/255");
        Assert.Equal(2, code);
        Assert.Contains("label file has rank 1", error);
    }

    [Fact]
    public void Eval_rejects_a_bad_input_scale()
    {
        var (code, _, error) = OctetCli.Run("eval", Mnist, "--images", Images, "--labels", Labels, "--input-scale", "1/0");
        Assert.Equal(2, code);
        Assert.Contains("--input-scale", error);
    }
}
