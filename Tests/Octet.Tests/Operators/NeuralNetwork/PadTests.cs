using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class PadTests
{
    private static readonly Pad Op = new();
    private static readonly Tensor Row123 = F([3], 1, 2, 3);

    private static float[] Pad11(Tensor data, string mode, params long[] pads) =>
        Run(Op, Node("Pad", 19, 2, 1, String("mode", mode)), [data, I64([pads.Length], pads)])[0].As<float>();

    [Fact]
    public void Constant_mode_with_pads_as_attribute_and_value()
    {
        var y = Run(Op, Node("Pad", 2, 1, 1, Ints("pads", 1, 2), Float("value", 9)), [Row123])[0];
        Assert.Equal(new Shape(6), y.Shape);
        Assert.Equal([9f, 1, 2, 3, 9, 9], y.As<float>());
        Assert.Equal([0f, 1, 2, 3], Run(Op, Node("Pad", 1, 1, 1, Ints("paddings", 1, 0)), [Row123])[0].As<float>());
    }

    [Fact]
    public void Constant_mode_with_pads_and_constant_value_inputs()
    {
        var y = Run(Op, Node("Pad", 11, 3, 1), [Row123, I64([2], 2, 1), F([], 5)])[0];
        Assert.Equal([5f, 5, 1, 2, 3, 5], y.As<float>());
        Assert.Equal([0f, 1, 2, 3], Pad11(Row123, "constant", 1, 0));
    }

    [Fact]
    public void Reflect_edge_and_wrap_modes()
    {
        Assert.Equal([3f, 2, 1, 2, 3, 2, 1], Pad11(Row123, "reflect", 2, 2));
        Assert.Equal([1f, 1, 1, 2, 3, 3], Pad11(Row123, "edge", 2, 1));
        Assert.Equal([2f, 3, 1, 2, 3, 1], Pad11(Row123, "wrap", 2, 1));
    }

    [Fact]
    public void Negative_pads_crop_before_padding()
    {
        var x = F([4], 1, 2, 3, 4);
        Assert.Equal([2f, 3, 4, 0], Pad11(x, "constant", -1, 1));
        Assert.Equal([2f, 3, 4, 4], Pad11(x, "edge", -1, 1));
        // Reflection is about the last element that remains (4), not the original last element.
        Assert.Equal([2f, 3, 4, 3], Pad11(x, "reflect", -1, 1));
    }

    [Fact]
    public void Two_dimensional_padding()
    {
        var y = Run(Op, Node("Pad", 13, 2, 1), [F([2, 2], 1, 2, 3, 4), I64([4], 1, 0, 0, 1)])[0];
        Assert.Equal(new Shape(3, 3), y.Shape);
        Assert.Equal([0f, 0, 0, 1, 2, 0, 3, 4, 0], y.As<float>());
    }

    [Fact]
    public void Axes_input_selects_the_padded_axes()
    {
        var x = F([2, 2], 1, 2, 3, 4);
        var y = Run(Op, Node("Pad", 18, 4, 1), [x, I64([2], 1, 1), null, I64([1], -1)])[0];
        Assert.Equal(new Shape(2, 4), y.Shape);
        Assert.Equal([0f, 1, 2, 0, 0, 3, 4, 0], y.As<float>());
    }

    [Fact]
    public void Integer_and_bool_data()
    {
        var ints = Run(Op, Node("Pad", 11, 3, 1), [I64([2], 7, 8), I64([2], 1, 0), I64([], -1)])[0];
        Assert.Equal([-1L, 7, 8], ints.As<long>());
        var bools = Run(Op, Node("Pad", 11, 2, 1, String("mode", "edge")), [Tensor.Create(new Shape(1), new[] { true }), I64([2], 0, 2)])[0];
        Assert.Equal([true, true, true], bools.As<bool>());
        var bytes = Run(Op, Node("Pad", 2, 1, 1, Ints("pads", 1, 0), Float("value", 200)), [Tensor.Create(new Shape(1), new byte[] { 3 })])[0];
        Assert.Equal(new byte[] { 200, 3 }, bytes.As<byte>());
    }

    [Fact]
    public void Bad_pads_and_modes_are_rejected_naming_the_node()
    {
        AssertRejected(Op, Node("Pad", 11, 2, 1), [Row123, I64([3], 1, 1, 1)], "pads has 3 values");
        AssertRejected(Op, Node("Pad", 11, 2, 1), [Row123, I64([2], -2, -2)], "output size of -1");
        AssertRejected(Op, Node("Pad", 11, 2, 1, String("mode", "edge")), [Row123, I64([2], -3, 1)], "no input elements remain");
        AssertRejected(Op, Node("Pad", 18, 2, 1, String("mode", "wrap")), [Row123, I64([2], 1, 1)], "mode \"wrap\"");
        AssertRejected(Op, Node("Pad", 11, 2, 1), [Row123, I64([2], 1, 1)], "must be a constant", constantInputs: false);
        AssertRejected(Op, Node("Pad", 2, 1, 1), [Row123], "'pads'");
        AssertRejected(Op, Node("Pad", 11, 3, 1), [Row123, I64([2], 1, 1), I64([], 1)], "constant_value");
        AssertRejected(Op, Node("Pad", 18, 4, 1), [Row123, I64([2], 1, 1), null, I64([1], 1)], "axes value 1");
        AssertRejected(Op, Node("Pad", 11, 2, 1), [F([2, 2], 1, 2, 3, 4), I64([4], 100_000, 100_000, 0, 0)], "Octet allows at most");
    }
}
