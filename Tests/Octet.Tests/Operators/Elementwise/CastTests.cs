using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

public sealed class CastTests
{
    private static Tensor Cast(Tensor x, ElementType to, int opset = 21) => Run("Cast", opset, [x], attributes: [("to", (int)to)])[0];

    [Fact]
    public void Float_to_integer_truncates_toward_zero()
    {
        Assert.Equal([(sbyte)1, (sbyte)-1, (sbyte)0, (sbyte)0, (sbyte)127], Cast(V(1.9f, -1.9f, 0.5f, -0.5f, 127f), ElementType.Int8).As<sbyte>());
        Assert.Equal([3L, -3, 0], Cast(V(3.99f, -3.99f, float.NaN), ElementType.Int64).As<long>());
    }

    [Fact]
    public void Integer_narrowing_keeps_the_low_bits()
    {
        // The ONNX specification's example: 200 → −56 as int8. And −1 → 255 as uint8.
        Assert.Equal([(sbyte)-56, (sbyte)0], Cast(T([200, 256], 2), ElementType.Int8).As<sbyte>());
        Assert.Equal([(byte)255], Cast(T([-1L], 1), ElementType.UInt8).As<byte>());
    }

    [Fact]
    public void To_and_from_bool()
    {
        Assert.Equal([false, true, true, true], Cast(V(0f, -0.5f, float.NaN, 3), ElementType.Bool).As<bool>());
        Assert.Equal([1f, 0], Cast(T([true, false], 2), ElementType.Float32).As<float>());
        Assert.Equal([(sbyte)1, (sbyte)0], Cast(T([true, false], 2), ElementType.Int8).As<sbyte>());
    }

    [Fact]
    public void Integers_to_float()
    {
        Assert.Equal([-128f, 255], Cast(T([-128, 255], 2), ElementType.Float32).As<float>());
    }

    [Fact]
    public void Casting_to_the_same_type_keeps_the_values()
    {
        Assert.Equal([1.5f], Cast(V(1.5f), ElementType.Float32).As<float>());
    }

    [Fact]
    public void Float8_targets_are_rejected_by_name()
    {
        var e = Assert.Throws<OctetException>(() => Run("Cast", 21, [V(1f)], attributes: [("to", (int)ElementType.Float8E4M3FN), ("saturate", 0)]));
        Assert.Contains("node 'n' (Cast, opset 21)", e.Message);
        Assert.Contains("float8e4m3fn", e.Message);
    }

    [Fact]
    public void Types_octet_cannot_hold_are_rejected_by_name()
    {
        var e = Assert.Throws<OctetException>(() => Cast(V(1f), ElementType.Float16));
        Assert.Contains("float16", e.Message);
        e = Assert.Throws<OctetException>(() => Cast(V(1f), (ElementType)99));
        Assert.Contains("99", e.Message);
    }

    [Fact]
    public void Missing_target_is_an_error()
    {
        var e = Assert.Throws<OctetException>(() => Run("Cast", 21, [V(1f)]));
        Assert.Contains("'to'", e.Message);
    }

    [Fact]
    public void CastLike_takes_the_type_of_its_second_input()
    {
        var y = Run("CastLike", 21, [V(2.7f, -2.7f), T([0], 1)])[0];
        Assert.Equal([2, -2], y.As<int>());
    }
}
