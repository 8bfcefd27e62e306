using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Reduction;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class ReductionTests
{
    private static readonly Tensor Matrix = F([2, 2], 1, 2, 3, 4);

    [Fact]
    public void Reduce_sum_with_axes_input_keeps_dims_by_default()
    {
        var y = Run(new ReduceSum(), Node("ReduceSum", 13, 2, 1), [Matrix, I64([1], 1)])[0];
        Assert.Equal(new Shape(2, 1), y.Shape);
        Assert.Equal([3f, 7], y.As<float>());
        var z = Run(new ReduceSum(), Node("ReduceSum", 13, 2, 1, Int("keepdims", 0)), [Matrix, I64([1], -2)])[0];
        Assert.Equal(new Shape(2), z.Shape);
        Assert.Equal([4f, 6], z.As<float>());
    }

    [Fact]
    public void Reduce_sum_before_13_takes_axes_as_attribute()
    {
        var y = Run(new ReduceSum(), Node("ReduceSum", 11, 1, 1, Ints("axes", 0)), [Matrix])[0];
        Assert.Equal(new Shape(1, 2), y.Shape);
        Assert.Equal([4f, 6], y.As<float>());
    }

    [Fact]
    public void No_axes_reduce_everything_unless_noop_with_empty_axes()
    {
        var all = Run(new ReduceSum(), Node("ReduceSum", 13, 1, 1), [Matrix])[0];
        Assert.Equal(new Shape(1, 1), all.Shape);
        Assert.Equal([10f], all.As<float>());
        var emptyAxes = Run(new ReduceSum(), Node("ReduceSum", 13, 2, 1, Int("keepdims", 0)), [Matrix, I64([0])])[0];
        Assert.Equal(Shape.Scalar, emptyAxes.Shape);
        var noop = Run(new ReduceMean(), Node("ReduceMean", 18, 1, 1, Int("noop_with_empty_axes", 1)), [Matrix])[0];
        Assert.Equal(Matrix.Shape, noop.Shape);
        Assert.Equal([1f, 2, 3, 4], noop.As<float>());
    }

    [Fact]
    public void Reduce_mean_by_version()
    {
        Assert.Equal([2.5f], Run(new ReduceMean(), Node("ReduceMean", 13, 1, 1, Int("keepdims", 0)), [Matrix])[0].As<float>());
        Assert.Equal([1.5f, 3.5f], Run(new ReduceMean(), Node("ReduceMean", 13, 1, 1, Ints("axes", 1)), [Matrix])[0].As<float>());
        Assert.Equal([1.5f, 3.5f], Run(new ReduceMean(), Node("ReduceMean", 18, 2, 1), [Matrix, I64([1], 1)])[0].As<float>());
    }

    [Fact]
    public void Reduce_mean_of_integers_truncates_toward_zero()
    {
        var y = Run(new ReduceMean(), Node("ReduceMean", 18, 2, 1), [Tensor.Create(new Shape(2, 2), new[] { 1, 2, -1, -2 }), I64([1], 1)])[0];
        Assert.Equal([1, -1], y.As<int>());
    }

    [Fact]
    public void Reduce_max_and_min_over_several_types()
    {
        var x = Tensor.Create(new Shape(2, 2), new sbyte[] { -1, 5, 3, -7 });
        Assert.Equal(new sbyte[] { 5, 3 }, Run(new ReduceMax(), Node("ReduceMax", 12, 1, 1, Ints("axes", 1)), [x])[0].As<sbyte>());
        Assert.Equal(new sbyte[] { -1, -7 }, Run(new ReduceMin(), Node("ReduceMin", 18, 2, 1), [x, I64([1], 1)])[0].As<sbyte>());
        Assert.Equal([3f, 4], Run(new ReduceMax(), Node("ReduceMax", 13, 1, 1, Ints("axes", 0), Int("keepdims", 0)), [Matrix])[0].As<float>());
        Assert.Equal([1f], Run(new ReduceMin(), Node("ReduceMin", 1, 1, 1), [Matrix])[0].As<float>());
        var longs = I64([3], long.MaxValue, -3, long.MinValue + 1);
        Assert.Equal([long.MaxValue], Run(new ReduceMax(), Node("ReduceMax", 18, 1, 1), [longs])[0].As<long>());
        var bools = Tensor.Create(new Shape(2), new[] { false, true });
        Assert.Equal([true], Run(new ReduceMax(), Node("ReduceMax", 20, 1, 1), [bools])[0].As<bool>());
        Assert.Equal([false], Run(new ReduceMin(), Node("ReduceMin", 20, 1, 1), [bools])[0].As<bool>());
    }

    [Fact]
    public void Integer_sums_are_exact_beyond_float_precision()
    {
        var y = Run(new ReduceSum(), Node("ReduceSum", 13, 1, 1, Int("keepdims", 0)), [I64([2], (1L << 60) + 1, 2)])[0];
        Assert.Equal([(1L << 60) + 3], y.As<long>());
    }

    [Fact]
    public void Three_dimensional_reduction_over_outer_and_inner_axes()
    {
        // [2, 2, 2] = 1..8; reduce axes 0 and 2: for middle index 0: 1+2+5+6 = 14; for 1: 3+4+7+8 = 22.
        var x = F([2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var y = Run(new ReduceSum(), Node("ReduceSum", 13, 2, 1), [x, I64([2], 0, 2)])[0];
        Assert.Equal(new Shape(1, 2, 1), y.Shape);
        Assert.Equal([14f, 22], y.As<float>());
    }

    [Fact]
    public void Bad_axes_and_attributes_are_rejected_naming_the_node()
    {
        AssertRejected(new ReduceSum(), Node("ReduceSum", 13, 2, 1), [Matrix, I64([1], 2)], "axis 2 is out of range");
        AssertRejected(new ReduceSum(), Node("ReduceSum", 13, 2, 1), [Matrix, I64([2], 1, -1)], "twice");
        AssertRejected(new ReduceSum(), Node("ReduceSum", 13, 2, 1), [Matrix, I64([1], 1)], "must be a constant", constantInputs: false);
        AssertRejected(new ReduceMean(), Node("ReduceMean", 13, 1, 1, Ints("axes", -3)), [Matrix], "axis -3");
        AssertRejected(new ReduceMean(), Node("ReduceMean", 13, 1, 1, Int("keepdims", 2)), [Matrix], "keepdims=2");
        AssertRejected(new ReduceMax(), Node("ReduceMax", 18, 1, 1, Int("noop_with_empty_axes", 5)), [Matrix], "noop_with_empty_axes=5");
        AssertRejected(new ReduceMax(), Node("ReduceMax", 18, 1, 1), [Tensor.Create(new Shape(1), new[] { true })], "element type");
        AssertRejected(new ReduceSum(), Node("ReduceSum", 13, 1, 1), [Tensor.Create(new Shape(1), new sbyte[] { 1 })], "element type");
    }
}
