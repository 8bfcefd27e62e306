using System.Runtime.CompilerServices;

namespace Octet.Runtime;

/// <summary>Float32 softmax of one group of elements (a row, or a strided column of a larger tensor).</summary>
/// <remarks>
/// The arithmetic is the compiler's reference operator's, step for step: subtract the group maximum (so no
/// exponential overflows), sum the exponentials in double, divide in double and round once. Generated code
/// therefore gives the reference executor's bits. <c>y</c> may be the same memory as <c>x</c>: each element is
/// read for the last time just before its result is written.
/// </remarks>
public static class FloatSoftmax
{
    /// <summary>
    /// Softmax over the <paramref name="length"/> elements <c>x[0], x[stride], x[2·stride], …</c>, written to the
    /// same positions of <paramref name="y"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Group(ReadOnlySpan<float> x, Span<float> y, int length, int stride)
    {
        if (length <= 0) return;
        int end = (length - 1) * stride + 1;
        x = x[..end];
        y = y[..end];
        float max = float.NegativeInfinity;
        for (int j = 0; j < end; j += stride) max = MathF.Max(max, x[j]);
        double sum = 0;
        for (int j = 0; j < end; j += stride) sum += Math.Exp(x[j] - max);
        for (int j = 0; j < end; j += stride) y[j] = (float)(Math.Exp(x[j] - max) / sum);
    }
}
