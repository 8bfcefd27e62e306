using Octet.Compiler.Graph;
using Octet.Generator.Emit.Float;
using Octet.Generator.Plan;
using Xunit;
using static Octet.Tests.CodeGeneration.Float.FloatKernelHarness;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// Generated float32 Conv kernels (NHWC in and out, OHWI weights) against the reference executor's Conv on the
/// same one-node graph. The kernel sums each output in a different order than the reference (dot products over
/// channel runs, SIMD lanes), so outputs agree to a relative 1e-5 of the output range, the tolerance stated on
/// Octet.Runtime.FloatDot; with k ≤ a few hundred products of random ±1 values the actual differences are ~1e-7.
/// </summary>
public sealed class FloatConvKernelTests
{
    private const double Tolerance = 1e-5;

    /// <param name="c">Input channels.</param><param name="m">Output channels.</param>
    private static KernelResult Conv(int n, int c, int h, int w, int m, int group, int kh, int kw, bool bias,
        PlanStorage weightStorage = PlanStorage.Weights, params Compiler.Graph.Attribute[] attributes)
    {
        var inputs = new List<Operand?>
        {
            new("x", Random(1, n, c, h, w), "NHWC"),
            new("w", Random(2, m, c / group, kh, kw), "OHWI", weightStorage),
        };
        if (bias) inputs.Add(new Operand("b", Random(3, m), Storage: weightStorage));
        var all = attributes.Append(Int("group", group)).ToArray();
        return Run(new FloatConvEmitter(), "Conv", 13, inputs.ToArray(), "NHWC", all);
    }

    [Fact]
    public void Pointwise_conv_with_bias()
    {
        AssertAgrees(Conv(1, 8, 5, 6, 12, 1, 1, 1, bias: true), Tolerance);
    }

    [Fact]
    public void Three_by_three_same_padding_without_bias()
    {
        AssertAgrees(Conv(1, 5, 7, 9, 6, 1, 3, 3, bias: false, PlanStorage.Weights, Ints("pads", 1, 1, 1, 1)), Tolerance);
    }

    [Fact]
    public void Strided_asymmetric_pads_and_a_batch_of_two()
    {
        AssertAgrees(Conv(2, 3, 11, 10, 4, 1, 3, 2, bias: true, PlanStorage.Weights,
            Ints("strides", 2, 3), Ints("pads", 2, 0, 1, 2)), Tolerance);
    }

    [Fact]
    public void Dilated_with_padding_larger_than_the_dilated_reach()
    {
        // Dilation 2 and 3 with pads: some windows have no valid taps along an axis (the output is the bias).
        AssertAgrees(Conv(1, 4, 6, 7, 5, 1, 3, 3, bias: true, PlanStorage.Weights,
            Ints("dilations", 2, 3), Ints("pads", 4, 1, 4, 8)), Tolerance);
    }

    [Fact]
    public void Grouped_conv()
    {
        AssertAgrees(Conv(1, 6, 8, 8, 9, 3, 3, 3, bias: true, PlanStorage.Weights, Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 1)), Tolerance);
    }

    [Fact]
    public void Depthwise_conv_strided_and_padded()
    {
        AssertAgrees(Conv(1, 16, 9, 9, 16, 16, 3, 3, bias: true, PlanStorage.Weights, Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)), Tolerance);
    }

    [Fact]
    public void Depthwise_conv_with_a_channel_multiplier_and_dilation()
    {
        AssertAgrees(Conv(1, 4, 10, 8, 12, 4, 3, 3, bias: false, PlanStorage.Weights, Ints("dilations", 2, 2), Ints("pads", 2, 2, 2, 2)), Tolerance);
    }

    [Fact]
    public void Auto_pad_same_upper_and_same_lower_are_resolved_from_the_shapes()
    {
        AssertAgrees(Conv(1, 3, 7, 8, 4, 1, 4, 3, bias: true, PlanStorage.Weights, String("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2)), Tolerance);
        AssertAgrees(Conv(1, 3, 7, 8, 4, 1, 4, 3, bias: true, PlanStorage.Weights, String("auto_pad", "SAME_LOWER"), Ints("strides", 2, 2)), Tolerance);
        AssertAgrees(Conv(1, 3, 7, 8, 4, 1, 4, 3, bias: true, PlanStorage.Weights, String("auto_pad", "VALID")), Tolerance);
    }

    [Fact]
    public void Many_channels_exercise_the_vector_paths_and_inline_weights_work()
    {
        AssertAgrees(Conv(1, 64, 4, 4, 33, 1, 3, 3, bias: true, PlanStorage.Weights, Ints("pads", 1, 1, 1, 1)), Tolerance);
        AssertAgrees(Conv(1, 2, 4, 4, 3, 1, 2, 2, bias: true, PlanStorage.Inline), Tolerance);
    }

    [Fact]
    public void A_layout_the_kernel_cannot_read_is_reported_not_thrown()
    {
        var problems = FloatEmitterProblems.Of(new FloatConvEmitter(), "Conv",
            [FloatEmitterProblems.Tensor("x", [1, 3, 4, 4], "rowmajor"), FloatEmitterProblems.Tensor("w", [2, 3, 1, 1], "OHWI", PlanStorage.Weights)],
            FloatEmitterProblems.Tensor("y", [1, 2, 4, 4], "NHWC"));
        Assert.Contains(problems, p => p.Contains("'x'") && p.Contains("NHWC"));
    }
}
