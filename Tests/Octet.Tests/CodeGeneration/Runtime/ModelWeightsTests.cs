using System.Buffers.Binary;
using System.Reflection;
using Octet.Runtime;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.CodeGeneration.Runtime;

public class ModelWeightsTests
{
    private static byte[] Blob(int length)
    {
        var bytes = new byte[length];
        new Random(4).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void FromBytes_copies_into_a_64_byte_aligned_block()
    {
        var bytes = Blob(1000);
        using var weights = ModelWeights.FromBytes(bytes);
        Assert.Equal(ModelWeightsOrigin.Copy, weights.Origin);
        Assert.Equal(1000, weights.Length);
        Assert.True(weights.BaseAlignment >= 64, $"alignment {weights.BaseAlignment}");
        Assert.Equal(bytes, weights.Span<byte>(0, 1000).ToArray());

        // A copy: changing the array afterwards does not change the weights.
        byte before = bytes[10];
        bytes[10] ^= 0xFF;
        Assert.Equal(before, weights.Span<byte>(10, 1)[0]);
    }

    [Fact]
    public void Typed_spans_read_little_endian_values_at_any_byte_offset()
    {
        var bytes = Blob(256);
        using var weights = ModelWeights.FromBytes(bytes);
        var ints = weights.Span<int>(64, 8);
        for (int i = 0; i < 8; i++) Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(64 + 4 * i)), ints[i]);
        var odd = weights.Span<short>(3, 2);
        Assert.Equal(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(3)), odd[0]);
        Assert.Equal(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(5)), odd[1]);
        Assert.Empty(weights.Span<float>(256, 0).ToArray());
    }

    [Theory]
    [InlineData(-1L, 1)]
    [InlineData(0L, -1)]
    [InlineData(257L, 0)]
    [InlineData(192L, 17)]
    [InlineData(long.MaxValue, 1)]
    [InlineData(0L, int.MaxValue)]
    public void Out_of_range_spans_are_refused_with_the_sizes(long byteOffset, int count)
    {
        using var weights = ModelWeights.FromBytes(Blob(256));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => weights.Span<int>(byteOffset, count));
        Assert.Contains($"byte offset {byteOffset}", e.Message);
        Assert.Contains("256-byte weights blob", e.Message);
    }

    [Fact]
    public void FromFile_maps_the_file_read_only()
    {
        using var folder = new TempFolder();
        var bytes = Blob(70_000);
        string path = folder.File("model.weights");
        File.WriteAllBytes(path, bytes);
        var weights = ModelWeights.FromFile(path, bytes.Length);
        Assert.Equal(ModelWeightsOrigin.MappedFile, weights.Origin);
        Assert.Equal(bytes, weights.Span<byte>(0, bytes.Length).ToArray());
        Assert.True(weights.BaseAlignment >= 4096, $"a mapping starts on a page; alignment {weights.BaseAlignment}");
        weights.Dispose();
        Assert.Throws<ObjectDisposedException>(() => weights.Span<byte>(0, 1).ToArray());
        // Unmapped: the file can be replaced.
        File.Delete(path);
    }

    [Fact]
    public void FromFile_of_an_empty_blob_is_an_empty_view()
    {
        using var folder = new TempFolder();
        string path = folder.File("empty.weights");
        File.WriteAllBytes(path, []);
        using var weights = ModelWeights.FromFile(path, 0);
        Assert.Equal(0, weights.Length);
        Assert.True(weights.Span<byte>(0, 0).IsEmpty);
    }

    [Fact]
    public void FromFile_with_the_wrong_size_names_the_file_and_both_sizes()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.weights");
        File.WriteAllBytes(path, Blob(100));
        var e = Assert.Throws<InvalidDataException>(() => ModelWeights.FromFile(path, 128));
        Assert.Contains(path, e.Message);
        Assert.Contains("100 bytes", e.Message);
        Assert.Contains("128 bytes", e.Message);
    }

    [Fact]
    public void FromFile_of_a_missing_file_names_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ModelWeights.FromFile("/nonexistent/octet/model.weights", 1));
        Assert.Contains("/nonexistent/octet/model.weights", e.Message);
    }

    /// <summary>
    /// A resource of an assembly loaded from a file: System.Private.CoreLib carries its message strings as
    /// one. The view must read it in place (no copy) and hold exactly the stream's bytes.
    /// </summary>
    [Fact]
    public void FromResource_reads_the_resource_in_place()
    {
        var assembly = typeof(object).Assembly;
        string name = assembly.GetManifestResourceNames().First();
        byte[] expected;
        using (var stream = assembly.GetManifestResourceStream(name)!)
        {
            expected = new byte[stream.Length];
            stream.ReadExactly(expected);
        }

        using var weights = ModelWeights.FromResource(assembly, name, expected.Length);
        Assert.Equal(ModelWeightsOrigin.Resource, weights.Origin);
        Assert.Equal(expected, weights.Span<byte>(0, expected.Length).ToArray());
        // Resources in a PE image are 8-byte aligned at best, after a 4-byte length prefix: kernels must not
        // assume more, which is why they use unaligned loads.
        Assert.True(weights.BaseAlignment >= 4, $"alignment {weights.BaseAlignment}");
    }

    [Fact]
    public void FromResource_with_the_wrong_size_names_the_resource_and_both_sizes()
    {
        var assembly = typeof(object).Assembly;
        string name = assembly.GetManifestResourceNames().First();
        long actual;
        using (var stream = assembly.GetManifestResourceStream(name)!) actual = stream.Length;

        var e = Assert.Throws<InvalidDataException>(() => ModelWeights.FromResource(assembly, name, actual + 64));
        Assert.Contains(name, e.Message);
        Assert.Contains($"{actual:N0} bytes", e.Message);
        Assert.Contains($"{actual + 64:N0} bytes", e.Message);
    }

    [Fact]
    public void FromResource_of_a_missing_resource_names_it_and_the_assembly()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var e = Assert.Throws<InvalidDataException>(() => ModelWeights.FromResource(assembly, "Octet.Missing.Model.weights", 10));
        Assert.Contains("Octet.Missing.Model.weights", e.Message);
        Assert.Contains(assembly.GetName().Name!, e.Message);
    }

    [Fact]
    public void RequireLength_refuses_weights_of_another_compilation()
    {
        using var weights = ModelWeights.FromBytes(Blob(64));
        weights.RequireLength(64, "mnist-8");
        var e = Assert.Throws<InvalidDataException>(() => weights.RequireLength(128, "mnist-8"));
        Assert.Contains("mnist-8", e.Message);
        Assert.Contains("64 bytes", e.Message);
        Assert.Contains("128 bytes", e.Message);
    }
}
