using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class PoolingTests
{
    private static readonly MaxPool Max = new();
    private static readonly AveragePool Average = new();
    private static readonly Tensor Image3x3 = F([1, 1, 3, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9);
    private static Tensor Row(params float[] values) => F([1, 1, values.Length], values);

    [Fact]
    public void Max_pool_takes_each_window_maximum_and_reports_row_major_indices()
    {
        var outputs = Run(Max, Node("MaxPool", 22, 1, 2, Ints("kernel_shape", 2, 2)), [Image3x3]);
        Assert.Equal(new Shape(1, 1, 2, 2), outputs[0].Shape);
        Assert.Equal([5f, 6, 8, 9], outputs[0].As<float>());
        Assert.Equal([4L, 5, 7, 8], outputs[1].As<long>());
    }

    [Fact]
    public void Max_pool_column_major_indices_count_rows_fastest()
    {
        // Maxima at (h, w) = (1,1), (1,2), (2,1), (2,2); column major: h + w * 3.
        var outputs = Run(Max, Node("MaxPool", 22, 1, 2, Ints("kernel_shape", 2, 2), Int("storage_order", 1)), [Image3x3]);
        Assert.Equal([4L, 7, 5, 8], outputs[1].As<long>());
    }

    [Fact]
    public void Max_pool_indices_include_batch_and_channel_offsets()
    {
        var outputs = Run(Max, Node("MaxPool", 22, 1, 2, Ints("kernel_shape", 2)), [F([1, 2, 2], 1, 0, 0, 1)]);
        Assert.Equal([0L, 3], outputs[1].As<long>());
    }

    [Fact]
    public void Max_pool_ignores_padding()
    {
        var y = RunFloat(Max, Node("MaxPool", 11, 1, 1, Ints("kernel_shape", 3), Ints("pads", 1, 1)), Row(-1, -2, -3));
        Assert.Equal([-1f, -1, -2], y);
    }

    [Fact]
    public void Ceil_mode_keeps_a_partial_last_window()
    {
        Assert.Equal([2f, 4], RunFloat(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2), Ints("strides", 2)), Row(1, 2, 3, 4, 5)));
        Assert.Equal([2f, 4, 5], RunFloat(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2), Ints("strides", 2), Int("ceil_mode", 1)), Row(1, 2, 3, 4, 5)));
    }

    [Fact]
    public void Ceil_mode_drops_a_window_that_would_start_in_the_end_padding()
    {
        // (4 + 1 - 2) / 2 rounds up to 2, so 3 windows, but the third would start at 4 = input end: dropped.
        var y = RunFloat(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2), Ints("strides", 2), Ints("pads", 0, 1), Int("ceil_mode", 1)), Row(1, 2, 3, 4));
        Assert.Equal([2f, 4], y);
    }

    [Fact]
    public void Max_pool_dilation()
    {
        var y = RunFloat(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2), Ints("dilations", 2)), Row(1, 5, 2, 4, 3));
        Assert.Equal([2f, 5, 3], y);
    }

    [Fact]
    public void Max_pool_same_upper_pads_the_end()
    {
        var y = RunFloat(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2), String("auto_pad", "SAME_UPPER")), Row(3, 1, 2));
        Assert.Equal([3f, 2, 2], y);
        var z = RunFloat(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2), String("auto_pad", "SAME_LOWER")), Row(3, 1, 2));
        Assert.Equal([3f, 3, 2], z);
    }

    [Fact]
    public void Max_pool_on_int8_and_uint8_is_exact()
    {
        var s = Run(Max, Node("MaxPool", 12, 1, 1, Ints("kernel_shape", 2)), [Tensor.Create(new Shape(1, 1, 4), new sbyte[] { -5, -3, -8, 1 })])[0];
        Assert.Equal(new sbyte[] { -3, -3, 1 }, s.As<sbyte>());
        var u = Run(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2)), [Tensor.Create(new Shape(1, 1, 3), new byte[] { 200, 10, 255 })])[0];
        Assert.Equal(new byte[] { 200, 255 }, u.As<byte>());
    }

    [Fact]
    public void Three_dimensional_max_pool()
    {
        var y = Run(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2, 2, 2)), [F([1, 1, 2, 2, 2], 1, 8, 3, 4, 5, 6, 7, 2)])[0];
        Assert.Equal(new Shape(1, 1, 1, 1, 1), y.Shape);
        Assert.Equal([8f], y.As<float>());
    }

    [Fact]
    public void Average_pool_divides_by_the_window_size()
    {
        Assert.Equal([1.5f, 2.5f, 3.5f], RunFloat(Average, Node("AveragePool", 22, 1, 1, Ints("kernel_shape", 2)), Row(1, 2, 3, 4)));
        Assert.Equal([3f, 4, 6, 7], RunFloat(Average, Node("AveragePool", 7, 1, 1, Ints("kernel_shape", 2, 2)), Image3x3));
    }

    [Theory]
    [InlineData(0, new[] { 1.5f, 2f, 2.5f })]
    [InlineData(1, new[] { 1f, 2f, 5 / 3f })]
    public void Count_include_pad_decides_whether_padding_counts_in_the_divisor(int countIncludePad, float[] expected)
    {
        var y = RunFloat(Average, Node("AveragePool", 22, 1, 1, Ints("kernel_shape", 3), Ints("pads", 1, 1), Int("count_include_pad", countIncludePad)), Row(1, 2, 3));
        AssertClose(expected, y);
    }

    [Fact]
    public void Ceil_mode_window_beyond_the_declared_padding_counts_only_what_it_covers()
    {
        // Last window covers position 4 (value 5) and position 5, which is neither input nor declared padding.
        var node = Node("AveragePool", 22, 1, 1, Ints("kernel_shape", 2), Ints("strides", 2), Int("ceil_mode", 1), Int("count_include_pad", 1));
        Assert.Equal([1.5f, 3.5f, 5f], RunFloat(Average, node, Row(1, 2, 3, 4, 5)));
    }

    [Fact]
    public void Average_pool_dilation()
    {
        var y = RunFloat(Average, Node("AveragePool", 19, 1, 1, Ints("kernel_shape", 2), Ints("dilations", 2)), Row(1, 2, 3, 4, 5));
        Assert.Equal([2f, 3, 4], y);
    }

    [Fact]
    public void Global_pools_reduce_each_channel_plane()
    {
        var x = F([1, 2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var average = Run(new GlobalAveragePool(), Node("GlobalAveragePool", 22, 1, 1), [x])[0];
        Assert.Equal(new Shape(1, 2, 1, 1), average.Shape);
        Assert.Equal([2.5f, 6.5f], average.As<float>());
        var max = Run(new GlobalMaxPool(), Node("GlobalMaxPool", 1, 1, 1), [x])[0];
        Assert.Equal(new Shape(1, 2, 1, 1), max.Shape);
        Assert.Equal([4f, 8], max.As<float>());
    }

    [Fact]
    public void Bad_attributes_and_shapes_are_rejected_naming_the_node()
    {
        AssertRejected(Max, Node("MaxPool", 22, 1, 1), [Image3x3], "kernel_shape");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2)), [Image3x3], "'kernel_shape'");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2, 0)), [Image3x3], "'kernel_shape'");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2, 2), Ints("pads", 1, 1)), [Image3x3], "'pads'");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2, 2), Int("storage_order", 2)), [Image3x3], "storage_order");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 4, 4)), [Image3x3], "larger than the padded input");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2)), [Tensor.Create(new Shape(1, 1, 2), new[] { 1, 2 })], "element type");
        AssertRejected(Max, Node("MaxPool", 22, 1, 1, Ints("kernel_shape", 2)), [F([1, 2], 1, 2)], "rank 3 or more");
        AssertRejected(Average, Node("AveragePool", 22, 1, 1, Ints("kernel_shape", 2), Int("count_include_pad", 3)), [Row(1, 2)], "count_include_pad");
        AssertRejected(Average, Node("AveragePool", 22, 1, 1, Ints("kernel_shape", 2), Int("ceil_mode", 2)), [Row(1, 2)], "ceil_mode");
        AssertRejected(new GlobalAveragePool(), Node("GlobalAveragePool", 22, 1, 1), [F([1, 2], 1, 2)], "rank 3 or more");
    }
}
