namespace Octet.Compiler.Quantization.IntegerMath;

/// <summary>
/// ⌊√n⌋ of an unsigned 64-bit integer in integer arithmetic only (I-LayerNorm's square root). Exact for every
/// input, unlike a fixed number of Newton steps from a fixed start (I-ViT's code), which is only close.
/// </summary>
public static class IntegerSqrt
{
    /// <summary>The largest r with r² ≤ n.</summary>
    public static ulong FloorSqrt(ulong n)
    {
        if (n < 2) return n;
        // Start above the root: 2^⌈bits/2⌉ > √n. From above, Newton's iterate x ← ⌊(x + ⌊n/x⌋) / 2⌋ decreases
        // strictly until it reaches ⌊√n⌋, then the next iterate is not smaller: stop there.
        int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(n);
        ulong x = 1UL << ((bits + 1) / 2);
        while (true)
        {
            // x ≥ 1 and x + n/x ≤ 2^33 + 2^63 before the halving cannot overflow: x ≤ 2^32 throughout.
            ulong next = (x + n / x) >> 1;
            if (next >= x) return x;
            x = next;
        }
    }
}
