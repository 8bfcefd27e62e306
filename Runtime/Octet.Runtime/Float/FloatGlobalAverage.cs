using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 GlobalAveragePool over one NHWC image: <c>y[k] = (float)(Σₚ (double)x[p·C + k] / positions)</c>, each
/// channel summed in double in position order, exactly as the reference operator does.
/// </summary>
/// <remarks>
/// <see cref="AverageNhwcScalar"/> is the specification. The SIMD path sums eight (or four) channels side by side, one
/// double lane per channel: every lane adds the same values in the same order as the scalar loop, and double
/// addition and the final division and rounding are the same operations lane by lane, so the bits are identical.
/// Walking positions in memory order reads the image once, contiguously (the per-channel scalar loop strides by C).
/// </remarks>
public static class FloatGlobalAverage
{
    /// <summary>The mean over <paramref name="positions"/> pixels of each of <paramref name="channels"/> channels of <paramref name="x"/> (NHWC, one image).</summary>
    // Fully optimized from the first call: a model runs each kernel a few dozen times per inference, and tiered
    // compilation would otherwise run the slow unoptimized code for many inferences before replacing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AverageNhwc(ReadOnlySpan<float> x, int positions, int channels, Span<float> y)
    {
        Check(x, positions, channels, y);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 32 channels at a time in four independent sums: one sum's additions wait on each other (a double add's
            // latency), four of them keep the adder busy. Each lane still adds its channel's values in position order.
            for (; k + 4 * Vector512<double>.Count <= channels; k += 4 * Vector512<double>.Count)
            {
                Vector512<double> sum0 = Vector512<double>.Zero, sum1 = sum0, sum2 = sum0, sum3 = sum0;
                for (int p = 0; p < positions; p++)
                {
                    ref float row = ref Unsafe.Add(ref px, (nint)p * channels + k);
                    sum0 += Vector512.WidenLower(Vector256.LoadUnsafe(ref row).ToVector512Unsafe());
                    sum1 += Vector512.WidenLower(Vector256.LoadUnsafe(ref row, 8).ToVector512Unsafe());
                    sum2 += Vector512.WidenLower(Vector256.LoadUnsafe(ref row, 16).ToVector512Unsafe());
                    sum3 += Vector512.WidenLower(Vector256.LoadUnsafe(ref row, 24).ToVector512Unsafe());
                }
                (sum0 / positions).StoreNarrowed(ref py, k);
                (sum1 / positions).StoreNarrowed(ref py, k + 8);
                (sum2 / positions).StoreNarrowed(ref py, k + 16);
                (sum3 / positions).StoreNarrowed(ref py, k + 24);
            }
            for (; k + Vector512<double>.Count <= channels; k += Vector512<double>.Count)
            {
                var sum = Vector512<double>.Zero;
                for (int p = 0; p < positions; p++)
                    sum += Vector512.WidenLower(Vector256.LoadUnsafe(ref px, (nuint)((long)p * channels + k)).ToVector512Unsafe());
                (sum / positions).StoreNarrowed(ref py, k);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k + Vector256<double>.Count <= channels; k += Vector256<double>.Count)
            {
                var sum = Vector256<double>.Zero;
                for (int p = 0; p < positions; p++)
                    sum += Vector256.WidenLower(Vector128.LoadUnsafe(ref px, (nuint)((long)p * channels + k)).ToVector256Unsafe());
                var mean = sum / positions;
                for (int i = 0; i < Vector256<double>.Count; i++) y[k + i] = (float)mean.GetElement(i);
            }
        }
        for (; k < channels; k++)
        {
            double sum = 0;
            for (int p = 0; p < positions; p++) sum += x[p * channels + k];
            y[k] = (float)(sum / positions);
        }
    }

    /// <summary>The specification of <see cref="AverageNhwc"/>.</summary>
    public static void AverageNhwcScalar(ReadOnlySpan<float> x, int positions, int channels, Span<float> y)
    {
        Check(x, positions, channels, y);
        for (int k = 0; k < channels; k++)
        {
            double sum = 0;
            for (int p = 0; p < positions; p++) sum += x[p * channels + k];
            y[k] = (float)(sum / positions);
        }
    }

    private static void Check(ReadOnlySpan<float> x, int positions, int channels, Span<float> y)
    {
        if (positions < 1 || channels < 0 || (long)positions * channels > x.Length || y.Length < channels)
            throw new ArgumentException($"FloatGlobalAverage: {positions} positions × {channels} channels do not fit x ({x.Length}) and y ({y.Length})");
    }

    private static void StoreNarrowed(this Vector512<double> mean, ref float destination, int offset) =>
        Vector256.Narrow(mean.GetLower(), mean.GetUpper()).StoreUnsafe(ref destination, (nuint)offset);
}
