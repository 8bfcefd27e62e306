using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class ConvTransposeTests
{
    private static readonly ConvTranspose Op = new();
    // 1-D signal [1, 2] and kernel [1, 10]: each input scatters x * kernel at its output position.
    private static readonly Tensor Signal = F([1, 1, 2], 1, 2);
    private static readonly Tensor Kernel = F([1, 1, 2], 1, 10);

    [Fact]
    public void Stride_one_overlaps_the_scattered_kernels()
    {
        var y = Run(Op, Node("ConvTranspose", 22, 2, 1), [Signal, Kernel])[0];
        Assert.Equal(new Shape(1, 1, 3), y.Shape);
        Assert.Equal([1f, 10 + 2, 20], y.As<float>());
    }

    [Fact]
    public void Stride_two_places_kernels_side_by_side()
    {
        Assert.Equal([1f, 10, 2, 20], RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Ints("strides", 2)), Signal, Kernel));
    }

    [Fact]
    public void Pads_crop_the_full_output()
    {
        Assert.Equal([10f, 2, 20], RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Ints("strides", 2), Ints("pads", 1, 0)), Signal, Kernel));
    }

    [Fact]
    public void Output_padding_extends_the_end_with_bias_only_positions()
    {
        var y = RunFloat(Op, Node("ConvTranspose", 22, 3, 1, Ints("strides", 2), Ints("output_padding", 1)), Signal, Kernel, F([1], 0.5f));
        Assert.Equal([1.5f, 10.5f, 2.5f, 20.5f, 0.5f], y);
    }

    [Fact]
    public void Output_shape_larger_than_the_full_output_grows_it_at_the_end()
    {
        var y = RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Ints("strides", 2), Ints("output_shape", 5)), Signal, Kernel);
        Assert.Equal([1f, 10, 2, 20, 0], y);
    }

    [Theory]
    [InlineData("SAME_UPPER", new[] { 1f, 10, 102, 20 })]
    [InlineData("SAME_LOWER", new[] { 10f, 102, 20, 200 })]
    public void Same_auto_pad_makes_output_input_times_stride(string autoPad, float[] expected)
    {
        // Full output of [1, 2] with kernel [1, 10, 100] at stride 2 is [1, 10, 102, 20, 200]; SAME wants 4.
        var y = RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Ints("strides", 2), String("auto_pad", autoPad)), Signal, F([1, 1, 3], 1, 10, 100));
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Dilation_spreads_the_scattered_taps()
    {
        Assert.Equal([1f, 2, 10, 20], RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Ints("dilations", 2)), Signal, Kernel));
    }

    [Fact]
    public void Channels_map_through_the_weight_matrix()
    {
        // 2 input channels (values 1 and 2), 3 output channels: out[m] = 1 * w[0, m] + 2 * w[1, m].
        var y = Run(Op, Node("ConvTranspose", 11, 2, 1), [F([1, 2, 1, 1], 1, 2), F([2, 3, 1, 1], 1, 2, 3, 10, 20, 30)])[0];
        Assert.Equal(new Shape(1, 3, 1, 1), y.Shape);
        Assert.Equal([21f, 42, 63], y.As<float>());
    }

    [Fact]
    public void Groups_keep_channels_apart()
    {
        var y = RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Int("group", 2)), F([1, 2, 1], 1, 2), F([2, 1, 1], 3, 4));
        Assert.Equal([3f, 8], y);
    }

    [Fact]
    public void Two_dimensional_stride_two()
    {
        // One input pixel per quadrant, 2x2 kernel [[1, 2], [3, 4]], stride 2: the output tiles x * kernel.
        var y = RunFloat(Op, Node("ConvTranspose", 22, 2, 1, Ints("strides", 2, 2)), F([1, 1, 1, 2], 1, 10), F([1, 1, 2, 2], 1, 2, 3, 4));
        Assert.Equal([1f, 2, 10, 20, 3, 4, 30, 40], y);
    }

    [Fact]
    public void Bad_attributes_and_shapes_are_rejected_naming_the_node()
    {
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1), [Signal, F([2, 1, 2], 1, 1, 1, 1)], "input channels");
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1, Int("group", 2)), [Signal, Kernel], "group=2");
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1, Ints("output_shape", 4, 4)), [Signal, Kernel], "output_shape");
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1, Ints("pads", 2, 2)), [Signal, Kernel], "output size");
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1, Ints("output_padding", -1)), [Signal, Kernel], "'output_padding'");
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1, Ints("kernel_shape", 3)), [Signal, Kernel], "kernel_shape");
        AssertRejected(Op, Node("ConvTranspose", 22, 3, 1), [Signal, Kernel, F([2], 1, 1)], "bias");
        AssertRejected(Op, Node("ConvTranspose", 22, 2, 1), [Signal, F([1, 1], 1)], "rank 3");
    }
}
