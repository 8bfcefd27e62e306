using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Zero-point folding for QConv and QGemm. Σ (x − x_zp)(w − w_zp) = Σ x·(w − w_zp) − x_zp·Σ (w − w_zp): the
/// second term depends only on the weights, so lowering folds it into the bias, B' = B − x_zp·Σ (w − w_zp),
/// and marks the node <c>bias_folds_x_zero_point = 1</c>. Generated kernels then compute B' + Σ x̂·(w − w_zp)
/// with x̂ = x, or x_zp at padded positions (padding is filled with the zero point), saving a subtraction per
/// tap. The reference kernels undo the fold — B = B' + x_zp·Σ (w − w_zp) — and compute the literal formula,
/// which is the identical integer in int32 arithmetic. QGemm with an int16 A unfolds in int64 instead (see
/// <see cref="QGemm"/>), where the identity holds exactly without wrapping.
/// </summary>
public static class FoldedBias
{
    public const string AttributeName = "bias_folds_x_zero_point";

    public static bool IsFolded(Node node) => node.GetInt(AttributeName, 0) != 0;

    /// <summary>
    /// Per output channel, Σ (w − w_zp) over the weights feeding it. <paramref name="channelOf"/> maps a flat
    /// weight index to its output channel.
    /// </summary>
    public static int[] WeightSums(Tensor weights, int[] zeroPoints, int channels, Func<int, int> channelOf)
    {
        var w = QuantizedValues.Widen(weights);
        var sums = new int[channels];
        for (int i = 0; i < w.Length; i++)
        {
            int c = channelOf(i);
            sums[c] = unchecked(sums[c] + w[i] - zeroPoints[c]);
        }
        return sums;
    }

    /// <summary>As <see cref="WeightSums"/>, exact in int64 (the int16-input QGemm unfolds its bias in int64).</summary>
    public static long[] WideWeightSums(Tensor weights, int[] zeroPoints, int channels, Func<int, int> channelOf)
    {
        var w = QuantizedValues.Widen(weights);
        var sums = new long[channels];
        for (int i = 0; i < w.Length; i++)
        {
            int c = channelOf(i);
            sums[c] += w[i] - zeroPoints[c];
        }
        return sums;
    }

    /// <summary>B' = B − x_zp·Σ(w − w_zp) (lowering) or, with <paramref name="sign"/> = +1, B = B' + x_zp·Σ(w − w_zp) (kernels).</summary>
    public static int[] Apply(int[]? bias, int[] weightSums, int xZeroPoint, int sign)
    {
        var result = new int[weightSums.Length];
        for (int c = 0; c < result.Length; c++)
            result[c] = unchecked((bias?[c] ?? 0) + sign * xZeroPoint * weightSums[c]);
        return result;
    }
}
