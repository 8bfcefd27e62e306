using System.Numerics;

namespace Octet.Runtime.Int8;

/// <summary>
/// QuantizeLinear of an integer tensor's values (an int64 attention mask) without float arithmetic:
/// <c>y[i] = levels[j]</c> for the last j with <c>thresholds[j] ≤ x[i]</c>, or <c>yMin</c> below the first threshold
/// (both increasing), computed by the compiler from
/// the float definition so that every input value maps exactly as Cast-then-QuantizeLinear would. The inputs this
/// serves are a handful of mask values per run, so one binary search per element (at most 16 steps for 65,535
/// levels) is the whole kernel; there is no SIMD path.
/// </summary>
public static class QuantizeInteger
{
    /// <summary>Writes, for each x, the level of the last threshold at or below it (<paramref name="yMin"/> below them all).</summary>
    public static void Apply<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<long> thresholds, ReadOnlySpan<int> levels, int yMin, Span<TY> y)
        where TX : unmanaged, IBinaryInteger<TX>
        where TY : unmanaged, IBinaryInteger<TY>
    {
        if (x.Length != y.Length || levels.Length != thresholds.Length)
            throw new ArgumentException($"QuantizeInteger: as many outputs ({y.Length}) as inputs ({x.Length}), and a level per threshold ({levels.Length}, {thresholds.Length})");
        for (int i = 0; i < x.Length; i++)
        {
            long value = long.CreateTruncating(x[i]);
            int low = 0, high = thresholds.Length;
            while (low < high)
            {
                int middle = (low + high) >>> 1;
                if (thresholds[middle] <= value) low = middle + 1; else high = middle;
            }
            y[i] = TY.CreateTruncating(low == 0 ? yMin : levels[low - 1]);
        }
    }
}
