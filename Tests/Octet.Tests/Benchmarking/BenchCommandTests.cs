using System.Text.Json;
using Octet.Tests.Cli;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Benchmarking;

/// <summary>
/// <c>octet bench</c> end to end on mnist-8, with few iterations and no warm-up time. Timings on a shared
/// machine say nothing reliable, so nothing here asserts a speed: only that the command compiles, runs
/// both sides, and reports well-formed numbers that agree with each other.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class BenchCommandTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static readonly string MnistConfig = Path.Combine(TestData.Folder, "configs", "mnist-8.quant.json");
    // No wait for the JIT to go quiet: in a test process it rarely does (other tests compile all the time).
    private static readonly string[] Quick = ["--iterations", "5", "--warmup", "2", "--warmup-seconds", "0", "--jit-wait-seconds", "0"];

    [Fact]
    public void Float_plan_json_has_positive_medians_and_their_ratio()
    {
        var json = BenchJson(Mnist);
        Assert.Equal(Mnist, json.GetProperty("model").GetString());
        Assert.Equal("float32", json.GetProperty("numerics").GetString());
        Assert.Equal(1, json.GetProperty("threads").GetInt32());
        Assert.Equal("the float model", json.GetProperty("ort_model").GetString());
        AssertConsistentTimes(json);
        // Both sides ran the float network on the stored digit: their logits agree to float32 summation-order
        // noise (the logits are of order 10; verify's tolerance allows 1e-4 of the range).
        Assert.InRange(json.GetProperty("max_abs_diff").GetDouble(), 0, 1e-3);
        Assert.EndsWith("test_data_set_0", json.GetProperty("inputs").GetString());
    }

    [Fact]
    public void Int8_plan_runs_against_the_QDQ_export()
    {
        var json = BenchJson(Mnist, "--quant", MnistConfig);
        Assert.Equal("integer-only", json.GetProperty("numerics").GetString());
        Assert.Equal("the exported QDQ model", json.GetProperty("ort_model").GetString());
        AssertConsistentTimes(json);
        Assert.True(json.GetProperty("max_abs_diff").GetDouble() >= 0);
    }

    [Fact]
    public void Ort_float_runs_the_float_model_against_the_int8_plan()
    {
        var json = BenchJson(Mnist, "--quant", MnistConfig, "--ort", "float");
        Assert.Equal("integer-only", json.GetProperty("numerics").GetString());
        Assert.Equal("the float model (--ort float)", json.GetProperty("ort_model").GetString());
        AssertConsistentTimes(json);
        // int8 against float on the stored digit: the logits differ by quantization error, not by orders of magnitude.
        Assert.InRange(json.GetProperty("max_abs_diff").GetDouble(), 0, 5);
    }

    [Fact]
    public void Ort_float_without_a_config_exits_2_naming_the_option()
    {
        var (code, _, error) = OctetCli.Run(["bench", Mnist, "--ort", "float", .. Quick]);
        Assert.Equal(2, code);
        Assert.Contains("--ort float needs --quant", error);
    }

    [Fact]
    public void Transformer_config_names_fused_tensors_and_benches_against_the_float_model()
    {
        // The stored bert_toy config names tensors of the fused graph (LayerNorm, GELU, linear layers as Gemm), so
        // bench must check it against that graph, as compile does.
        string[] shapes = ["--shape", "input_ids=1x8", "--shape", "token_type_ids=1x8", "--shape", "input_mask=1x8"];
        var model = TestData.Synthetic("bert_toy_optimized.onnx");
        var config = Path.Combine(TestData.Folder, "configs", "bert_toy_optimized.quant.json");
        var json = BenchJson([model, .. shapes, "--quant", config, "--ort", "float"]);
        Assert.Equal("integer-only", json.GetProperty("numerics").GetString());
        AssertConsistentTimes(json);
    }

    [Fact]
    public void Int8_plan_in_ort_compatible_numerics_matches_the_export_exactly()
    {
        // ort-compatible requantization is bit-exact with ONNX Runtime on the QDQ export (the verify tests
        // establish that), so the last timed runs of both sides must have written identical logits.
        var json = BenchJson(Mnist, "--quant", MnistConfig, "--numerics", "ort-compatible");
        Assert.Equal("ort-compatible", json.GetProperty("numerics").GetString());
        AssertConsistentTimes(json);
        Assert.Equal(0, json.GetProperty("max_abs_diff").GetDouble());
    }

    [Fact]
    public void Threads_go_to_OnnxRuntime_and_the_text_says_Octet_is_single_threaded()
    {
        var (code, output, error) = OctetCli.Run(["bench", Mnist, "--threads", "2", .. Quick]);
        Assert.True(code == 0, error + output);
        Assert.Contains("single-threaded", output);
        Assert.Contains("2 intra-op threads", output);
        Assert.Matches(@"ratio\s+\d+\.\d\d", output);

        var json = BenchJson(Mnist, "--threads", "2");
        Assert.Equal(2, json.GetProperty("threads").GetInt32());
        Assert.Equal(1, json.GetProperty("octet_threads").GetInt32());
    }

    [Fact]
    public void Waits_for_the_JIT_and_says_whether_it_went_quiet_or_that_there_was_no_wait()
    {
        // Without a wait the field is null. With a short one it is true or false, whichever this busy test process gave:
        // the wait ends after its limit either way, so the command must finish and report which it was.
        Assert.Equal(JsonValueKind.Null, BenchJson(Mnist).GetProperty("jit_quiet").ValueKind);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, output, error) = OctetCli.Run(["bench", Mnist, "--iterations", "5", "--warmup", "2", "--warmup-seconds", "0", "--jit-wait-seconds", "1.5", "--json"]);
        Assert.True(code == 0, error + output);
        using var document = JsonDocument.Parse(output);
        var quiet = document.RootElement.GetProperty("jit_quiet").ValueKind;
        Assert.True(quiet is JsonValueKind.True or JsonValueKind.False, $"jit_quiet {quiet}");
        // At least the 1 s without compilation or the 1.5 s limit, whichever ended the wait.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"bench took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--iterations", "0")]
    [InlineData("--warmup-seconds", "-1")]
    [InlineData("--jit-wait-seconds", "-1")]
    public void Refuses_unusable_counts(string option, string value)
    {
        var (code, _, error) = OctetCli.Run("bench", Mnist, option, value);
        Assert.Equal(2, code);
        Assert.Contains(option, error);
    }

    [Fact]
    public void Refuses_a_config_for_an_already_quantized_model()
    {
        var (code, _, error) = OctetCli.Run("bench", TestData.Model("mobilenetv3-small-qdq"), "--quant", MnistConfig);
        Assert.Equal(2, code);
        Assert.Contains("already quantized", error);
    }

    private static JsonElement BenchJson(params string[] args)
    {
        var (code, output, error) = OctetCli.Run(["bench", .. args, .. Quick, "--json"]);
        Assert.True(code == 0, error + output);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    private static void AssertConsistentTimes(JsonElement json)
    {
        double octet = json.GetProperty("octet_us").GetDouble();
        double ort = json.GetProperty("ort_us").GetDouble();
        double ratio = json.GetProperty("ratio").GetDouble();
        Assert.True(octet > 0 && double.IsFinite(octet), $"octet_us {octet}");
        Assert.True(ort > 0 && double.IsFinite(ort), $"ort_us {ort}");
        // The fields are rounded (µs to 0.01, the ratio to 1e-4), so the ratio is checked to that precision.
        Assert.InRange(ratio, ort / octet * 0.99 - 1e-4, ort / octet * 1.01 + 1e-4);
        Assert.Equal(5, json.GetProperty("iterations").GetInt32());
        Assert.True(json.GetProperty("warmup").GetInt32() >= 2);
    }
}
