using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// The one copy every data-movement op reduces to: walk a box of <c>shape</c> elements, reading each at
/// <c>sourceOffset + Σ index[d]·sourceStrides[d]</c> and writing it at <c>destinationOffset + Σ index[d]·destinationStrides[d]</c>.
/// Transpose, relayout (NCHW ↔ NHWC), Slice, Concat and Split are all such boxes; the generator computes
/// their strides and merges dimensions that are contiguous on both sides, so what arrives here is usually
/// rank 1 to 3 with a unit innermost stride, which becomes a block copy.
/// </summary>
public static class StridedCopy
{
    /// <summary>The highest rank accepted (ONNX tensors in the shared models stay well below it).</summary>
    public const int MaxRank = 6;

    /// <summary>
    /// Copies the box described above. Source and destination must not overlap (the memory plan never
    /// places a data-movement op's input and output in the same bytes unless the op is skipped entirely).
    /// Strides are in elements and may be negative (Slice with negative steps).
    /// </summary>
    /// <exception cref="ArgumentException">Ranks differ, exceed <see cref="MaxRank"/>, or a dimension is negative.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy<T>(ReadOnlySpan<T> source, int sourceOffset, ReadOnlySpan<int> sourceStrides,
        Span<T> destination, int destinationOffset, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape)
    {
        int rank = shape.Length;
        if (rank > MaxRank || sourceStrides.Length != rank || destinationStrides.Length != rank)
            throw new ArgumentException($"shape has rank {rank}, strides have {sourceStrides.Length} and {destinationStrides.Length}; expected equal ranks of at most {MaxRank}", nameof(shape));
        for (int d = 0; d < rank; d++)
        {
            if (shape[d] < 0) throw new ArgumentException($"dimension {d} is {shape[d]}", nameof(shape));
            if (shape[d] == 0) return;
        }
        if (rank == 0)
        {
            destination[destinationOffset] = source[sourceOffset];
            return;
        }

        int last = rank - 1;
        if (!(sourceStrides[last] == 1 && destinationStrides[last] == 1))
        {
            // A dimension contiguous on both sides that is not the innermost (an NHWC Concat's channels listed
            // before its pixels): walk it innermost instead, as block copies. The order of a copy's elements does
            // not change what it writes (source and destination do not overlap).
            int contiguous = -1;
            for (int d = 0; d < last && contiguous < 0; d++)
                if (sourceStrides[d] == 1 && destinationStrides[d] == 1 && shape[d] != 1) contiguous = d;
            if (contiguous >= 0)
            {
                Span<int> reordered = stackalloc int[3 * MaxRank];
                Span<int> fromStrides = reordered.Slice(0, rank), toStrides = reordered.Slice(MaxRank, rank), box = reordered.Slice(2 * MaxRank, rank);
                sourceStrides.CopyTo(fromStrides);
                destinationStrides.CopyTo(toStrides);
                shape.CopyTo(box);
                (fromStrides[contiguous], fromStrides[last]) = (fromStrides[last], fromStrides[contiguous]);
                (toStrides[contiguous], toStrides[last]) = (toStrides[last], toStrides[contiguous]);
                (box[contiguous], box[last]) = (box[last], box[contiguous]);
                Copy(source, sourceOffset, fromStrides, destination, destinationOffset, toStrides, box);
                return;
            }
            // A matrix transpose of bytes (relayout between NHWC and rowmajor): 16 × 16 tiles through vector shuffles.
            if (rank == 2 && Unsafe.SizeOf<T>() == 1 && ByteTranspose.TryCopy(
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(source)), source.Length), sourceOffset, sourceStrides,
                    MemoryMarshal.CreateSpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(destination)), destination.Length), destinationOffset, destinationStrides, shape))
                return;
            // Three planes of 32-bit elements into triples (a float32 RGB image's NCHW → NHWC relayout): vector permutes.
            if (rank == 2 && Unsafe.SizeOf<T>() == 4 && !RuntimeHelpers.IsReferenceOrContainsReferences<T>() && PlaneInterleave.TryCopy(
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, uint>(ref MemoryMarshal.GetReference(source)), source.Length), sourceOffset, sourceStrides,
                    MemoryMarshal.CreateSpan(ref Unsafe.As<T, uint>(ref MemoryMarshal.GetReference(destination)), destination.Length), destinationOffset, destinationStrides, shape))
                return;
        }
        int run = shape[last];
        bool contiguousRuns = sourceStrides[last] == 1 && destinationStrides[last] == 1;
        Span<int> index = stackalloc int[MaxRank];
        int from = sourceOffset, to = destinationOffset;
        while (true)
        {
            // The innermost dimension: a block copy when both sides are contiguous (the common case after
            // the generator's dimension merging), else an element loop.
            if (contiguousRuns)
                source.Slice(from, run).CopyTo(destination.Slice(to, run));
            else
                CopyStrided(source, from, sourceStrides[last], destination, to, destinationStrides[last], run);

            // Odometer step over the outer dimensions, moving both offsets by whole strides.
            int d = last - 1;
            while (d >= 0)
            {
                from += sourceStrides[d];
                to += destinationStrides[d];
                if (++index[d] < shape[d]) break;
                from -= sourceStrides[d] * shape[d];
                to -= destinationStrides[d] * shape[d];
                index[d] = 0;
                d--;
            }
            if (d < 0) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyStrided<T>(ReadOnlySpan<T> source, int from, int sourceStride, Span<T> destination, int to, int destinationStride, int count)
    {
        for (int i = 0; i < count; i++, from += sourceStride, to += destinationStride)
            destination[to] = source[from];
    }
}
