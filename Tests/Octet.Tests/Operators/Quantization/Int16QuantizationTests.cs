using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Operators.Quantization.Contrib;
using Octet.Tests.FrontEnd;
using Xunit;
using static Octet.Tests.Operators.Quantization.QuantizationHarness;

namespace Octet.Tests.Operators.Quantization;

/// <summary>
/// int16 as a quantized type: QuantizeLinear / DequantizeLinear take it from opset 21 (the ONNX spec) and at any
/// opset in ONNX Runtime's com.microsoft forms, which Octet writes for 16-bit activations in older models.
/// </summary>
public sealed class Int16QuantizationTests
{
    private static Tensor Scalar16(short value) => Tensor.Scalar(value);

    [Fact]
    public void Quantizes_to_int16_with_round_half_to_even_and_saturation()
    {
        var y = Run(new QuantizeLinear(), Node("QuantizeLinear", 21, 3, 1), F([6], 0.5f, 1.5f, -2.5f, 1e6f, -1e6f, float.NaN), Scalar(0.5f), Scalar16(3))[0];
        Assert.Equal(ElementType.Int16, y.ElementType);
        // x / 0.5 = 1, 3, -5 → +3; ±2e6 saturates; NaN is the type's minimum (as for 8 bits).
        Assert.Equal(new short[] { 4, 6, -2, short.MaxValue, short.MinValue, short.MinValue }, y.As<short>());
    }

    [Fact]
    public void Output_dtype_int16_without_a_zero_point()
    {
        var y = Run(new QuantizeLinear(), Node("QuantizeLinear", 21, 2, 1, Int("output_dtype", (long)ElementType.Int16)), F([2], 70000f, -3f), Scalar(2f))[0];
        Assert.Equal(new short[] { 32767, -2 }, y.As<short>()); // 35000 saturates; -1.5 → -2 (even)
    }

    [Fact]
    public void Dequantizes_int16_exactly()
    {
        var x = Tensor.Create(new Shape(4), new short[] { short.MinValue, -1, 0, short.MaxValue });
        var y = Run(new DequantizeLinear(), Node("DequantizeLinear", 21, 3, 1), x, Scalar(0.25f), Scalar16(-1))[0];
        // (x − zp) is exact in float32 (|x − zp| < 2^24), and the products with 0.25 are exact too.
        Assert.Equal(new[] { (-32768 + 1) * 0.25f, 0f, 0.25f, (32767 + 1) * 0.25f }, y.As<float>());
    }

    [Fact]
    public void Com_microsoft_forms_take_int16_at_any_opset()
    {
        var q = Run(new MicrosoftQuantizeLinear(), NodeIn("com.microsoft", "QuantizeLinear", 1, 3, 1), F([2], 100f, -100f), Scalar(0.01f), Scalar16(0))[0];
        Assert.Equal(new short[] { 10000, -10000 }, q.As<short>());
        var d = Run(new MicrosoftDequantizeLinear(), NodeIn("com.microsoft", "DequantizeLinear", 1, 3, 1), q, Scalar(0.5f), Scalar16(0))[0];
        Assert.Equal(new[] { 5000f, -5000f }, d.As<float>());
    }

    [Fact]
    public void Int16_before_opset_21_is_refused_naming_the_way_out()
    {
        AssertRejected(new QuantizeLinear(), Node("QuantizeLinear", 13, 3, 1), [F([1], 1f), Scalar(1f), Scalar16(0)], "int16 needs opset 21");
        AssertRejected(new DequantizeLinear(), Node("DequantizeLinear", 19, 3, 1),
            [Tensor.Create(new Shape(1), new short[] { 1 }), Scalar(1f), Scalar16(0)], "int16 needs opset 21");
    }

    [Fact]
    public void Npy_files_round_trip_int16()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.npy");
        var tensor = Tensor.Create(new Shape(2, 3), new short[] { short.MinValue, -2, -1, 0, 1, short.MaxValue });
        NpyFile.Write(path, tensor);
        var read = NpyFile.Read(path);
        Assert.Equal(ElementType.Int16, read.ElementType);
        Assert.Equal(tensor.Shape, read.Shape);
        Assert.Equal(tensor.As<short>(), read.As<short>());
    }
}
