using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx.Proto;

namespace Octet.Compiler.Onnx;

/// <summary>
/// Turns ONNX <c>TensorProto</c> messages into <see cref="Tensor"/>s: values in <c>raw_data</c> (little-endian)
/// or in the typed fields, float16 widened to float32, and external data files read with their location,
/// offset and length checked. Every inconsistency (sizes that contradict the dims, unsupported element
/// types, paths that leave the model's folder) is an <see cref="OctetException"/> naming the tensor.
/// </summary>
public static class OnnxTensorReader
{
    /// <summary>Reads a serialized TensorProto file (the <c>input_K.pb</c> / <c>output_K.pb</c> of ONNX test data).</summary>
    public static (string Name, Tensor Value) ReadFile(string path)
    {
        TensorProto proto;
        try
        {
            using var stream = File.OpenRead(path);
            proto = TensorProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OctetException($"{path}: not a valid serialized ONNX TensorProto ({e.Message})", e);
        }
        catch (IOException e)
        {
            throw new OctetException($"{path}: cannot read ({e.Message})", e);
        }
        return (proto.Name, ToTensor(proto, Path.GetDirectoryName(Path.GetFullPath(path))!, $"{path}: tensor '{proto.Name}'"));
    }

    /// <summary>Writes a tensor as a serialized TensorProto file (raw_data form).</summary>
    public static void WriteFile(string path, string name, Tensor value) => File.WriteAllBytes(path, ToProto(name, value).ToByteArray());

    internal static TensorProto ToProto(string name, Tensor value)
    {
        var proto = new TensorProto { Name = name, DataType = (int)value.ElementType };
        proto.Dims.AddRange(value.Shape.ToLongArray());
        var bytes = new byte[value.ElementCount * value.ElementType.SizeInBytes()];
        switch (value.Data)
        {
            case bool[] b:
                for (int i = 0; i < b.Length; i++) bytes[i] = b[i] ? (byte)1 : (byte)0;
                break;
            default:
                // All supported numeric arrays are blittable; the machine is little-endian like the format.
                Buffer.BlockCopy(value.Data, 0, bytes, 0, bytes.Length);
                break;
        }
        proto.RawData = ByteString.CopyFrom(bytes);
        return proto;
    }

    /// <param name="modelDirectory">Folder that external data locations are relative to.</param>
    /// <param name="what">How to name this tensor in messages, e.g. <c>model.onnx: initializer 'w'</c>.</param>
    internal static Tensor ToTensor(TensorProto proto, string modelDirectory, string what)
    {
        var type = (ElementType)proto.DataType;
        if (!Enum.IsDefined(type) || type == ElementType.Undefined)
            throw new OctetException($"{what}: unknown element type code {proto.DataType}");
        var storedType = type == ElementType.Float16 ? ElementType.Float32 : type;
        if (!storedType.IsSupported())
            throw new OctetException($"{what}: element type {type.OnnxName()} is not supported " +
                                     "(Octet supports float, float16 weights, int8, uint8, int16, int32, int64, bool)");

        var shape = Shape.FromDims(proto.Dims, what);
        int count = checked((int)shape.ElementCount);

        ReadOnlySpan<byte> raw;
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            raw = ReadExternal(proto, modelDirectory, what, (long)count * BytesPerStoredElement(type));
        else if (proto.HasRawData)
            raw = proto.RawData.Span;
        else
            return FromTypedFields(proto, type, shape, count, what);

        long expected = (long)count * BytesPerStoredElement(type);
        if (raw.Length != expected)
            throw new OctetException($"{what}: raw data has {raw.Length} bytes but shape {shape} of {type.OnnxName()} needs {expected}");
        return FromRawBytes(raw, type, shape, count);
    }

    private static int BytesPerStoredElement(ElementType type) => type == ElementType.Float16 ? 2 : type.SizeInBytes();

    private static Tensor FromRawBytes(ReadOnlySpan<byte> raw, ElementType type, Shape shape, int count)
    {
        switch (type)
        {
            case ElementType.Float16:
            {
                var data = new float[count];
                for (int i = 0; i < count; i++)
                    data[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]));
                return Tensor.Create(shape, data);
            }
            case ElementType.Bool:
            {
                var data = new bool[count];
                for (int i = 0; i < count; i++) data[i] = raw[i] != 0;
                return Tensor.Create(shape, data);
            }
            default:
            {
                var tensor = Tensor.Zeros(type, shape);
                // Supported numeric types are blittable and this machine is little-endian, like the format.
                // Copied straight into the tensor's array: no intermediate copy of what may be a large weight.
                raw.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(tensor.Data), raw.Length));
                return tensor;
            }
        }
    }

    private static Tensor FromTypedFields(TensorProto proto, ElementType type, Shape shape, int count, string what)
    {
        void CheckCount(int actual, string field)
        {
            if (actual != count)
                throw new OctetException($"{what}: {field} holds {actual} values but shape {shape} needs {count}");
        }

        switch (type)
        {
            case ElementType.Float32:
                CheckCount(proto.FloatData.Count, "float_data");
                return Tensor.Create(shape, proto.FloatData.ToArray());
            case ElementType.Int64:
                CheckCount(proto.Int64Data.Count, "int64_data");
                return Tensor.Create(shape, proto.Int64Data.ToArray());
            case ElementType.Int32:
                CheckCount(proto.Int32Data.Count, "int32_data");
                return Tensor.Create(shape, proto.Int32Data.ToArray());
            case ElementType.Int8:
                CheckCount(proto.Int32Data.Count, "int32_data");
                return Tensor.Create(shape, proto.Int32Data.Select(v => unchecked((sbyte)v)).ToArray());
            case ElementType.UInt8:
                CheckCount(proto.Int32Data.Count, "int32_data");
                return Tensor.Create(shape, proto.Int32Data.Select(v => unchecked((byte)v)).ToArray());
            case ElementType.Int16:
                CheckCount(proto.Int32Data.Count, "int32_data");
                return Tensor.Create(shape, proto.Int32Data.Select(v => unchecked((short)v)).ToArray());
            case ElementType.Bool:
                CheckCount(proto.Int32Data.Count, "int32_data");
                return Tensor.Create(shape, proto.Int32Data.Select(v => v != 0).ToArray());
            case ElementType.Float16:
                // float16 values travel as their 16 bits in int32_data.
                CheckCount(proto.Int32Data.Count, "int32_data");
                return Tensor.Create(shape, proto.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf(unchecked((ushort)v))).ToArray());
            default:
                throw new OctetException($"{what}: element type {type.OnnxName()} is not supported");
        }
    }

    private static byte[] ReadExternal(TensorProto proto, string modelDirectory, string what, long expectedBytes)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in proto.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset":
                    if (!long.TryParse(entry.Value, out offset) || offset < 0)
                        throw new OctetException($"{what}: external data offset '{entry.Value}' is not a non-negative integer");
                    break;
                case "length":
                    if (!long.TryParse(entry.Value, out length) || length < 0)
                        throw new OctetException($"{what}: external data length '{entry.Value}' is not a non-negative integer");
                    break;
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new OctetException($"{what}: external data has no location");
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new OctetException($"{what}: external data location '{location}' is an absolute path; it must be relative to the model's folder");

        // Resolve and check containment: '..' segments or symlink-free tricks must not reach outside the folder.
        var root = Path.GetFullPath(modelDirectory);
        var full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OctetException($"{what}: external data location '{location}' leaves the model's folder");
        if (!File.Exists(full))
            throw new OctetException($"{what}: external data file '{location}' does not exist next to the model");

        long fileLength = new FileInfo(full).Length;
        if (length < 0) length = fileLength - offset;
        if (offset > fileLength || length > fileLength - offset)
            throw new OctetException($"{what}: external data range [{offset}, {offset}+{length}) lies outside '{location}' ({fileLength} bytes)");
        if (length != expectedBytes)
            throw new OctetException($"{what}: external data length {length} does not match the {expectedBytes} bytes its shape needs");
        // Within the element limit, a 2^28-element int64 tensor is still 2 GiB: more than one byte array holds.
        if (length > Array.MaxLength)
            throw new OctetException($"{what}: external data of {length:N0} bytes is more than Octet reads for one tensor ({Array.MaxLength:N0})");

        var buffer = new byte[length];
        using var stream = File.OpenRead(full);
        stream.Seek(offset, SeekOrigin.Begin);
        stream.ReadExactly(buffer);
        return buffer;
    }
}
