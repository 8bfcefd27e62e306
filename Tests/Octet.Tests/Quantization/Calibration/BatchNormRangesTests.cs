using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.Quantization.Calibration;

/// <summary>Data-free bn-stats ranges: β ± k·|γ| per channel, computed by hand for a small Conv → BN → Relu model.</summary>
public sealed class BatchNormRangesTests
{
    /// <summary>
    /// x[1,2,3,3] → Conv (1×1) → conv_out → BatchNormalization (γ = [2, −0.5], β = [1, −3], μ = [0.5, −1],
    /// σ² = [4, 0.25], ε = 0) → bn_out → Relu → relu_out → MaxPool → pool_out; bn_out → Clip(0, 6) → clip_out;
    /// and x → BatchNormalization → bn_direct (a BN not after a Conv).
    /// </summary>
    private static ModelGraph Model(TempFolder folder)
    {
        var model = new OnnxModelBuilder(13)
            .Input("x", ElementType.Float32, 1, 2, 3, 3)
            .Initializer("w", [1f, 0.5f, -1f, 2f], 2, 2, 1, 1)
            .Initializer("gamma", [2f, -0.5f], 2)
            .Initializer("beta", [1f, -3f], 2)
            .Initializer("mean", [0.5f, -1f], 2)
            .Initializer("var", [4f, 0.25f], 2)
            .Initializer("clip_min", Tensor.Scalar(0f))
            .Initializer("clip_max", Tensor.Scalar(6f))
            .Output("pool_out").Output("clip_out").Output("bn_direct");
        model.Node("Conv", ["x", "w"], ["conv_out"]);
        model.Node("BatchNormalization", ["conv_out", "gamma", "beta", "mean", "var"], ["bn_out"], Attr.Float("epsilon", 0));
        model.Node("Relu", ["bn_out"], ["relu_out"]);
        model.Node("MaxPool", ["relu_out"], ["pool_out"], Attr.Ints("kernel_shape", 2, 2));
        model.Node("Clip", ["bn_out", "clip_min", "clip_max"], ["clip_out"]);
        model.Node("BatchNormalization", ["x", "gamma", "beta", "mean", "var"], ["bn_direct"], Attr.Float("epsilon", 0));
        return OnnxModelLoader.Load(model.Save(folder.Path));
    }

    [Fact]
    public void Ranges_follow_beta_plus_minus_k_gamma_through_relu_and_clip()
    {
        using var folder = new TempFolder();
        var ranges = BatchNormRanges.Compute(Model(folder), k: 6);
        // BN: channel 0: 1 ± 6·2 = [−11, 13]; channel 1: −3 ± 6·0.5 = [−6, 0]; union [−11, 13].
        Assert.Equal((-11f, 13f), ranges["bn_out"]);
        Assert.Equal((0f, 13f), ranges["relu_out"]);
        Assert.Equal((0f, 6f), ranges["clip_out"]);
        // Conv output: μ ± 6·σ: channel 0: 0.5 ± 12 = [−11.5, 12.5]; channel 1: −1 ± 3 = [−4, 2].
        Assert.Equal((-11.5f, 12.5f), ranges["conv_out"]);
        // Not covered: the input, the pooling output, and a BN that does not follow a Conv.
        Assert.Equal(["bn_out", "clip_out", "conv_out", "relu_out"], ranges.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void K_is_configurable()
    {
        using var folder = new TempFolder();
        var ranges = BatchNormRanges.Compute(Model(folder), k: 3);
        // channel 0: 1 ± 6 = [−5, 7]; channel 1: −3 ± 1.5 = [−4.5, −1.5].
        Assert.Equal((-5f, 7f), ranges["bn_out"]);
        Assert.Equal((0f, 7f), ranges["relu_out"]);
    }

    [Fact]
    public void Without_data_the_uncovered_tensors_are_named()
    {
        using var folder = new TempFolder();
        var graph = Model(folder);
        var e = Assert.Throws<OctetException>(() => Calibrator.Run(graph, null, new CalibrationOptions { Method = CalibrationMethod.BnStats }));
        Assert.Contains("these 3 activations need calibration data: x, pool_out, bn_direct", e.Message);
    }

    [Fact]
    public void With_data_uncovered_tensors_get_their_observed_range()
    {
        using var folder = new TempFolder();
        var graph = Model(folder);
        var x = Enumerable.Range(0, 18).Select(i => i / 17f * 2 - 1).ToArray(); // −1 … 1
        var samples = CalibrationSamples.FromList([new() { ["x"] = Tensor.Create(new Shape(1, 2, 3, 3), x) }]);
        var result = Calibrator.Run(graph, samples, new CalibrationOptions { Method = CalibrationMethod.BnStats });

        var byName = result.Tensors.ToDictionary(t => t.Name);
        Assert.Equal(["x", "conv_out", "bn_out", "relu_out", "pool_out", "clip_out", "bn_direct"], result.Tensors.Select(t => t.Name));
        Assert.True(byName["bn_out"].FromBatchNorm);
        Assert.Equal((-11f, 13f), (byName["bn_out"].Min, byName["bn_out"].Max));
        Assert.Equal(QuantizationMath.FromRange(-11, 13, ElementType.Int8, false), byName["bn_out"].Parameters);
        Assert.False(byName["x"].FromBatchNorm);
        Assert.Equal((-1f, 1f), (byName["x"].Min, byName["x"].Max));
        Assert.Equal(1, result.Samples);
    }
}
