using Octet.Compiler.Data;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Reference;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.Calibration;

/// <summary>The observer and the calibration driver, on mnist-8 and on small cases.</summary>
public sealed class CalibratorTests
{
    private static readonly Lazy<ModelGraph> Mnist = new(() => OnnxModelLoader.Load(TestData.Model("mnist-8")));
    private static string Digits => Path.Combine(TestData.RepositoryRoot, "Samples", "Data", "mnist-10k", "mnist-10k-images-idx3-ubyte");

    [Fact]
    public void Activations_are_float_node_outputs_and_graph_inputs_not_constants()
    {
        Assert.Equal(
        [
            "Input3", "Convolution28_Output_0", "Plus30_Output_0", "ReLU32_Output_0", "Pooling66_Output_0",
            "Convolution110_Output_0", "Plus112_Output_0", "ReLU114_Output_0", "Pooling160_Output_0",
            "Pooling160_Output_0_reshape0", "Times212_Output_0", "Plus214_Output_0",
        ], ActivationObserver.ActivationTensors(Mnist.Value));
    }

    [Fact]
    public void Minmax_ranges_are_the_extremes_over_all_samples()
    {
        const int count = 40;
        var samples = CalibrationSamples.Open(Digits, Mnist.Value, 1.0 / 255).Take(count);
        var result = Calibrator.Run(Mnist.Value, samples, new CalibrationOptions());

        // Independently: run each sample and fold min/max with plain loops.
        var expected = new Dictionary<string, (float Min, float Max)>();
        void Fold(string name, Tensor t)
        {
            if (t.ElementType != ElementType.Float32) return;
            var (min, max) = expected.GetValueOrDefault(name, (float.PositiveInfinity, float.NegativeInfinity));
            foreach (float v in t.As<float>()) { min = Math.Min(min, v); max = Math.Max(max, v); }
            expected[name] = (min, max);
        }
        var (_, pixels) = IdxFile.Read(Digits);
        var executor = new ReferenceExecutor(Mnist.Value);
        for (int i = 0; i < count; i++)
        {
            var image = Tensor.Create(new Shape(1, 1, 28, 28), pixels.Skip(i * 784).Take(784).Select(p => (float)(p * (1.0 / 255))).ToArray());
            Fold("Input3", image);
            executor.Run(new Dictionary<string, Tensor> { ["Input3"] = image }, Fold);
        }

        Assert.Equal(count, result.Samples);
        Assert.Equal(12, result.Tensors.Count);
        foreach (var t in result.Tensors)
        {
            Assert.Equal(expected[t.Name], (t.ObservedMin, t.ObservedMax));
            Assert.Equal(expected[t.Name], (t.Min, t.Max));
            Assert.Equal(QuantizationMath.FromRange(t.Min, t.Max, ElementType.Int8, false), t.Parameters);
        }
        var input = result.Tensors[0];
        Assert.Equal(("Input3", 0f, 1f), (input.Name, input.Min, input.Max));
        Assert.Equal(1f / 255, input.Parameters.Scale, 1e-9f);
        Assert.Equal(-128, input.Parameters.ZeroPoint);
    }

    [Theory]
    [InlineData(CalibrationMethod.Percentile)]
    [InlineData(CalibrationMethod.Entropy)]
    [InlineData(CalibrationMethod.Mse)]
    public void Histogram_methods_choose_ranges_inside_the_observed_range(CalibrationMethod method)
    {
        var samples = CalibrationSamples.Open(Digits, Mnist.Value, 1.0 / 255).Take(30);
        var passes = new List<CalibrationProgress>();
        var result = Calibrator.Run(Mnist.Value, samples, new CalibrationOptions { Method = method, ActivationType = ElementType.UInt8 }, passes.Add);
        Assert.Equal(60, passes.Count); // two passes over 30 samples
        Assert.Equal(new CalibrationProgress(2, 2, 30, 30), passes[^1]);
        foreach (var t in result.Tensors)
        {
            Assert.InRange(t.Min, t.ObservedMin, t.ObservedMax);
            Assert.InRange(t.Max, t.Min, t.ObservedMax);
            Assert.Equal(QuantizationMath.FromRange(t.Min, t.Max, ElementType.UInt8, false), t.Parameters);
        }
        // ReLU outputs keep 0 as their lower end: no method invents negative values.
        Assert.Equal(0f, result.Tensors.Single(t => t.Name == "ReLU32_Output_0").Min);
    }

    [Fact]
    public void Result_becomes_a_config_with_observed_ranges_and_chosen_parameters()
    {
        var samples = CalibrationSamples.Open(Digits, Mnist.Value, 1.0 / 255).Take(10);
        var result = Calibrator.Run(Mnist.Value, samples, new CalibrationOptions { Method = CalibrationMethod.Percentile, Percentile = 99.9 });
        var config = result.ToConfig(new WeightSettings { PerChannel = false }, NumericsMode.OrtCompatible, samples.Description, 1.0 / 255);

        Assert.Equal(NumericsMode.OrtCompatible, config.Numerics);
        Assert.False(config.Weights.PerChannel);
        Assert.Equal(CalibrationMethod.Percentile, config.Activations.Method);
        Assert.Equal(99.9, config.Activations.Percentile);
        Assert.Equal(new CalibrationRecord { Method = CalibrationMethod.Percentile, Samples = 10, Data = "mnist-10k-images-idx3-ubyte", InputScale = 1.0 / 255 },
            config.Calibration);
        foreach (var t in result.Tensors)
        {
            var entry = config.Tensors[t.Name];
            Assert.Equal((t.ObservedMin, t.ObservedMax), (entry.Min, entry.Max));
            Assert.Equal(t.Parameters, config.ActivationParameters(t.Name));
        }
        // And it survives being written and read back against the model.
        Assert.Equal(config, QuantizationConfig.Parse(config.ToJson(), "calibrated.json", Mnist.Value));
    }

    [Fact]
    public void Data_methods_without_samples_are_an_error()
    {
        var e = Assert.Throws<OctetException>(() => Calibrator.Run(Mnist.Value, null, new CalibrationOptions { Method = CalibrationMethod.Entropy }));
        Assert.Contains("needs calibration samples", e.Message);
    }

    [Fact]
    public void Bn_stats_on_a_model_without_batchnorm_lists_every_activation()
    {
        var e = Assert.Throws<OctetException>(() => Calibrator.Run(Mnist.Value, null, new CalibrationOptions { Method = CalibrationMethod.BnStats }));
        Assert.Contains("these 12 activations need calibration data: Input3, Convolution28_Output_0", e.Message);
    }

    [Fact]
    public void Non_finite_activations_are_reported_with_the_sample()
    {
        var image = Enumerable.Repeat(0.5f, 784).ToArray();
        image[3] = float.NaN;
        var samples = CalibrationSamples.FromList([new() { ["Input3"] = Tensor.Create(new Shape(1, 1, 28, 28), image) }]);
        var e = Assert.Throws<OctetException>(() => Calibrator.Run(Mnist.Value, samples, new CalibrationOptions()));
        Assert.Equal("calibration sample 0: tensor 'Input3': holds NaN or infinite values; calibration needs finite activations", e.Message);
    }

    [Fact]
    public void Observer_ignores_constants_and_unknown_tensors_and_needs_values_for_histograms()
    {
        var observer = new ActivationObserver(Mnist.Value);
        observer.Observe("Parameter5", Tensor.Create(new Shape(1), [100f]));
        observer.Observe("nonexistent", Tensor.Create(new Shape(1), [100f]));
        Assert.DoesNotContain("Parameter5", observer.Statistics.Keys);
        var e = Assert.Throws<OctetException>(observer.StartHistogramPass);
        Assert.Contains("no values were observed for 'Input3'", e.Message);
    }
}
