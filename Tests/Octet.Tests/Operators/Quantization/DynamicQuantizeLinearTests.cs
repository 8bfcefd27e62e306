using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

/// <summary>Expected values are the ONNX operator documentation's examples (checked with float32 arithmetic by hand).</summary>
public sealed class DynamicQuantizeLinearTests
{
    private static readonly DynamicQuantizeLinear Op = new();

    private static (byte[] Y, float Scale, byte ZeroPoint) Quantize(params float[] x)
    {
        var outputs = Run(Op, Node("DynamicQuantizeLinear", 11, 1, 3), F([x.Length], x));
        return (outputs[0].As<byte>(), outputs[1].As<float>()[0], outputs[2].As<byte>()[0]);
    }

    [Fact]
    public void Range_spanning_zero()
    {
        var (y, scale, zeroPoint) = Quantize(0, 2, -3, -2.5f, 1.34f, 0.5f);
        Assert.Equal(5f / 255f, scale);
        Assert.Equal(153, zeroPoint);
        Assert.Equal(new byte[] { 153, 255, 0, 26, 221, 179 }, y);
    }

    [Fact]
    public void All_positive_input_widens_the_minimum_to_zero()
    {
        var (y, scale, zeroPoint) = Quantize(1, 2.1f, 1.3f, 2.5f, 3.34f, 10);
        Assert.Equal(10f / 255f, scale);
        Assert.Equal(0, zeroPoint);
        Assert.Equal(new byte[] { 26, 54, 33, 64, 85, 255 }, y);
    }

    [Fact]
    public void All_negative_input_widens_the_maximum_to_zero()
    {
        var (y, scale, zeroPoint) = Quantize(-1, -2.1f, -1.3f, -2.5f, -3.34f, -4);
        Assert.Equal(4f / 255f, scale);
        Assert.Equal(255, zeroPoint);
        Assert.Equal(new byte[] { 191, 121, 172, 96, 42, 0 }, y);
    }

    [Fact]
    public void All_zero_input_has_scale_one_over_255()
    {
        var (y, scale, zeroPoint) = Quantize(0, 0, 0);
        Assert.Equal(1f / 255f, scale);
        Assert.Equal(0, zeroPoint);
        Assert.Equal(new byte[] { 0, 0, 0 }, y);
    }

    [Fact]
    public void Outputs_are_uint8_data_and_scalar_parameters()
    {
        var outputs = Infer(Op, Node("DynamicQuantizeLinear", 11, 1, 3), F([2, 2], 1, 2, 3, 4));
        Assert.Equal((ElementType.UInt8, new Shape(2, 2)), outputs[0]);
        Assert.Equal((ElementType.Float32, Shape.Scalar), outputs[1]);
        Assert.Equal((ElementType.UInt8, Shape.Scalar), outputs[2]);
    }

    [Fact]
    public void Rejects_non_float_input_and_a_wrong_output_count()
    {
        AssertRejected(Op, Node("DynamicQuantizeLinear", 11, 1, 3), [U8([1], 1)], "element type uint8");
        AssertRejected(Op, Node("DynamicQuantizeLinear", 11, 1, 1), [F([1], 1)], "has 3 outputs");
    }
}
