using Octet.Compiler.Graph;
using Xunit;

namespace Octet.Tests.Operators.Elementwise;

/// <summary>
/// uint8 values above 127 through operators that dispatch on the data array. The CLR lets a byte[] pass a
/// type test for sbyte[], so a dispatch written in the wrong order silently reads 200 as -56; these cases
/// were found by the mutation tests.
/// </summary>
public sealed class UnsignedByteTests
{
    private static Tensor Bytes(params byte[] values) => Tensor.Create(new Shape(values.Length), values);

    [Fact]
    public void Cast_uint8_to_float_keeps_values_above_127()
    {
        var result = OperatorHarness.Run("Cast", 13, [Bytes(0, 127, 128, 200, 255)], attributes: [("to", (long)ElementType.Float32)]);
        Assert.Equal(new float[] { 0, 127, 128, 200, 255 }, result[0].As<float>());
    }

    [Fact]
    public void Transpose_uint8()
    {
        var x = Tensor.Create(new Shape(2, 2), new byte[] { 200, 1, 2, 255 });
        var result = OperatorHarness.Run("Transpose", 13, [x]);
        Assert.Equal(new byte[] { 200, 2, 1, 255 }, result[0].As<byte>());
    }

    [Fact]
    public void Where_uint8()
    {
        var condition = Tensor.Create(new Shape(2), new[] { true, false });
        var result = OperatorHarness.Run("Where", 16, [condition, Bytes(200, 201), Bytes(250, 251)]);
        Assert.Equal(new byte[] { 200, 251 }, result[0].As<byte>());
    }

    [Fact]
    public void ConstantOfShape_uint8()
    {
        var shape = Tensor.Create(new Shape(1), new long[] { 3 });
        var result = OperatorHarness.Run("ConstantOfShape", 20, [shape], attributes: [("value", Bytes(200))]);
        Assert.Equal(new byte[] { 200, 200, 200 }, result[0].As<byte>());
    }
}
