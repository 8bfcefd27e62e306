using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime;

/// <summary>
/// Pinned byte arrays whose usable part starts on a 64-byte boundary. Pinned (allocated on the pinned object
/// heap) so the address, and with it the alignment, never changes; managed rather than native so that spans
/// over it keep it alive and nothing has to be freed by hand.
/// </summary>
internal static class AlignedBlock
{
    /// <summary>A pinned array holding at least <paramref name="bytes"/> bytes from index <c>start</c>, where <c>start</c> is 64-byte aligned.</summary>
    public static unsafe (byte[] Block, int Start) Allocate(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var block = GC.AllocateArray<byte>(bytes + ModelWeights.Alignment - 1, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));
        int start = (int)((ModelWeights.Alignment - (address & (ModelWeights.Alignment - 1))) & (ModelWeights.Alignment - 1));
        return (block, start);
    }
}
