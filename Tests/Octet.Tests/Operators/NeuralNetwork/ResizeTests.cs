using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class ResizeTests
{
    private static readonly Resize Op = new();
    private static Tensor Scales(params float[] values) => F([values.Length], values);
    private static Tensor Sizes(params long[] values) => I64([values.Length], values);

    /// <summary>Resize-13+ with inputs X, roi, scales, sizes (null: omitted).</summary>
    private static Tensor Resize13(Tensor x, Tensor? scales, Tensor? sizes, int opset = 13, Tensor? roi = null, params Compiler.Graph.Attribute[] attributes) =>
        Run(Op, Node("Resize", opset, 4, 1, attributes), [x, roi, scales, sizes])[0];

    [Fact]
    public void Nearest_upsampling_repeats_elements()
    {
        Assert.Equal([1f, 1, 2, 2], Resize13(F([2], 1, 2), Scales(2), null).As<float>());
        Assert.Equal([1f, 1, 2, 2], Resize13(F([2], 1, 2), Scales(2), null, 13, null,
            String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor")).As<float>());
    }

    [Fact]
    public void Nearest_downsampling_with_half_pixel_centres()
    {
        // Output 1x2 from 2x4 at scale 0.6: source rows (0.5 / 0.6 - 0.5) = 0.33 -> 0; columns 0.33 -> 0 and 2.0 -> 2.
        var y = Resize13(F([1, 1, 2, 4], 1, 2, 3, 4, 5, 6, 7, 8), Scales(1, 1, 0.6f, 0.6f), null);
        Assert.Equal(new Shape(1, 1, 1, 2), y.Shape);
        Assert.Equal([1f, 3], y.As<float>());
    }

    [Theory]
    [InlineData("round_prefer_floor", new[] { 10f, 20, 20, 30 })]
    [InlineData("round_prefer_ceil", new[] { 10f, 20, 30, 30 })]
    [InlineData("floor", new[] { 10f, 10, 20, 30 })]
    [InlineData("ceil", new[] { 10f, 20, 30, 30 })]
    public void Nearest_modes_round_ties_and_fractions(string nearestMode, float[] expected)
    {
        // Asymmetric from 3 to 4: source = p * 3 / 4 = 0, 0.75, 1.5 (a tie), 2.25; ceil of 2.25 clamps to 2.
        var y = Resize13(F([3], 10, 20, 30), null, Sizes(4), 13, null,
            String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", nearestMode));
        Assert.Equal(expected, y.As<float>());
    }

    [Fact]
    public void Linear_half_pixel_clamps_at_the_edges()
    {
        Assert.Equal([1f, 1.5f, 2.5f, 3], Resize13(F([2], 1, 3), Scales(2), null, 13, null, String("mode", "linear")).As<float>());
    }

    [Fact]
    public void Bilinear_upsampling_of_a_2x2_image()
    {
        var y = Resize13(F([1, 1, 2, 2], 1, 2, 3, 4), Scales(1, 1, 2, 2), null, 13, null, String("mode", "linear"));
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        AssertClose([1f, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4], y.As<float>());
    }

    [Theory]
    [InlineData("align_corners", new[] { 1f, 2, 3 })]
    [InlineData("asymmetric", new[] { 1f, 7 / 3f, 3 })]
    [InlineData("half_pixel", new[] { 1f, 2, 3 })]
    public void Linear_coordinate_transformations(string mode, float[] expected)
    {
        // 2 -> 3 with sizes: scale 1.5. asymmetric: source p / 1.5 = 0, 2/3, 4/3 (clamped to 1).
        // half_pixel: (p + 0.5) / 1.5 - 0.5 = -1/6 (clamped), 0.5, 7/6 (clamped).
        var y = Resize13(F([2], 1, 3), null, Sizes(3), 13, null, String("mode", "linear"), String("coordinate_transformation_mode", mode));
        AssertClose(expected, y.As<float>());
    }

    [Fact]
    public void Pytorch_half_pixel_maps_a_single_output_to_minus_one_half()
    {
        var pytorch = Resize13(F([2], 1, 3), null, Sizes(1), 13, null, String("mode", "linear"), String("coordinate_transformation_mode", "pytorch_half_pixel"));
        Assert.Equal([1f], pytorch.As<float>());
        var halfPixel = Resize13(F([2], 1, 3), null, Sizes(1), 13, null, String("mode", "linear"));
        // half_pixel: (0 + 0.5) / 0.5 - 0.5 = 0.5, halfway between the two inputs.
        Assert.Equal([2f], halfPixel.As<float>());
    }

    [Fact]
    public void Tf_crop_and_resize_samples_the_roi_and_extrapolates_outside()
    {
        var x = F([5], 1, 2, 3, 4, 5);
        // roi [0.25, 0.75] of positions 0..4 is 1..3.
        var inside = Resize13(x, null, Sizes(3), 13, F([2], 0.25f, 0.75f), String("mode", "linear"), String("coordinate_transformation_mode", "tf_crop_and_resize"));
        Assert.Equal([2f, 3, 4], inside.As<float>());
        var outside = Resize13(x, null, Sizes(3), 13, F([2], 0.5f, 1.5f), String("mode", "linear"),
            String("coordinate_transformation_mode", "tf_crop_and_resize"), Float("extrapolation_value", 10));
        Assert.Equal([3f, 5, 10], outside.As<float>());
    }

    [Fact]
    public void Cubic_interpolation_uses_keys_kernel()
    {
        // Asymmetric scale 2: source = p / 2. Weights at distance 0.5 and 1.5 with a = -0.75 are 0.59375 and -0.09375.
        var y = Resize13(F([5], 0, 0, 10, 0, 0), Scales(2), null, 13, null, String("mode", "cubic"), String("coordinate_transformation_mode", "asymmetric"));
        AssertClose([0f, -0.9375f, 0, 5.9375f, 10, 5.9375f, 0, -0.9375f, 0, 0], y.As<float>());
    }

    [Fact]
    public void Cubic_with_exclude_outside_renormalizes_weights_inside_the_input()
    {
        // At source 0.5 the taps are positions -1, 0, 1, 2; excluding -1 (weight -0.09375) leaves 0.59375, 0.59375,
        // -0.09375, renormalized by their sum 1.09375.
        var y = Resize13(F([3], 1, 1, 0), Scales(2), null, 13, null, String("mode", "cubic"),
            String("coordinate_transformation_mode", "asymmetric"), Int("exclude_outside", 1));
        AssertClose([1f, 1.1875f / 1.09375f], y.As<float>()[..2]);
    }

    [Fact]
    public void Antialiased_linear_downsampling_widens_the_filter()
    {
        var y = Resize13(F([4], 1, 2, 3, 4), Scales(0.5f), null, 18, null, String("mode", "linear"), Int("antialias", 1));
        AssertClose([1.625f, 3.375f], y.As<float>());
        var plain = Resize13(F([4], 1, 2, 3, 4), Scales(0.5f), null, 18, null, String("mode", "linear"));
        AssertClose([1.5f, 3.5f], plain.As<float>());
    }

    [Fact]
    public void Version_10_takes_scales_as_input_1_and_maps_asymmetrically()
    {
        var nearest = Run(Op, Node("Resize", 10, 2, 1), [F([2], 1, 2), Scales(2)])[0];
        Assert.Equal([1f, 1, 2, 2], nearest.As<float>());
        var linear = Run(Op, Node("Resize", 10, 2, 1, String("mode", "linear")), [F([2], 1, 2), Scales(2)])[0];
        Assert.Equal([1f, 1.5f, 2, 2], linear.As<float>());
    }

    [Fact]
    public void Version_11_accepts_empty_scales_with_sizes()
    {
        var y = Run(Op, Node("Resize", 11, 4, 1), [F([2], 1, 2), F([0]), F([0]), Sizes(4)])[0];
        Assert.Equal([1f, 1, 2, 2], y.As<float>());
    }

    [Fact]
    public void Axes_and_keep_aspect_ratio_policy()
    {
        var y = Resize13(F([1, 2], 1, 2), Scales(2), null, 18, null, Ints("axes", 1));
        Assert.Equal(new Shape(1, 4), y.Shape);
        Assert.Equal([1f, 1, 2, 2], y.As<float>());

        var x = F([2, 4], 1, 2, 3, 4, 5, 6, 7, 8);
        Assert.Equal(new Shape(2, 4), Resize13(x, null, Sizes(4, 4), 18, null, String("keep_aspect_ratio_policy", "not_larger")).Shape);
        Assert.Equal(new Shape(4, 8), Resize13(x, null, Sizes(4, 4), 18, null, String("keep_aspect_ratio_policy", "not_smaller")).Shape);
    }

    [Fact]
    public void Half_pixel_symmetric_centres_a_rounded_output()
    {
        // 5 -> floor(2.5) = 2: half_pixel_symmetric shifts sources by 2.5 * (1 - 2 / 2.5) = 0.5, to 1 and 3.
        var x = F([5], 10, 20, 30, 40, 50);
        Assert.Equal([20f, 40], Resize13(x, Scales(0.5f), null, 19, null, String("coordinate_transformation_mode", "half_pixel_symmetric")).As<float>());
        Assert.Equal([10f, 30], Resize13(x, Scales(0.5f), null, 19).As<float>());
    }

    [Fact]
    public void Uint8_results_round_half_to_even()
    {
        var y = Run(Op, Node("Resize", 13, 4, 1, String("mode", "linear"), String("coordinate_transformation_mode", "asymmetric")),
            [Tensor.Create(new Shape(3), new byte[] { 0, 1, 4 }), null, Scales(2), null])[0];
        Assert.Equal(new byte[] { 0, 0, 1, 2, 4, 4 }, y.As<byte>());
    }

    [Fact]
    public void Bad_inputs_and_attributes_are_rejected_naming_the_node()
    {
        var x = F([2], 1, 2);
        AssertRejected(Op, Node("Resize", 13, 4, 1), [x, null, Scales(2), Sizes(4)], "exactly one of scales and sizes");
        AssertRejected(Op, Node("Resize", 13, 4, 1), [x, null, null, null], "exactly one of scales and sizes");
        AssertRejected(Op, Node("Resize", 13, 4, 1), [x, null, Scales(2, 2), null], "scales has 2 values");
        AssertRejected(Op, Node("Resize", 13, 4, 1), [x, null, Scales(-1), null], "positive");
        AssertRejected(Op, Node("Resize", 13, 4, 1), [x, null, null, Sizes(0)], "at least 1");
        AssertRejected(Op, Node("Resize", 13, 4, 1), [x, null, Scales(2), null], "must be a constant", constantInputs: false);
        AssertRejected(Op, Node("Resize", 10, 2, 1, String("mode", "cubic")), [x, Scales(2)], "mode \"cubic\"");
        AssertRejected(Op, Node("Resize", 13, 4, 1, String("coordinate_transformation_mode", "tf_half_pixel_for_nn")), [x, null, Scales(2), null], "coordinate_transformation_mode");
        AssertRejected(Op, Node("Resize", 18, 4, 1, String("coordinate_transformation_mode", "half_pixel_symmetric")), [x, null, Scales(2), null], "coordinate_transformation_mode");
        AssertRejected(Op, Node("Resize", 13, 4, 1, String("nearest_mode", "nearest")), [x, null, Scales(2), null], "nearest_mode");
        AssertRejected(Op, Node("Resize", 18, 4, 1, Int("antialias", 1)), [x, null, Scales(2), null], "antialias");
        AssertRejected(Op, Node("Resize", 18, 4, 1, Ints("axes", 0, 0)), [F([2, 2], 1, 2, 3, 4), null, Scales(2, 2), null], "repeat");
        AssertRejected(Op, Node("Resize", 13, 4, 1, String("coordinate_transformation_mode", "tf_crop_and_resize")), [x, null, Scales(2), null], "roi");
        AssertRejected(Op, Node("Resize", 18, 4, 1, String("keep_aspect_ratio_policy", "fit")), [x, null, null, Sizes(4)], "keep_aspect_ratio_policy");
        AssertRejected(Op, Node("Resize", 13, 4, 1), [F([1, 2], 1, 2), null, Scales(100_000, 100_000), null], "Octet allows at most");
    }
}
