using System.Text;

namespace Octet.Tests.HostileInput;

/// <summary>
/// Writes protobuf wire format from the inside out, for messages too deeply nested to build as objects
/// (serializing a 10,000-deep object tree would itself recurse 10,000 deep). Bytes are kept reversed so
/// that prepending a field, or wrapping everything written so far into a length-delimited field, costs
/// only the bytes added.
/// </summary>
internal sealed class ProtoWire
{
    private const int Varint = 0, LengthDelimited = 2;
    private readonly List<byte> _reversed = new();

    public int Length => _reversed.Count;

    /// <summary>Turns everything written so far into field <paramref name="field"/> of an enclosing message.</summary>
    public ProtoWire WrapAsField(int field)
    {
        PrependVarint((ulong)_reversed.Count);
        PrependVarint(Tag(field, LengthDelimited));
        return this;
    }

    public ProtoWire PrependString(int field, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        for (int i = bytes.Length - 1; i >= 0; i--) _reversed.Add(bytes[i]);
        PrependVarint((ulong)bytes.Length);
        PrependVarint(Tag(field, LengthDelimited));
        return this;
    }

    public ProtoWire PrependInt(int field, long value)
    {
        PrependVarint(unchecked((ulong)value));
        PrependVarint(Tag(field, Varint));
        return this;
    }

    /// <summary>Prepends an already serialized message as field <paramref name="field"/>.</summary>
    public ProtoWire PrependMessage(int field, byte[] message)
    {
        for (int i = message.Length - 1; i >= 0; i--) _reversed.Add(message[i]);
        PrependVarint((ulong)message.Length);
        PrependVarint(Tag(field, LengthDelimited));
        return this;
    }

    public byte[] ToArray()
    {
        var bytes = _reversed.ToArray();
        Array.Reverse(bytes);
        return bytes;
    }

    private static ulong Tag(int field, int wireType) => (ulong)((field << 3) | wireType);

    private void PrependVarint(ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            buffer[n++] = value != 0 ? (byte)(b | 0x80) : b;
        } while (value != 0);
        for (int i = n - 1; i >= 0; i--) _reversed.Add(buffer[i]);
    }
}
