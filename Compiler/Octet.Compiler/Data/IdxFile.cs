using System.Buffers.Binary;
using Octet.Compiler.Diagnostics;

namespace Octet.Compiler.Data;

/// <summary>
/// Reads the MNIST IDX format: a big-endian header (magic 0x00000800 | type code &lt;&lt; 8 | rank, then one
/// 32-bit size per dimension) followed by the data. Only unsigned bytes (type 0x08), which is what MNIST
/// images and labels use.
/// </summary>
public static class IdxFile
{
    /// <summary>The dimensions (e.g. [10000, 28, 28]) and the raw bytes.</summary>
    public static (int[] Dims, byte[] Data) Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new OctetException($"{path}: cannot read ({e.Message})", e); }
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new OctetException($"{path}: not an IDX file (bad magic number)");
        if (bytes[2] != 0x08)
            throw new OctetException($"{path}: IDX element type 0x{bytes[2]:x2} is not supported (only unsigned bytes, 0x08)");
        int rank = bytes[3];
        if (rank is < 1 or > 4 || bytes.Length < 4 + 4 * rank)
            throw new OctetException($"{path}: IDX header declares rank {rank}, which is not usable");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new OctetException($"{path}: IDX dimension {i} is negative");
            count *= dims[i];
        }
        int start = 4 + 4 * rank;
        if (bytes.Length - start != count)
            throw new OctetException($"{path}: IDX header promises {count} bytes of data, the file has {bytes.Length - start}");
        return (dims, bytes[start..]);
    }
}
