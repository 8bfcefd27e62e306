namespace Octet.Runtime;

/// <summary>
/// Per-thread working memory for generated float kernels (gathered im2col rows): grown when a larger request
/// comes, never shrunk, so after the first inference on a thread a <c>Run</c> allocates nothing. Not for data
/// that must outlive the op that asked for it: the next request on the same thread gets the same memory.
/// </summary>
public static class FloatScratch
{
    [ThreadStatic] private static float[]? t_buffer;

    /// <summary>A span of <paramref name="count"/> floats (contents undefined) owned by the calling thread until its next request.</summary>
    public static Span<float> Get(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var buffer = t_buffer;
        if (buffer == null || buffer.Length < count)
        {
            // Pinned so that the address, and the vector loads' alignment, never change under a running kernel.
            buffer = GC.AllocateUninitializedArray<float>(Math.Max(count, 1024), pinned: true);
            t_buffer = buffer;
        }
        return buffer.AsSpan(0, count);
    }
}
