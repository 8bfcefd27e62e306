using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class ConvTests
{
    private static readonly Conv Op = new();
    private static readonly Tensor Image3x3 = F([1, 1, 3, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9);
    private static Tensor Ones(params int[] shape) =>
        Tensor.Create(new Shape(shape), Enumerable.Repeat(1f, (int)new Shape(shape).ElementCount).ToArray());

    [Fact]
    public void Two_by_two_box_filter_without_padding_sums_each_window()
    {
        var y = Run(Op, Node("Conv", 22, 2, 1), [Image3x3, Ones(1, 1, 2, 2)])[0];
        Assert.Equal(new Shape(1, 1, 2, 2), y.Shape);
        Assert.Equal([12f, 16, 24, 28], y.As<float>());
    }

    [Fact]
    public void Padding_counts_zeros_outside_the_image()
    {
        var y = RunFloat(Op, Node("Conv", 11, 2, 1, Ints("pads", 1, 1, 1, 1)), Ones(1, 1, 3, 3), Ones(1, 1, 3, 3));
        Assert.Equal([4f, 6, 4, 6, 9, 6, 4, 6, 4], y);
    }

    [Fact]
    public void Stride_two_with_padding_skips_every_other_window()
    {
        var y = Run(Op, Node("Conv", 22, 2, 1, Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)), [Image3x3, Ones(1, 1, 3, 3)])[0];
        Assert.Equal(new Shape(1, 1, 2, 2), y.Shape);
        Assert.Equal([12f, 16, 24, 28], y.As<float>());
    }

    [Fact]
    public void Asymmetric_padding_and_strides()
    {
        // 1-D: x = 1..5, kernel [1, 1], pads begin 2 end 0, stride 3: floor((5 + 2 - 2) / 3) + 1 = 2 windows,
        // at positions {-2, -1} (all padding) and {1, 2} (values 2 and 3).
        var y = RunFloat(Op, Node("Conv", 22, 2, 1, Ints("pads", 2, 0), Ints("strides", 3)), F([1, 1, 5], 1, 2, 3, 4, 5), Ones(1, 1, 2));
        Assert.Equal([0f, 2 + 3], y);
    }

    [Fact]
    public void Groups_convolve_their_own_channels_and_bias_is_added_per_output_channel()
    {
        var y = RunFloat(Op, Node("Conv", 22, 3, 1, Int("group", 2)),
            F([1, 2, 1, 1], 3, 5), F([2, 1, 1, 1], 2, 10), F([2], 1, -1));
        Assert.Equal([3 * 2 + 1f, 5 * 10 - 1], y);
    }

    [Fact]
    public void Input_channels_are_summed()
    {
        var y = RunFloat(Op, Node("Conv", 22, 2, 1), F([1, 2, 1, 2], 1, 2, 3, 4), F([1, 2, 1, 1], 10, 100));
        Assert.Equal([1 * 10 + 3 * 100f, 2 * 10 + 4 * 100], y);
    }

    [Fact]
    public void Depthwise_convolution_with_group_equal_to_channels()
    {
        // Two channels, each with its own 1x2 kernel.
        var y = RunFloat(Op, Node("Conv", 22, 2, 1, Int("group", 2)),
            F([1, 2, 1, 3], 1, 2, 3, 10, 20, 30), F([2, 1, 1, 2], 1, -1, 2, 1));
        Assert.Equal([1 - 2f, 2 - 3, 2 * 10 + 20, 2 * 20 + 30], y);
    }

    [Fact]
    public void Dilation_spreads_the_kernel_taps()
    {
        var y = RunFloat(Op, Node("Conv", 22, 2, 1, Ints("dilations", 2)), F([1, 1, 5], 1, 2, 3, 4, 5), Ones(1, 1, 2));
        Assert.Equal([1 + 3f, 2 + 4, 3 + 5], y);
    }

    [Theory]
    [InlineData("SAME_UPPER", new[] { 1 + 2f, 2 + 3, 3 + 4, 4 })]
    [InlineData("SAME_LOWER", new[] { 1f, 1 + 2, 2 + 3, 3 + 4 })]
    [InlineData("VALID", new[] { 1 + 2f, 2 + 3, 3 + 4 })]
    public void Auto_pad_places_the_odd_padding_element_by_mode(string autoPad, float[] expected)
    {
        var y = RunFloat(Op, Node("Conv", 22, 2, 1, String("auto_pad", autoPad)), F([1, 1, 4], 1, 2, 3, 4), Ones(1, 1, 2));
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Same_upper_with_stride_covers_every_stride_step()
    {
        // in 5, stride 2 -> out ceil(5/2) = 3; kernel 3 needs total padding (3-1)*2 + 3 - 5 = 2: one each side.
        var y = RunFloat(Op, Node("Conv", 22, 2, 1, String("auto_pad", "SAME_UPPER"), Ints("strides", 2)),
            F([1, 1, 5], 1, 2, 3, 4, 5), Ones(1, 1, 3));
        Assert.Equal([0 + 1 + 2f, 2 + 3 + 4, 4 + 5 + 0], y);
    }

    [Fact]
    public void Three_dimensional_kernel_sums_a_cube()
    {
        var y = Run(Op, Node("Conv", 22, 2, 1), [F([1, 1, 2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8), Ones(1, 1, 2, 2, 2)])[0];
        Assert.Equal(new Shape(1, 1, 1, 1, 1), y.Shape);
        Assert.Equal([36f], y.As<float>());
    }

    [Fact]
    public void Batches_are_independent()
    {
        var y = RunFloat(Op, Node("Conv", 22, 2, 1), F([2, 1, 1, 2], 1, 2, 3, 4), F([1, 1, 1, 1], 10));
        Assert.Equal([10f, 20, 30, 40], y);
    }

    [Fact]
    public void Kernel_shape_attribute_matching_the_weights_is_accepted()
    {
        var y = RunFloat(Op, Node("Conv", 1, 2, 1, Ints("kernel_shape", 2, 2)), Image3x3, Ones(1, 1, 2, 2));
        Assert.Equal([12f, 16, 24, 28], y);
    }

    [Fact]
    public void Bad_attributes_and_shapes_are_rejected_naming_the_node()
    {
        var w = Ones(1, 1, 2, 2);
        AssertRejected(Op, Node("Conv", 22, 2, 1, Int("group", 2)), [Image3x3, w], "group=2");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Int("group", 0)), [Image3x3, w], "group=0");
        AssertRejected(Op, Node("Conv", 22, 2, 1), [Image3x3, Ones(1, 2, 2, 2)], "input channels");
        AssertRejected(Op, Node("Conv", 22, 2, 1), [Image3x3, Ones(1, 1, 2)], "rank 4");
        AssertRejected(Op, Node("Conv", 22, 2, 1), [F([1, 3], 1, 2, 3), Ones(1, 1)], "rank 3 or more");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("kernel_shape", 3, 3)), [Image3x3, w], "kernel_shape");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("strides", 1)), [Image3x3, w], "'strides'");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("strides", 0, 1)), [Image3x3, w], "'strides'");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("pads", -1, 0, 0, 0)), [Image3x3, w], "'pads'");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("pads", 0, 0)), [Image3x3, w], "'pads'");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("dilations", 5, 5)), [Image3x3, w], "larger than the padded input");
        AssertRejected(Op, Node("Conv", 22, 2, 1, String("auto_pad", "SAME")), [Image3x3, w], "auto_pad");
        AssertRejected(Op, Node("Conv", 22, 3, 1), [Image3x3, w, F([2], 0, 0)], "bias");
        AssertRejected(Op, Node("Conv", 22, 2, 1), [Image3x3, Tensor.Create(new Shape(1, 1, 2, 2), new int[4])], "element type");
        AssertRejected(Op, Node("Conv", 22, 2, 1), [Ones(1, 1, 2, 2, 2, 2), Ones(1, 1, 1, 1, 1, 1)], "spatial axes");
        AssertRejected(Op, Node("Conv", 22, 2, 1, Ints("pads", 100_000_000, 100_000_000, 100_000_000, 100_000_000)), [Image3x3, w], "Octet allows at most");
    }
}
