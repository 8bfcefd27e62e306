using System.Buffers.Binary;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Calibration;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.Calibration;

/// <summary>Reading calibration data: IDX files, .npy arrays, test_data_set folders, and what is refused.</summary>
public sealed class CalibrationSamplesTests
{
    private static readonly Lazy<ModelGraph> Mnist = new(() => OnnxModelLoader.Load(TestData.Model("mnist-8")));

    /// <summary>Two inputs: a [2, 3] float and a [4] float, added after a reshape-free path.</summary>
    private static ModelGraph TwoInputs(TempFolder folder)
    {
        var model = new OnnxModelBuilder(13).Input("a", ElementType.Float32, 2, 3).Input("b:0", ElementType.Float32, 3).Output("y");
        model.Node("Add", ["a", "b:0"], ["y"]);
        return OnnxModelLoader.Load(model.Save(folder.Path));
    }

    [Fact]
    public void Idx_images_are_scaled_and_reshaped_to_the_input()
    {
        using var folder = new TempFolder();
        var path = folder.File("images.idx");
        WriteIdx(path, [3, 28, 28], Enumerable.Range(0, 3 * 784).Select(i => (byte)(i % 256)).ToArray());
        var samples = CalibrationSamples.Open(path, Mnist.Value, 0.5);
        Assert.Equal(3, samples.Count);
        Assert.Equal("images.idx", samples.Description);
        var second = samples.Get(1)["Input3"];
        Assert.Equal(new Shape(1, 1, 28, 28), second.Shape);
        // Element k of sample 1 is byte (784 + k) mod 256, times 0.5.
        Assert.Equal((784 % 256) * 0.5f, second.As<float>()[0]);
        Assert.Equal(((784 + 100) % 256) * 0.5f, second.As<float>()[100]);
        Assert.Equal(2, samples.Take(2).Count);
        Assert.Same(samples, samples.Take(10));
    }

    [Fact]
    public void Idx_with_the_wrong_sample_size_is_refused()
    {
        using var folder = new TempFolder();
        var path = folder.File("images.idx");
        WriteIdx(path, [2, 20, 20], new byte[800]);
        var e = Assert.Throws<OctetException>(() => CalibrationSamples.Open(path, Mnist.Value));
        Assert.Contains("each sample has 400 values ([20,20]); input 'Input3' is float[1,1,28,28] with 784", e.Message);
    }

    [Fact]
    public void Npy_folder_feeds_each_input_from_its_file_first_axis_is_the_sample()
    {
        using var folder = new TempFolder();
        var graph = TwoInputs(folder);
        var data = Directory.CreateDirectory(folder.File("data")).FullName;
        WriteNpy(Path.Combine(data, "a.npy"), Tensor.Create(new Shape(2, 6), Enumerable.Range(0, 12).Select(i => (float)i).ToArray()));
        WriteNpy(Path.Combine(data, "b_0.npy"), Tensor.Create(new Shape(2, 3), [10f, 20f, 30f, 40f, 50f, 60f]));
        var samples = CalibrationSamples.Open(data, graph);
        Assert.Equal(2, samples.Count);
        var second = samples.Get(1);
        Assert.Equal(new Shape(2, 3), second["a"].Shape);
        Assert.Equal([6f, 7f, 8f, 9f, 10f, 11f], second["a"].As<float>());
        Assert.Equal([40f, 50f, 60f], second["b:0"].As<float>());
    }

    [Fact]
    public void Single_npy_file_of_bytes_feeds_a_single_input_model_with_the_input_scale()
    {
        using var folder = new TempFolder();
        var path = folder.File("digits.npy");
        WriteNpy(path, Tensor.Create(new Shape(2, 28, 28), Enumerable.Range(0, 2 * 784).Select(i => (byte)(i % 251)).ToArray()));
        var samples = CalibrationSamples.Open(path, Mnist.Value, 1.0 / 255);
        Assert.Equal(2, samples.Count);
        Assert.Equal((float)(((784 + 5) % 251) / 255.0), samples.Get(1)["Input3"].As<float>()[5], 1e-7f);
    }

    [Fact]
    public void Npy_problems_are_named()
    {
        using var folder = new TempFolder();
        var graph = TwoInputs(folder);
        var data = Directory.CreateDirectory(folder.File("data")).FullName;
        WriteNpy(Path.Combine(data, "a.npy"), Tensor.Create(new Shape(2, 6), new float[12]));
        var e = Assert.Throws<OctetException>(() => CalibrationSamples.Open(data, graph));
        Assert.Contains("no b_0.npy for input 'b:0'", e.Message);

        WriteNpy(Path.Combine(data, "b_0.npy"), Tensor.Create(new Shape(3, 3), new float[9]));
        e = Assert.Throws<OctetException>(() => CalibrationSamples.Open(data, graph));
        Assert.Contains("holds 3 samples, the other .npy files 2", e.Message);

        WriteNpy(Path.Combine(data, "b_0.npy"), Tensor.Create(new Shape(2, 4), new float[8]));
        e = Assert.Throws<OctetException>(() => CalibrationSamples.Open(data, graph));
        Assert.Contains("each sample has 4 elements", e.Message);

        WriteNpy(Path.Combine(data, "b_0.npy"), Tensor.Create(new Shape(2, 3), new float[6]));
        e = Assert.Throws<OctetException>(() => CalibrationSamples.Open(data, graph, 0.5));
        Assert.Contains("the input scale applies only to integer data", e.Message);
    }

    [Fact]
    public void Test_data_set_folders_are_one_sample_each()
    {
        var folder = TestData.ModelFolder("mnist-8");
        var samples = CalibrationSamples.Open(folder, Mnist.Value);
        Assert.Equal(3, samples.Count);
        Assert.Equal("mnist-8", samples.Description);
        var expected = OnnxTensorReader.ReadFile(Path.Combine(folder, "test_data_set_2", "input_0.pb")).Value.As<float>();
        Assert.Equal(expected, samples.Get(2)["Input3"].As<float>());
        // A single test_data_set folder is one sample.
        Assert.Equal(1, CalibrationSamples.Open(Path.Combine(folder, "test_data_set_0"), Mnist.Value).Count);
    }

    [Theory]
    [InlineData("/nonexistent/data", "/nonexistent/data: no such file or folder")]
    public void Missing_data_is_named(string path, string message)
    {
        Assert.Equal(message, Assert.Throws<OctetException>(() => CalibrationSamples.Open(path, Mnist.Value)).Message);
    }

    [Fact]
    public void Folder_without_data_and_file_of_another_kind_are_refused()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("notes.txt"), "hello");
        Assert.Contains("holds no test_data_set_N folders, input_K.pb files or .npy files",
            Assert.Throws<OctetException>(() => CalibrationSamples.Open(folder.Path, Mnist.Value)).Message);
        Assert.Contains("not an IDX file (MNIST format) or a .npy file",
            Assert.Throws<OctetException>(() => CalibrationSamples.Open(folder.File("notes.txt"), Mnist.Value)).Message);
    }

    /// <summary>
    /// A .npy file as NumPy writes it (format 1.0: the magic bytes 0x93 'NUMPY', version, header length,
    /// a Python-dict header padded to 64 bytes, then the data), written here from the format's description.
    /// </summary>
    internal static void WriteNpy(string path, Tensor tensor)
    {
        var descr = tensor.ElementType switch { ElementType.Float32 => "<f4", ElementType.UInt8 => "|u1", _ => throw new ArgumentException("test helper: float32 or uint8") };
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({(tensor.Shape.Rank == 1 ? $"{tensor.Shape[0]}," : string.Join(", ", tensor.Shape.ToArray()))}), }}";
        header = header.PadRight((10 + header.Length + 1 + 63) / 64 * 64 - 10 - 1) + "\n";
        var data = new byte[tensor.ElementCount * tensor.ElementType.SizeInBytes()];
        Buffer.BlockCopy(tensor.Data, 0, data, 0, data.Length);
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8)]);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(header));
        stream.Write(data);
    }

    internal static void WriteIdx(string path, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        File.WriteAllBytes(path, bytes);
    }
}
