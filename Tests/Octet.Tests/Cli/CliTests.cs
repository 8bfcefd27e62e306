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
