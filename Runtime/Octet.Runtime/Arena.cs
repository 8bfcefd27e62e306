using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime;

/// <summary>
/// The one block of memory a model instance keeps its activations in, at the offsets its memory plan gives.
/// Allocated once, zeroed, pinned and 64-byte aligned (so plan offsets, multiples of 64, are aligned for every
/// vector width); <see cref="Span{T}"/> hands out typed windows without allocating.
/// Not thread-safe by design: each model instance owns one arena, so one instance runs one inference at a time.
/// </summary>
public sealed class Arena
{
    private readonly byte[] block;
    private readonly int start;

    /// <param name="bytes">The plan's arena size.</param>
    public Arena(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        (block, start) = AlignedBlock.Allocate(bytes);
        Length = bytes;
    }

    /// <summary>Size in bytes.</summary>
    public int Length { get; }

    /// <summary>
    /// <paramref name="count"/> elements of <typeparamref name="T"/> starting <paramref name="byteOffset"/> bytes
    /// into the arena. Bounds are checked (the check is two compares; generated code takes a span per op, not per element).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe Span<T> Span<T>(int byteOffset, int count) where T : unmanaged
    {
        if ((uint)byteOffset > (uint)Length || (uint)count > (uint)(Length - byteOffset) / (uint)sizeof(T))
        {
            ThrowOutOfRange(byteOffset, count, sizeof(T));
        }
        ref byte first = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(block), start + byteOffset);
        return MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref first), count);
    }

    /// <summary>The whole arena as bytes (tests, diagnostics).</summary>
    public Span<byte> Bytes => block.AsSpan(start, Length);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfRange(int byteOffset, int count, int elementSize)
    {
        throw new ArgumentOutOfRangeException(nameof(byteOffset),
            $"{count} elements of {elementSize} bytes at byte offset {byteOffset} do not fit in the {Length:N0}-byte arena.");
    }
}
