using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Octet.Runtime;
using Xunit;

namespace Octet.Tests.CodeGeneration.Runtime;

public class ArenaTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1000)]
    public unsafe void Arena_starts_on_a_64_byte_boundary_and_is_zeroed(int bytes)
    {
        // Several arenas, so that one lucky allocation cannot make the test pass.
        for (int i = 0; i < 8; i++)
        {
            var arena = new Arena(bytes);
            Assert.Equal(bytes, arena.Length);
            ref byte first = ref MemoryMarshal.GetReference(arena.Span<byte>(0, 0));
            Assert.Equal(0u, (uint)((nuint)Unsafe.AsPointer(ref first) % 64));
            Assert.All(arena.Bytes.ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void Typed_views_at_plan_offsets_share_the_same_bytes()
    {
        var arena = new Arena(256);
        var ints = arena.Span<int>(64, 4);
        ints[0] = 0x04030201;
        ints[3] = -1;
        var bytes = arena.Span<sbyte>(64, 16);
        Assert.Equal(new sbyte[] { 1, 2, 3, 4 }, bytes[..4].ToArray());
        Assert.Equal(new sbyte[] { -1, -1, -1, -1 }, bytes[12..].ToArray());
        // A view of the last bytes fits exactly.
        Assert.Equal(16, arena.Span<float>(192, 16).Length);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, -1)]
    [InlineData(257, 0)]
    [InlineData(192, 17)]
    [InlineData(252, 2)]
    [InlineData(0, int.MaxValue)]
    public void Out_of_range_views_are_refused_with_the_sizes(int byteOffset, int count)
    {
        var arena = new Arena(256);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => arena.Span<float>(byteOffset, count));
        Assert.Contains($"at byte offset {byteOffset}", e.Message);
        Assert.Contains("256-byte arena", e.Message);
    }

    [Fact]
    public void A_negative_size_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Arena(-64));
    }
}
