using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Data;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1–3): little-endian arrays of the element types
/// Octet supports, in C order. Fortran-order and big-endian files are rejected with a message saying so.
/// </summary>
public static partial class NpyFile
{
    // 0x93 then "NUMPY". (Not a "\x93NUMPY"u8 literal: that would encode U+0093 as two UTF-8 bytes.)
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>A file name stem for a tensor name: characters other than letters, digits, '_', '-' and '.' become '_'.</summary>
    public static string FileStem(string tensorName) =>
        string.Concat(tensorName.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_'));

    public static Tensor Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new OctetException($"{path}: cannot read ({e.Message})", e); }
        return Parse(bytes, path);
    }

    public static Tensor Parse(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new OctetException($"{what}: not a .npy file (missing the \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new OctetException($"{what}: truncated .npy header");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));
            headerStart = 12;
        }
        else throw new OctetException($"{what}: .npy format version {major} is not supported");
        if (headerStart + headerLength > bytes.Length) throw new OctetException($"{what}: truncated .npy header");
        var header = Encoding.Latin1.GetString(bytes.Slice(headerStart, headerLength));

        var descr = DescrPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !shapeMatch.Success)
            throw new OctetException($"{what}: .npy header '{header.Trim()}' lacks descr or shape");
        if (FortranPattern().IsMatch(header))
            throw new OctetException($"{what}: Fortran-order .npy arrays are not supported; save with C order");

        var type = descr.Groups[1].Value switch
        {
            "<f4" => ElementType.Float32,
            "|i1" or "<i1" => ElementType.Int8,
            "|u1" or "<u1" => ElementType.UInt8,
            "<i2" => ElementType.Int16,
            "<i4" => ElementType.Int32,
            "<i8" => ElementType.Int64,
            "|b1" => ElementType.Bool,
            var d => throw new OctetException($"{what}: .npy element type '{d}' is not supported (use float32, int8, uint8, int16, int32, int64 or bool, little-endian)"),
        };
        var dims = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, out var v) ? v : throw new OctetException($"{what}: bad .npy shape '{shapeMatch.Value}'"))
            .ToArray();
        var shape = Shape.FromDims(dims, what);
        var data = bytes[(headerStart + headerLength)..];
        long needed = shape.ElementCount * type.SizeInBytes();
        if (data.Length < needed)
            throw new OctetException($"{what}: .npy data has {data.Length} bytes, shape {shape} needs {needed}");

        var tensor = Tensor.Zeros(type, shape);
        if (type == ElementType.Bool)
        {
            var b = tensor.As<bool>();
            for (int i = 0; i < b.Length; i++) b[i] = data[i] != 0;
        }
        else Buffer.BlockCopy(data[..(int)needed].ToArray(), 0, tensor.Data, 0, (int)needed);
        return tensor;
    }

    public static void Write(string path, Tensor tensor)
    {
        var descr = tensor.ElementType switch
        {
            ElementType.Float32 => "<f4", ElementType.Int8 => "|i1", ElementType.UInt8 => "|u1", ElementType.Int16 => "<i2",
            ElementType.Int32 => "<i4", ElementType.Int64 => "<i8", ElementType.Bool => "|b1",
            _ => throw new ArgumentException($"cannot write {tensor.ElementType}"),
        };
        var dims = tensor.Shape.Rank == 1 ? $"{tensor.Shape[0]}," : string.Join(", ", tensor.Shape.ToArray());
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        // Pad so the data starts on a 64-byte boundary, ending the header with a newline, as NumPy does.
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        var bytes = new byte[tensor.ElementCount * tensor.ElementType.SizeInBytes()];
        if (tensor.Data is bool[] bools) for (int i = 0; i < bools.Length; i++) bytes[i] = bools[i] ? (byte)1 : (byte)0;
        else Buffer.BlockCopy(tensor.Data, 0, bytes, 0, bytes.Length);
        stream.Write(bytes);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranPattern();
}
