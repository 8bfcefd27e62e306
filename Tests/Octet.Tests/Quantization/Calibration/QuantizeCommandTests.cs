using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.Cli;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.Calibration;

/// <summary><c>octet quantize</c>, run in-process.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class QuantizeCommandTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static string Digits => Path.Combine(TestData.RepositoryRoot, "Samples", "Data", "mnist-10k", "mnist-10k-images-idx3-ubyte");

    [Fact]
    public void Calibrates_on_idx_digits_and_writes_a_config()
    {
        using var folder = new TempFolder();
        var output = folder.File("mnist.quant.json");
        var (code, stdout, error) = OctetCli.Run("quantize", Mnist, "--calibration", Digits, "--input-scale", "1/255", "--samples", "20",
            "--method", "percentile", "--percentile", "99.99", "--activation-type", "uint8", "--numerics", "ort-compatible", "-o", output);
        Assert.True(code == 0, error + stdout);
        Assert.Contains("calibrated", stdout);
        Assert.Contains("percentile on 20 sample(s)", stdout);
        Assert.Contains("ReLU32_Output_0", stdout);

        var config = QuantizationConfig.Load(output, OnnxModelLoader.Load(Mnist));
        Assert.Equal(NumericsMode.OrtCompatible, config.Numerics);
        Assert.Equal(ElementType.UInt8, config.Activations.Type);
        Assert.Equal(99.99, config.Activations.Percentile);
        Assert.True(config.Weights.PerChannel);
        Assert.Equal(new CalibrationRecord { Method = CalibrationMethod.Percentile, Samples = 20, Data = "mnist-10k-images-idx3-ubyte", InputScale = 1.0 / 255 },
            config.Calibration);
        Assert.Equal(12, config.Tensors.Count);
        var input = config.Tensors["Input3"];
        Assert.Equal((0f, 1f, 0), (input.Min!.Value, input.Max!.Value, input.ZeroPoint!.Value));
        Assert.Equal(1f / 255, input.Scale!.Value, 1e-9f);
    }

    [Fact]
    public void Pre_rmsnorm_refuses_a_post_LN_model_with_the_reason_and_writes_nothing()
    {
        // bert_toy's LayerNorms read the residual Add's sum (post-LN): its stream cannot be centered.
        using var folder = new TempFolder();
        var output = folder.File("bert.quant.json");
        var (code, _, error) = OctetCli.Run("quantize", TestData.Synthetic("bert_toy_optimized.onnx"),
            "--shape", "input_ids=1x8", "--shape", "token_type_ids=1x8", "--shape", "input_mask=1x8",
            "--method", "bn-stats", "--pre-rmsnorm", "-o", output);
        Assert.Equal(2, code);
        Assert.Contains("pre_rmsnorm", error);
        Assert.Contains("does not qualify", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Refuses_to_overwrite_without_force()
    {
        using var folder = new TempFolder();
        var output = folder.File("q.json");
        File.WriteAllText(output, "precious");
        var (code, _, error) = OctetCli.Run("quantize", Mnist, "--calibration", Digits, "--input-scale", "0.00392156862745098", "--samples", "5", "-o", output);
        Assert.Equal(2, code);
        Assert.Equal($"error: {output} already exists; use --force to overwrite it", error.Trim());
        Assert.Equal("precious", File.ReadAllText(output));

        (code, _, error) = OctetCli.Run("quantize", Mnist, "--calibration", Digits, "--input-scale", "0.00392156862745098", "--samples", "5", "-o", output, "--force");
        Assert.True(code == 0, error);
        Assert.Equal(CalibrationMethod.MinMax, QuantizationConfig.Load(output).Calibration!.Method);
    }

    [Fact]
    public void Calibrates_on_test_data_set_folders_and_npy_files()
    {
        using var folder = new TempFolder();
        var (code, _, error) = OctetCli.Run("quantize", Mnist, "--calibration", TestData.ModelFolder("mnist-8"), "--method", "entropy", "-o", folder.File("a.json"));
        Assert.True(code == 0, error);
        Assert.Equal(3, QuantizationConfig.Load(folder.File("a.json")).Calibration!.Samples);

        var npy = folder.File("Input3.npy");
        CalibrationSamplesTests.WriteNpy(npy, Tensor.Create(new Shape(4, 1, 28, 28), Enumerable.Range(0, 4 * 784).Select(i => (i % 97) / 97f).ToArray()));
        (code, _, error) = OctetCli.Run("quantize", Mnist, "--calibration", npy, "--method", "mse", "--per-channel", "false", "-o", folder.File("b.json"));
        Assert.True(code == 0, error);
        var config = QuantizationConfig.Load(folder.File("b.json"));
        Assert.Equal(4, config.Calibration!.Samples);
        Assert.False(config.Weights.PerChannel);
        Assert.Equal(96f / 97, config.Tensors["Input3"].Max!.Value);
    }

    [Theory]
    [InlineData("--calibration", "DIGITS", "--input-scale", "1/0", "-o", "OUT")]
    [InlineData("--calibration", "DIGITS", "--input-scale", "-3", "-o", "OUT")]
    [InlineData("--calibration", "DIGITS", "--input-scale", "abc", "-o", "OUT")]
    [InlineData("--calibration", "/nonexistent/digits", "-o", "OUT")]
    [InlineData("--method", "entropy", "-o", "OUT")]
    [InlineData("--method", "bn-stats", "-o", "OUT")]
    [InlineData("--calibration", "DIGITS", "--samples", "0", "-o", "OUT")]
    [InlineData("--calibration", "DIGITS", "--method", "percentile", "--percentile", "0", "-o", "OUT")]
    [InlineData("--calibration", "MODELDIR", "--input-scale", "0.5", "-o", "OUT")]
    public void Unusable_input_exits_2_with_a_message(params string[] options)
    {
        using var folder = new TempFolder();
        var args = new[] { "quantize", Mnist }.Concat(options.Select(o => o switch
        {
            "DIGITS" => Digits,
            "MODELDIR" => TestData.ModelFolder("mnist-8"),
            "OUT" => folder.File("q.json"),
            _ => o,
        })).ToArray();
        var (code, _, error) = OctetCli.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(folder.File("q.json")));
    }

    [Fact]
    public void Unknown_method_and_missing_output_are_usage_errors()
    {
        var (code, _, error) = OctetCli.Run("quantize", Mnist, "--calibration", Digits, "--method", "kl", "-o", "x.json");
        Assert.Equal(2, code);
        Assert.Contains("kl", error);
        (code, _, error) = OctetCli.Run("quantize", Mnist, "--calibration", Digits);
        Assert.Equal(2, code);
        Assert.Contains("--output", error);
    }

    [Fact]
    public void Bn_stats_without_data_names_the_uncovered_tensors()
    {
        using var folder = new TempFolder();
        var (code, _, error) = OctetCli.Run("quantize", Mnist, "--method", "bn-stats", "-o", folder.File("q.json"));
        Assert.Equal(2, code);
        Assert.Contains("need calibration data: Input3, Convolution28_Output_0", error);
    }
}
