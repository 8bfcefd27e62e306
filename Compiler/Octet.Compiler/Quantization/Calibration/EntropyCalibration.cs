namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// The entropy method of TensorRT (Migacz, "8-bit Inference with TensorRT", GTC 2017) as ONNX Runtime's
/// quantization tool implements it: over a 2048-bin histogram of |x|, try every threshold from 128 bins up;
/// for a threshold of i bins, the reference distribution P is the first i bins with all values beyond the
/// threshold added to the last of them (clipping), and the candidate Q is those i bins (without the clipped
/// values) merged into 128 levels — groups of ⌊i / 128⌋ bins, the remainder going to the last group — and
/// each level's count spread evenly over the bins of its group where P is not zero. The threshold with the
/// least KL divergence KL(P ‖ Q) (the first, if several tie) is chosen, and the range is
/// [max(min, −T), min(max, T)].
/// <para>
/// Two deliberate differences from ONNX Runtime, both about degenerate bins rather than the method:
/// values exactly 0 are left out of the histogram (ReLU outputs are half zeros, and 0 is represented
/// exactly by every candidate, so that spike says nothing about the threshold; TensorRT's calibrator
/// likewise overwrites bin 0 with bin 1); and the divergence is computed exactly, without ONNX Runtime's
/// ε-smoothing — a candidate whose Q is zero where P is not (all of a level's mass was clipped) has infinite
/// divergence and is never chosen. The last candidate (no clipping) always has a finite divergence.
/// </para>
/// </summary>
public static class EntropyCalibration
{
    public const int QuantizedLevels = 128;
    public const int FirstCandidateBins = 128;

    public static (float Min, float Max) Range(TensorStatistics statistics)
    {
        var absolute = statistics.Absolute ?? throw new InvalidOperationException($"tensor '{statistics.Name}' has no histogram");
        float threshold = (float)Threshold(absolute);
        return (MathF.Max(statistics.Min, -threshold), MathF.Min(statistics.Max, threshold));
    }

    /// <summary>The KL-optimal threshold for a histogram of |x| whose range starts at 0.</summary>
    public static double Threshold(Histogram absolute)
    {
        int n = absolute.BinCount;
        if (n < FirstCandidateBins) throw new ArgumentException($"the entropy method needs at least {FirstCandidateBins} bins, the histogram has {n}");
        if (absolute.Low != 0) throw new ArgumentException("the entropy method works on a histogram of |x| starting at 0");

        var counts = new double[n];
        for (int j = 0; j < n; j++) counts[j] = absolute.Counts[j];
        counts[0] -= absolute.Zeros;

        // Prefix sums over the bins (index j holds the sum over bins before j): counts, c·ln c, nonzero bins.
        var sum = new double[n + 1];
        var sumCLogC = new double[n + 1];
        var nonzero = new int[n + 1];
        for (int j = 0; j < n; j++)
        {
            double c = counts[j];
            sum[j + 1] = sum[j] + c;
            sumCLogC[j + 1] = sumCLogC[j] + (c > 0 ? c * Math.Log(c) : 0);
            nonzero[j + 1] = nonzero[j] + (c > 0 ? 1 : 0);
        }
        double total = sum[n];
        if (total <= 0) return absolute.High; // nothing but zeros: any threshold represents them

        double best = double.PositiveInfinity;
        int bestBins = n;
        for (int i = FirstCandidateBins; i <= n; i++)
        {
            double divergence = Divergence(counts, sum, sumCLogC, nonzero, i, total);
            if (divergence < best)
            {
                best = divergence;
                bestBins = i;
            }
        }
        return absolute.Edge(bestBins);
    }

    /// <summary>
    /// KL(P ‖ Q) for a threshold of <paramref name="i"/> bins, in O(levels) from prefix sums:
    /// KL = (1/ΣP) Σ p ln p − (1/ΣP) Σ p ln q + ln(ΣQ / ΣP), where q is constant within a level.
    /// </summary>
    private static double Divergence(double[] counts, double[] sum, double[] sumCLogC, int[] nonzero, int i, double total)
    {
        double clipped = total - sum[i];
        double last = counts[i - 1] + clipped; // P's last bin
        double sumQ = sum[i];                  // Q holds the unclipped values only
        if (sumQ <= 0) return double.PositiveInfinity;

        int width = i / QuantizedLevels;
        double pLogP = 0, pLogQ = 0;
        for (int level = 0; level < QuantizedLevels; level++)
        {
            int start = level * width;
            int end = level == QuantizedLevels - 1 ? i : start + width;
            double levelCount = sum[end] - sum[start];
            // P in this level: the bins as counted, except that the last bin of the last level carries the clipped values.
            double levelP = levelCount;
            double levelPLogP = sumCLogC[end] - sumCLogC[start];
            int levelNonzero = nonzero[end] - nonzero[start];
            if (end == i && clipped > 0)
            {
                double c = counts[i - 1];
                levelP += clipped;
                levelPLogP += last * Math.Log(last) - (c > 0 ? c * Math.Log(c) : 0);
                if (c <= 0) levelNonzero++;
            }
            if (levelP <= 0) continue;
            if (levelCount <= 0) return double.PositiveInfinity; // P > 0 where Q = 0
            pLogP += levelPLogP;
            pLogQ += levelP * Math.Log(levelCount / levelNonzero);
        }
        return (pLogP - pLogQ) / total + Math.Log(sumQ / total);
    }
}
