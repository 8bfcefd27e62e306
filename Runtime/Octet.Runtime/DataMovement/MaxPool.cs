using System.Numerics;
using System.Runtime.Intrinsics;

namespace Octet.Runtime.DataMovement;

/// <summary>
/// 2-D max pooling over NHWC tensors (int8, uint8 or float32): each output element is the largest input value
/// in its window, padding excluded, exactly as ONNX MaxPool (and Octet's reference executor) define it.
/// The scalar rule is "start from the window's first valid tap, take a later tap only when it is strictly
/// greater" — that is the specification; the vector path applies the same rule per channel lane (a compare and
/// a select, not a Max instruction), so it gives the same values, including for NaN and signed zeros.
/// A window without any valid tap (only possible with extreme padding) yields the type's lowest value
/// (−∞ for float32).
/// </summary>
public static class MaxPool
{
    /// <summary>Pools <paramref name="input"/> (<c>[batch][inputHeight][inputWidth][channels]</c>) into <paramref name="output"/> (<c>[batch][outputHeight][outputWidth][channels]</c>).</summary>
    public static void Nhwc<T>(ReadOnlySpan<T> input, Span<T> output,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int dilationHeight, int dilationWidth, int padTop, int padLeft)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        long inputCount = (long)batch * inputHeight * inputWidth * channels;
        long outputCount = (long)batch * outputHeight * outputWidth * channels;
        if (input.Length != inputCount || output.Length != outputCount)
            throw new ArgumentException($"input has {input.Length} elements and output {output.Length}; expected {inputCount} and {outputCount}");
        T lowest = typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity : T.MinValue;

        for (int n = 0; n < batch; n++)
            for (int oh = 0; oh < outputHeight; oh++)
                for (int ow = 0; ow < outputWidth; ow++)
                {
                    var best = output.Slice(((n * outputHeight + oh) * outputWidth + ow) * channels, channels);
                    bool any = false;
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        int ih = oh * strideHeight - padTop + kh * dilationHeight;
                        if ((uint)ih >= (uint)inputHeight) continue;
                        for (int kw = 0; kw < kernelWidth; kw++)
                        {
                            int iw = ow * strideWidth - padLeft + kw * dilationWidth;
                            if ((uint)iw >= (uint)inputWidth) continue;
                            var tap = input.Slice(((n * inputHeight + ih) * inputWidth + iw) * channels, channels);
                            if (!any) tap.CopyTo(best);
                            else TakeGreater(tap, best);
                            any = true;
                        }
                    }
                    if (!any) best.Fill(lowest);
                }
    }

    /// <summary><c>best[c] = tap[c] &gt; best[c] ? tap[c] : best[c]</c> for every channel.</summary>
    internal static void TakeGreater<T>(ReadOnlySpan<T> tap, Span<T> best) where T : unmanaged, INumber<T>
    {
        int c = 0;
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            for (; c <= best.Length - Vector128<T>.Count; c += Vector128<T>.Count)
            {
                var value = Vector128.Create(tap.Slice(c, Vector128<T>.Count));
                var current = Vector128.Create((ReadOnlySpan<T>)best.Slice(c, Vector128<T>.Count));
                Vector128.ConditionalSelect(Vector128.GreaterThan(value, current), value, current).CopyTo(best.Slice(c));
            }
        }
        for (; c < best.Length; c++)
            if (tap[c] > best[c]) best[c] = tap[c];
    }
}
