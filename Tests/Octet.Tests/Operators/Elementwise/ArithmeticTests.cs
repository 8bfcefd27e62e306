using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

public sealed class ArithmeticTests
{
    [Fact]
    public void Add_broadcasts_a_row_over_a_matrix()
    {
        var c = Run("Add", 14, [T([1f, 2, 3, 4, 5, 6], 2, 3), V(10f, 20, 30)])[0];
        Assert.Equal(new Shape(2, 3), c.Shape);
        Assert.Equal([11f, 22, 33, 14, 25, 36], c.As<float>());
    }

    [Fact]
    public void Add_broadcasts_per_channel_values_over_feature_maps()
    {
        // [1,2,2,2] + [1,2,1,1]: channel 0 gets +100, channel 1 gets +200.
        var x = T([0f, 1, 2, 3, 4, 5, 6, 7], 1, 2, 2, 2);
        var bias = T([100f, 200], 1, 2, 1, 1);
        var c = Run("Add", 14, [x, bias])[0];
        Assert.Equal([100f, 101, 102, 103, 204, 205, 206, 207], c.As<float>());
    }

    [Fact]
    public void Add_broadcasts_both_operands_to_an_outer_product()
    {
        // [2,1] + [1,3] → [2,3]: row i, column j is a[i] + b[j].
        var c = Run("Add", 14, [T([1f, 2], 2, 1), T([10f, 20, 30], 1, 3)])[0];
        Assert.Equal(new Shape(2, 3), c.Shape);
        Assert.Equal([11f, 21, 31, 12, 22, 32], c.As<float>());
    }

    [Fact]
    public void Add_wraps_int8_and_uint8_on_overflow()
    {
        // 100 + 100 = 200 = −56 in int8; 200 + 100 = 300 = 44 in uint8.
        Assert.Equal([(sbyte)-56, (sbyte)-128], Run("Add", 14, [T(new sbyte[] { 100, -100 }, 2), T(new sbyte[] { 100, -28 }, 2)])[0].As<sbyte>());
        Assert.Equal([(byte)44], Run("Add", 14, [T(new byte[] { 200 }, 1), T(new byte[] { 100 }, 1)])[0].As<byte>());
    }

    [Fact]
    public void Sub_with_a_scalar_first_operand()
    {
        var c = Run("Sub", 14, [Tensor.Scalar(10f), V(1f, 2, 3)])[0];
        Assert.Equal([9f, 8, 7], c.As<float>());
    }

    [Fact]
    public void Mul_of_int64()
    {
        var c = Run("Mul", 13, [V(3L, -4, 1L << 40), V(5L, 6, 2)])[0];
        Assert.Equal([15L, -24, 1L << 41], c.As<long>());
    }

    [Fact]
    public void Div_of_integers_truncates_toward_zero()
    {
        var c = Run("Div", 14, [T([7, -7, 7, -7, 1], 5), T([2, 2, -2, -2, 3], 5)])[0];
        Assert.Equal([3, -3, -3, 3, 0], c.As<int>());
        var bytes = Run("Div", 14, [T(new sbyte[] { -128, 127 }, 2), T(new sbyte[] { -1, 2 }, 2)])[0];
        Assert.Equal([(sbyte)-128, (sbyte)63], bytes.As<sbyte>());
    }

    [Fact]
    public void Div_of_the_most_negative_integer_by_minus_one_wraps()
    {
        Assert.Equal([int.MinValue], Run("Div", 14, [T([int.MinValue], 1), T([-1], 1)])[0].As<int>());
        Assert.Equal([long.MinValue], Run("Div", 14, [V(long.MinValue), V(-1L)])[0].As<long>());
    }

    [Fact]
    public void Div_of_floats_follows_ieee()
    {
        AssertClose([0.5f, float.PositiveInfinity, float.NaN], Run("Div", 14, [V(1f, 1, 0), V(2f, 0, 0)])[0]);
    }

    [Fact]
    public void Integer_division_by_zero_is_an_error_naming_the_node()
    {
        var e = Assert.Throws<OctetException>(() => Run("Div", 14, [T([1, 2], 2), T([1, 0], 2)]));
        Assert.Contains("node 'n'", e.Message);
        Assert.Contains("division by zero", e.Message);
    }

    [Fact]
    public void Incompatible_shapes_are_an_error_naming_both()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Add", 14, [(ElementType.Float32, new Shape(2, 3)), (ElementType.Float32, new Shape(2))]));
        Assert.Contains("node 'n' (Add, opset 14)", e.Message);
        Assert.Contains("[2,3] and [2]", e.Message);
    }

    [Fact]
    public void Mixed_element_types_are_an_error()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Mul", 14, [(ElementType.Float32, new Shape(2)), (ElementType.Int32, new Shape(2))]));
        Assert.Contains("must match", e.Message);
    }

    [Fact]
    public void Int8_arithmetic_needs_opset_14()
    {
        Assert.Equal(ElementType.Int8, Infer("Div", 14, [(ElementType.Int8, new Shape(2)), (ElementType.Int8, new Shape(2))])[0].Type);
        var e = Assert.Throws<OctetException>(() => Infer("Div", 13, [(ElementType.Int8, new Shape(2)), (ElementType.Int8, new Shape(2))]));
        Assert.Contains("int8", e.Message);
    }

    [Fact]
    public void Wrong_input_count_is_an_error()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Add", 14, [(ElementType.Float32, new Shape(2))]));
        Assert.Contains("takes 2 inputs, got 1", e.Message);
    }

    [Fact]
    public void Pow_of_floats()
    {
        AssertClose([8f, 2, 1, 0.25f], Run("Pow", 15, [V(2f, 4, 7, 2), V(3f, 0.5f, 0, -2)])[0]);
    }

    [Fact]
    public void Pow_of_a_float_base_with_an_integer_exponent()
    {
        AssertClose([8f, -8, 0.125f], Run("Pow", 15, [V(2f, -2, 0.5f), V(3L)])[0]);
    }

    [Fact]
    public void Pow_of_integers_is_exact()
    {
        Assert.Equal([1, 3, 9, 243], Run("Pow", 15, [T([3], 1), T([0, 1, 2, 5], 4)])[0].As<int>());
        // 3^39 = 4052555153018976267 fits int64 exactly; a double would round it.
        Assert.Equal([4052555153018976267L], Run("Pow", 15, [V(3L), V(39L)])[0].As<long>());
    }

    [Fact]
    public void Pow_of_an_integer_base_with_a_float_exponent_truncates()
    {
        // √2 = 1.414…, √10 = 3.162…
        Assert.Equal([1, 3], Run("Pow", 15, [T([2, 10], 2), V(0.5f)])[0].As<int>());
    }

    [Fact]
    public void Pow_before_opset_12_takes_floats_only()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Pow", 11, [(ElementType.Int32, new Shape(2)), (ElementType.Int32, new Shape(2))]));
        Assert.Contains("int32", e.Message);
    }

    [Fact]
    public void Sum_of_three_inputs_with_broadcasting()
    {
        var c = Run("Sum", 13, [V(1f, 2, 3), V(10f), T([100f, 200, 300, 400, 500, 600], 2, 3)])[0];
        Assert.Equal(new Shape(2, 3), c.Shape);
        Assert.Equal([111f, 212, 313, 411, 512, 613], c.As<float>());
    }

    [Fact]
    public void Sum_of_one_input_is_that_input()
    {
        Assert.Equal([1f, 2], Run("Sum", 13, [V(1f, 2)])[0].As<float>());
    }

    [Fact]
    public void Min_and_max_broadcast_and_propagate_nan()
    {
        var a = V(1f, 5, float.NaN);
        var b = V(3f);
        var c = T([2f, 2, 2, 9, 9, 9], 2, 3);
        AssertClose([1f, 2, float.NaN, 1, 3, float.NaN], Run("Min", 13, [a, b, c])[0]);
        AssertClose([3f, 5, float.NaN, 9, 9, float.NaN], Run("Max", 13, [a, b, c])[0]);
    }

    [Fact]
    public void Min_and_max_of_integers()
    {
        Assert.Equal([(sbyte)-5, (sbyte)0], Run("Min", 13, [T(new sbyte[] { -5, 7 }, 2), T(new sbyte[] { 3, 0 }, 2)])[0].As<sbyte>());
        Assert.Equal([(byte)200, (byte)7], Run("Max", 13, [T(new byte[] { 200, 7 }, 2), T(new byte[] { 3, 0 }, 2)])[0].As<byte>());
    }

    [Fact]
    public void Variadic_ops_before_opset_8_do_not_broadcast()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Max", 7, [(ElementType.Float32, new Shape(2, 3)), (ElementType.Float32, new Shape(3))]));
        Assert.Contains("does not broadcast", e.Message);
    }
}
