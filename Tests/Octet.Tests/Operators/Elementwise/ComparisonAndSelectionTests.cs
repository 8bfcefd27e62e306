using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

public sealed class ComparisonAndSelectionTests
{
    [Fact]
    public void Equal_compares_with_broadcasting_and_nan_equals_nothing()
    {
        var c = Run("Equal", 19, [T([1f, 2, float.NaN, 2], 2, 2), V(float.NaN, 2)])[0];
        Assert.Equal(ElementType.Bool, c.ElementType);
        Assert.Equal([false, true, false, true], c.As<bool>());
    }

    [Fact]
    public void Equal_of_integers_and_bools()
    {
        Assert.Equal([true, false], Run("Equal", 13, [V(5L, 6), V(5L)])[0].As<bool>());
        Assert.Equal([true, false, false, true], Run("Equal", 13, [T([true, true, false, false], 4), T([true, false, true, false], 4)])[0].As<bool>());
    }

    [Fact]
    public void Equal_before_opset_11_compares_bool_and_wide_integers_only()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Equal", 10, [(ElementType.Float32, new Shape(2)), (ElementType.Float32, new Shape(2))]));
        Assert.Contains("float", e.Message);
    }

    [Fact]
    public void Less_of_floats_and_unsigned_bytes()
    {
        Assert.Equal([true, false, false, false], Run("Less", 13, [V(1f, 2, 3, float.NaN), V(2f)])[0].As<bool>());
        // 200 is large as uint8, not negative.
        Assert.Equal([false, true], Run("Less", 13, [T(new byte[] { 200, 1 }, 2), T(new byte[] { 100 }, 1)])[0].As<bool>());
    }

    [Fact]
    public void Where_broadcasts_all_three_inputs()
    {
        // condition [2,1], X [1,3], Y scalar → [2,3]: row 0 from X, row 1 all Y.
        var r = Run("Where", 16, [T([true, false], 2, 1), T([1, 2, 3], 1, 3), Tensor.Scalar(-1)])[0];
        Assert.Equal(new Shape(2, 3), r.Shape);
        Assert.Equal([1, 2, 3, -1, -1, -1], r.As<int>());
    }

    [Fact]
    public void Where_selects_element_wise()
    {
        var r = Run("Where", 16, [T([true, false, true, false], 2, 2), T([1f, 2, 3, 4], 2, 2), T([10f, 20, 30, 40], 2, 2)])[0];
        Assert.Equal([1f, 20, 3, 40], r.As<float>());
    }

    [Fact]
    public void Where_needs_a_bool_condition()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Where", 16,
            [(ElementType.Float32, new Shape(2)), (ElementType.Float32, new Shape(2)), (ElementType.Float32, new Shape(2))]));
        Assert.Contains("bool", e.Message);
    }
}
