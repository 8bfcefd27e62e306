namespace Octet.Tests.HostileInput;

/// <summary>
/// Mutates a model file's bytes without regard for their meaning: flipped bits, overwritten bytes,
/// inserted and deleted ranges, truncation, a duplicated chunk, an oversized length prefix. Positions
/// favour the start of the file (where ONNX exporters write the nodes) and its end (graph inputs and
/// outputs, opset imports), so that large weight payloads do not absorb most of the mutations.
/// </summary>
internal static class ByteMutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x08, 0x0A, 0x12, 0x3A];

    public static (byte[] Bytes, string Description) Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var steps = new List<string>();
        int count = random.Next(10) switch { < 7 => 1, < 9 => 2, _ => 4 };
        for (int i = 0; i < count && bytes.Count > 0; i++) steps.Add(MutateOnce(bytes, random));
        return (bytes.ToArray(), string.Join("; ", steps));
    }

    private static string MutateOnce(List<byte> bytes, Random random)
    {
        int at = Position(bytes.Count, random);
        switch (random.Next(8))
        {
            case 0:
            {
                int bit = random.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                return $"flip bit {bit} at {at}";
            }
            case 1:
            {
                int n = Math.Min(random.Next(1, 5), bytes.Count - at);
                for (int k = 0; k < n; k++) bytes[at + k] = (byte)random.Next(256);
                return $"overwrite {n} random bytes at {at}";
            }
            case 2:
            {
                var value = InterestingBytes[random.Next(InterestingBytes.Length)];
                bytes[at] = value;
                return $"set byte {at} to 0x{value:X2}";
            }
            case 3:
            {
                var inserted = new byte[random.Next(1, 17)];
                random.NextBytes(inserted);
                bytes.InsertRange(at, inserted);
                return $"insert {inserted.Length} random bytes at {at}";
            }
            case 4:
            {
                int n = Math.Min(random.Next(1, 65), bytes.Count - at);
                bytes.RemoveRange(at, n);
                return $"delete {n} bytes at {at}";
            }
            case 5:
            {
                bytes.RemoveRange(at, bytes.Count - at);
                return $"truncate to {at} bytes";
            }
            case 6:
            {
                int from = random.Next(bytes.Count);
                int n = Math.Min(random.Next(1, 257), bytes.Count - from);
                bytes.InsertRange(at, bytes.GetRange(from, n));
                return $"copy {n} bytes from {from} to {at}";
            }
            default:
            {
                // A varint of 2^32 - 1 where a length prefix may be: parsers must not trust it.
                byte[] bomb = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
                int n = Math.Min(bomb.Length, bytes.Count - at);
                for (int k = 0; k < n; k++) bytes[at + k] = bomb[k];
                return $"write varint 2^32-1 at {at}";
            }
        }
    }

    private static int Position(int length, Random random) => random.Next(10) switch
    {
        < 4 => random.Next(Math.Min(length, 1024)),
        < 7 => Math.Max(0, length - 1 - random.Next(Math.Min(length, 1024))),
        _ => random.Next(length),
    };
}
