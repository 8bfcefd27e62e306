using Octet.Runtime.DataMovement;
using Xunit;

namespace Octet.Tests.CodeGeneration.Runtime;

/// <summary>
/// The vector path of float → 8-bit <see cref="EdgeQuantization"/> against its scalar specification
/// (<see cref="EdgeQuantization.QuantizeValue"/>), byte for byte: NaN, ±∞, ±0, ties at .5 (which round to even),
/// values just inside and outside the clamp bounds, huge values, several scales and zero points, and lengths that
/// leave scalar tails. The specification itself is checked against a direct reading of ONNX QuantizeLinear here.
/// </summary>
public sealed class EdgeQuantizationVectorTests
{
    private static float[] Values(Random random, float scale, int zeroPoint, int minimum, int maximum)
    {
        var special = new List<float> { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.MaxValue, float.MinValue, 1e-30f, -1e-30f };
        for (int k = -300; k <= 300; k++) special.Add((k + 0.5f) * scale);          // ties
        foreach (int bound in new[] { minimum, maximum })
            for (int d = -2; d <= 2; d++) special.Add((bound - zeroPoint + d * 0.25f) * scale);
        while (special.Count < 4099) special.Add((float)(random.NextDouble() * 600 - 300) * scale);
        return special.ToArray();
    }

    private static void Check<T>(Func<ReadOnlySpan<float>, Span<T>, float, int, int> quantize, int minimum, int maximum, Func<T, int> toInt) where T : unmanaged
    {
        var random = new Random(3);
        foreach (float scale in new[] { 0.03583519f, 1f, 0.1f, 3.7e-5f, 250f })
            foreach (int zeroPoint in new[] { minimum, 0, 7, maximum }.Distinct())
            {
                var x = Values(random, scale, zeroPoint, minimum, maximum);
                foreach (int length in new[] { x.Length, 15, 7, 1 })
                {
                    var y = new T[length];
                    quantize(x.AsSpan(0, length), y, scale, zeroPoint);
                    for (int i = 0; i < length; i++)
                    {
                        int want = EdgeQuantization.QuantizeValue(x[i], scale, zeroPoint, minimum, maximum);
                        if (toInt(y[i]) != want) Assert.Fail($"x = {x[i]:R}, scale {scale:R}, zp {zeroPoint}: {toInt(y[i])}, expected {want}");
                    }
                }
            }
    }

    [Fact]
    public void Float_to_int8_equals_the_scalar_rule() =>
        Check<sbyte>((x, y, s, z) => { EdgeQuantization.Quantize(x, y, s, z); return 0; }, sbyte.MinValue, sbyte.MaxValue, v => v);

    [Fact]
    public void Float_to_uint8_equals_the_scalar_rule() =>
        Check<byte>((x, y, s, z) => { EdgeQuantization.Quantize(x, y, s, z); return 0; }, byte.MinValue, byte.MaxValue, v => v);

    [Fact]
    public void The_scalar_rule_is_ONNX_QuantizeLinear()
    {
        // saturate(round_half_to_even(x / scale) + zero_point), NaN to the minimum, computed here in double from the definition.
        var random = new Random(4);
        for (int i = 0; i < 100_000; i++)
        {
            float scale = (float)Math.Pow(2, random.Next(-12, 4)) * (float)(0.5 + random.NextDouble());
            float x = (float)((random.NextDouble() - 0.5) * 400) * scale;
            int zeroPoint = random.Next(-128, 128);
            double q = Math.Round((double)(x / scale), MidpointRounding.ToEven) + zeroPoint;
            int want = (int)Math.Clamp(q, -128, 127);
            Assert.Equal(want, EdgeQuantization.QuantizeValue(x, scale, zeroPoint, -128, 127));
        }
        Assert.Equal(-128, EdgeQuantization.QuantizeValue(float.NaN, 0.5f, 3, -128, 127));
        Assert.Equal(2, EdgeQuantization.QuantizeValue(2.5f, 1f, 0, -128, 127));
        Assert.Equal(4, EdgeQuantization.QuantizeValue(3.5f, 1f, 0, -128, 127));
    }
}
