using Google.Protobuf;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx.Proto;

namespace Octet.Tests.FrontEnd;

/// <summary>How a test initializer stores its values in the TensorProto.</summary>
public enum TensorStorage
{
    /// <summary>Little-endian bytes in <c>raw_data</c>, as most exporters write.</summary>
    RawData,
    /// <summary>The type's typed field: float_data, int32_data (also int8/uint8/bool/float16), int64_data.</summary>
    TypedFields,
}

/// <summary>
/// TensorProto encodings written independently of <c>OnnxTensorReader</c> (element by element, explicitly
/// little-endian) so that tests of the reader do not check it against itself.
/// </summary>
internal static class TensorProtos
{
    public static TensorProto Create(string name, Tensor value, TensorStorage storage)
    {
        var proto = new TensorProto { Name = name, DataType = (int)value.ElementType };
        proto.Dims.AddRange(value.Shape.ToLongArray());
        if (storage == TensorStorage.RawData)
        {
            proto.RawData = ByteString.CopyFrom(RawBytes(value));
            return proto;
        }
        // On the element type, not the array: a byte[] also matches `case sbyte[]` (CLR array variance).
        switch (value.ElementType)
        {
            case ElementType.Float32: proto.FloatData.AddRange(value.As<float>()); break;
            case ElementType.Int64: proto.Int64Data.AddRange(value.As<long>()); break;
            case ElementType.Int32: proto.Int32Data.AddRange(value.As<int>()); break;
            case ElementType.Int8: proto.Int32Data.AddRange(value.As<sbyte>().Select(v => (int)v)); break;
            case ElementType.UInt8: proto.Int32Data.AddRange(value.As<byte>().Select(v => (int)v)); break;
            case ElementType.Bool: proto.Int32Data.AddRange(value.As<bool>().Select(v => v ? 1 : 0)); break;
            default: throw new ArgumentException($"no typed field for {value.ElementType}");
        }
        return proto;
    }

    /// <summary>float16 values as their bit patterns: raw_data (2 bytes each) or int32_data (one per value).</summary>
    public static TensorProto Float16(string name, ushort[] bits, int[] dims, TensorStorage storage)
    {
        var proto = new TensorProto { Name = name, DataType = (int)ElementType.Float16 };
        proto.Dims.AddRange(dims.Select(d => (long)d));
        if (storage == TensorStorage.RawData)
        {
            var raw = new byte[bits.Length * 2];
            for (int i = 0; i < bits.Length; i++)
            {
                raw[2 * i] = (byte)(bits[i] & 0xFF);
                raw[2 * i + 1] = (byte)(bits[i] >> 8);
            }
            proto.RawData = ByteString.CopyFrom(raw);
        }
        else proto.Int32Data.AddRange(bits.Select(b => (int)b));
        return proto;
    }

    public static TensorProto External(string name, ElementType type, int[] dims, string location, long? offset, long? length)
    {
        var proto = new TensorProto { Name = name, DataType = (int)type, DataLocation = TensorProto.Types.DataLocation.External };
        proto.Dims.AddRange(dims.Select(d => (long)d));
        proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is { } o) proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = o.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is { } n) proto.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = n.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return proto;
    }

    /// <summary>The tensor's values as ONNX raw_data: little-endian, bool as one byte 0/1.</summary>
    public static byte[] RawBytes(Tensor value)
    {
        var output = new MemoryStream();
        var writer = new BinaryWriter(output); // BinaryWriter is little-endian on every platform.
        switch (value.ElementType)
        {
            case ElementType.Float32: foreach (var v in value.As<float>()) writer.Write(v); break;
            case ElementType.Int64: foreach (var v in value.As<long>()) writer.Write(v); break;
            case ElementType.Int32: foreach (var v in value.As<int>()) writer.Write(v); break;
            case ElementType.Int8: foreach (var v in value.As<sbyte>()) writer.Write(v); break;
            case ElementType.UInt8: foreach (var v in value.As<byte>()) writer.Write(v); break;
            case ElementType.Bool: foreach (var v in value.As<bool>()) writer.Write((byte)(v ? 1 : 0)); break;
            default: throw new ArgumentException($"no raw encoding for {value.ElementType}");
        }
        writer.Flush();
        return output.ToArray();
    }
}
