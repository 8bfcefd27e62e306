using Octet.Compiler.Graph;
using Xunit;

namespace Octet.Tests.FrontEnd;

/// <summary>
/// Reading a tensor's values across types. uint8 is the case to watch: the CLR lets a byte[] pass as an
/// sbyte[], so code that dispatches on the array type reads 200 as -56.
/// </summary>
public sealed class TensorValueTests
{
    private static readonly Tensor Unsigned = Tensor.Create(new Shape(3), new byte[] { 0, 200, 255 });
    private static readonly Tensor Signed = Tensor.Create(new Shape(3), new sbyte[] { 0, -56, -1 });

    [Fact]
    public void Uint8_values_read_as_unsigned()
    {
        Assert.Equal(new[] { 0L, 200L, 255L }, Unsigned.ToInt64Array());
        Assert.Equal(new[] { 0f, 200f, 255f }, Unsigned.ToFloatArray());
        Assert.Equal(200.0, Unsigned.GetAsDouble(1));
    }

    [Fact]
    public void Int8_values_read_as_signed()
    {
        Assert.Equal(new[] { 0L, -56L, -1L }, Signed.ToInt64Array());
        Assert.Equal(new[] { 0f, -56f, -1f }, Signed.ToFloatArray());
        Assert.Equal(-56.0, Signed.GetAsDouble(1));
    }

    [Fact]
    public void As_refuses_the_other_8_bit_type()
    {
        Assert.Equal(new byte[] { 0, 200, 255 }, Unsigned.As<byte>());
        Assert.Throws<InvalidCastException>(() => Unsigned.As<sbyte>());
        Assert.Throws<InvalidCastException>(() => Signed.As<byte>());
    }
}
