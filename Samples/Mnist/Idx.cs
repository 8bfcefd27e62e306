using System.Buffers.Binary;

namespace Octet.Samples.Mnist;

/// <summary>
/// The IDX files MNIST comes in: a big-endian header (magic 0x0000_08_NN, where NN is the number of
/// dimensions, then each dimension) followed by unsigned bytes.
/// </summary>
internal static class Idx
{
    public static (int Count, int PixelsPerImage, byte[] Pixels) ReadImages(string path)
    {
        var (dims, data) = Read(path, rank: 3);
        return (dims[0], dims[1] * dims[2], data);
    }

    public static byte[] ReadLabels(string path) => Read(path, rank: 1).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int rank)
    {
        byte[] file = File.ReadAllBytes(path);
        int header = 4 + 4 * rank;
        if (file.Length < header || BinaryPrimitives.ReadInt32BigEndian(file) != 0x0800 + rank)
            throw new InvalidDataException($"{path}: not an IDX file of unsigned bytes with {rank} dimension(s)");
        var dims = new int[rank];
        long size = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(4 + 4 * d));
            size *= dims[d];
        }
        if (file.Length - header != size) throw new InvalidDataException($"{path}: the header promises {size} bytes of data; the file has {file.Length - header}");
        return (dims, file[header..]);
    }
}
