using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Xunit;

namespace Octet.Tests.FrontEnd;

/// <summary>
/// Initializers become constants with the values the file holds, whichever way the file stores them:
/// raw_data, typed fields, float16 (widened to float32), or external data next to the model.
/// </summary>
public sealed class InitializerTests
{
    public static IEnumerable<object[]> TensorsOfEveryType() =>
    [
        [Tensor.Create(new Shape(2, 3), new[] { 0f, -1.5f, 3.25f, float.MaxValue, float.Epsilon, -0f })],
        [Tensor.Create(new Shape(4), new[] { 0L, -1L, long.MaxValue, long.MinValue })],
        [Tensor.Create(new Shape(2, 2), new[] { 7, -7, int.MaxValue, int.MinValue })],
        [Tensor.Create(new Shape(3), new sbyte[] { -128, 0, 127 })],
        [Tensor.Create(new Shape(3), new byte[] { 0, 128, 255 })],
        [Tensor.Create(new Shape(2, 2), new[] { true, false, false, true })],
        [Tensor.Create(Shape.Scalar, new[] { 42f })],
        [Tensor.Create(new Shape(0, 3), Array.Empty<float>())],
    ];

    [Theory]
    [MemberData(nameof(TensorsOfEveryType))]
    public void Raw_data_and_typed_fields_give_the_same_constant(Tensor value)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder()
            .Initializer("raw", value, TensorStorage.RawData)
            .Initializer("typed", value, TensorStorage.TypedFields)
            .Output("raw", value.ElementType).Output("typed", value.ElementType);
        var graph = OnnxGraphReader.Read(model.Save(folder.Path));

        foreach (var name in new[] { "raw", "typed" })
        {
            var constant = graph.Tensor(name).ConstantValue;
            Assert.NotNull(constant);
            Assert.Equal(value.ElementType, constant.ElementType);
            Assert.Equal(value.Shape, constant.Shape);
            Assert.Equal(value.Data, constant.Data);
        }
    }

    // float16 bit patterns and their values, worked out from the IEEE 754 binary16 layout
    // (sign, 5-bit exponent with bias 15, 10-bit fraction).
    private static readonly ushort[] HalfBits = [0x3C00, 0xC000, 0x3555, 0x0000, 0x8000, 0x7BFF, 0x0001, 0x0400, 0x7C00, 0xFC00, 0x3800];
    private static readonly float[] HalfValues =
    [
        1f,                          // 0x3C00: exponent 15 → 2^0
        -2f,                         // 0xC000: sign, exponent 16 → -2^1
        0.333251953125f,             // 0x3555: 2^-2 × (1 + 0x155/1024) = 1365/4096
        0f,
        -0f,
        65504f,                      // 0x7BFF: largest finite, 2^15 × (2 − 2^-10)
        5.9604644775390625e-8f,      // 0x0001: smallest subnormal, 2^-24
        6.103515625e-5f,             // 0x0400: smallest normal, 2^-14
        float.PositiveInfinity,
        float.NegativeInfinity,
        0.5f,                        // 0x3800: exponent 14 → 2^-1
    ];

    [Theory]
    [InlineData(TensorStorage.RawData)]
    [InlineData(TensorStorage.TypedFields)]
    public void Float16_initializer_is_widened_to_float32(TensorStorage storage)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Float16Initializer("h", HalfBits, [HalfBits.Length], storage).Output("h");
        var constant = OnnxGraphReader.Read(model.Save(folder.Path)).Tensor("h").ConstantValue!;

        Assert.Equal(ElementType.Float32, constant.ElementType);
        var values = constant.As<float>();
        for (int i = 0; i < HalfValues.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(HalfValues[i]) == BitConverter.SingleToInt32Bits(values[i]),
                $"0x{HalfBits[i]:X4}: expected {HalfValues[i]:R}, got {values[i]:R}");
    }

    [Fact]
    public void Float16_nan_stays_nan()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().Float16Initializer("h", [0x7E00], [1]).Output("h");
        Assert.True(float.IsNaN(OnnxGraphReader.Read(model.Save(folder.Path)).Tensor("h").ConstantValue!.As<float>()[0]));
    }

    [Theory]
    [InlineData("weights.bin")]
    [InlineData("data/nested/weights.bin")]
    [InlineData("./weights.bin")]
    public void External_data_with_a_relative_location_is_read(string location)
    {
        using var folder = new TempFolder();
        var a = Tensor.Create(new Shape(2, 2), new[] { 1f, 2f, 3f, 4f });
        var b = Tensor.Create(new Shape(3), new[] { 5L, -6L, 7L });
        var model = new OnnxModelBuilder()
            .ExternalInitializer("a", a, location)
            .ExternalInitializer("b", b, location) // the second tensor starts at offset 16 of the same file
            .Output("a").Output("b", ElementType.Int64);
        var graph = OnnxGraphReader.Read(model.Save(folder.Path));

        Assert.Equal(a.Data, graph.Tensor("a").ConstantValue!.Data);
        Assert.Equal(b.Data, graph.Tensor("b").ConstantValue!.Data);
    }

    [Fact]
    public void External_data_without_offset_and_length_is_the_whole_file()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder()
            .ExternalData("w.bin", TensorProtos.RawBytes(Tensor.Create(new Shape(2), new[] { 0.25f, -8f })))
            .ExternalReference("w", ElementType.Float32, [2], "w.bin")
            .Output("w");
        Assert.Equal(new[] { 0.25f, -8f }, OnnxGraphReader.Read(model.Save(folder.Path)).Tensor("w").ConstantValue!.As<float>());
    }

    [Fact]
    public void External_data_with_an_absolute_path_is_rejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().ExternalData("w.bin", new byte[8]);
        model.ExternalReference("w", ElementType.Float32, [2], folder.File("w.bin"), 0, 8).Output("w");
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("absolute", error.Message);
    }

    [Theory]
    [InlineData("../x.bin")]
    [InlineData("sub/../../x.bin")]
    [InlineData("..")]
    public void External_data_leaving_the_models_folder_is_rejected(string location)
    {
        using var outer = new TempFolder();
        // The file exists where the location points, so only the containment check can refuse it.
        File.WriteAllBytes(outer.File("x.bin"), new byte[8]);
        var inner = Directory.CreateDirectory(outer.File("model")).FullName;
        var model = new OnnxModelBuilder().ExternalReference("w", ElementType.Float32, [2], location, 0, 8).Output("w");
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(inner)));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("leaves the model's folder", error.Message);
    }

    [Theory]
    [InlineData(0L, 12L, "outside")]         // 12 bytes from a file of 8
    [InlineData(9L, 0L, "outside")]          // offset past the end
    [InlineData(4L, 8L, "outside")]          // runs past the end
    [InlineData(long.MaxValue, 8L, "outside")]
    [InlineData(0L, 4L, "does not match")]   // inside the file, but a [2] float tensor needs 8
    [InlineData(0L, 8L, null)]
    public void External_data_range_is_checked(long offset, long length, string? problem)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().ExternalData("w.bin", new byte[8])
            .ExternalReference("w", ElementType.Float32, [2], "w.bin", offset, length).Output("w");
        var path = model.Save(folder.Path);
        if (problem is null)
        {
            Assert.Equal(new[] { 0f, 0f }, OnnxGraphReader.Read(path).Tensor("w").ConstantValue!.As<float>());
            return;
        }
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(path));
        Assert.Contains("'w'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void External_data_whole_file_of_the_wrong_size_is_rejected()
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().ExternalData("w.bin", new byte[12])
            .ExternalReference("w", ElementType.Float32, [2], "w.bin").Output("w");
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("does not match", error.Message);
    }

    [Theory]
    [InlineData("missing.bin", "0", "does not exist")]
    [InlineData("", "0", "no location")]
    [InlineData("w.bin", "-1", "not a non-negative integer")]
    [InlineData("w.bin", "eight", "not a non-negative integer")]
    public void External_data_with_bad_keys_is_rejected(string location, string offset, string problem)
    {
        using var folder = new TempFolder();
        var model = new OnnxModelBuilder().ExternalData("w.bin", new byte[8]).Output("w");
        var proto = TensorProtos.External("w", ElementType.Float32, [2], location, null, null);
        proto.ExternalData.Add(new Octet.Compiler.Onnx.Proto.StringStringEntryProto { Key = "offset", Value = offset });
        model.Initializer(proto);
        var error = Assert.Throws<OctetException>(() => OnnxGraphReader.Read(model.Save(folder.Path)));
        Assert.Contains("'w'", error.Message);
        Assert.Contains(problem, error.Message);
    }
}
