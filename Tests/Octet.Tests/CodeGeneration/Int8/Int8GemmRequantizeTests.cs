using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// <see cref="Int8Gemm.MultiplyRequantize(ReadOnlySpan{sbyte}, int, int, int, ReadOnlySpan{byte}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int, Span{sbyte}, int, Span{int})"/>
/// (products requantized in registers) against its specification, computed here independently: the plain sum of
/// products plus bias, through the scalar <see cref="Requantization.FixedPoint"/>. Both the fused kernel (where this CPU
/// has AVX-VNNI and AVX-512) and the two-step fallback are checked, for int8 and uint8 activations and outputs, on
/// shapes with partial channel and row blocks, on constants that reach both clamp bounds and the int32 wrap, on right
/// shifts of 63 and more (which round everything to 0), and on a left shift (which the fused form leaves to the fallback).
/// </summary>
public sealed class Int8GemmRequantizeTests
{
    private static readonly (int Rows, int Depth, int Channels)[] Shapes =
    [
        (1, 1, 1), (5, 3, 7), (6, 16, 16), (13, 27, 64), (7, 61, 37), (70, 64, 33), (60, 16, 96), (12, 512, 40),
    ];

    private sealed record Case(string Name, int[] Multipliers, int[] Shifts, int[] Bias, int ZeroPoint, int Min, int Max);

    private static IEnumerable<Case> Cases(Random random, int channels, bool signedOutput)
    {
        int lo = signedOutput ? -128 : 0, hi = signedOutput ? 127 : 255;
        int[] Random(Func<int> value) => Enumerable.Range(0, channels).Select(_ => value()).ToArray();
        // Scales around 2^-8…2^-12 keep typical sums inside the output range, so most outputs are not clamped.
        yield return new Case("per channel", Random(() => random.Next(1 << 30, int.MaxValue)), Random(() => random.Next(-12, -4)),
            Random(() => random.Next(-20000, 20000)), signedOutput ? random.Next(-20, 20) : random.Next(0, 40), lo, hi);
        yield return new Case("per tensor, fused ReLU clamp", [1518500250], [-7], Random(() => random.Next(-50000, 50000)),
            signedOutput ? -5 : 10, signedOutput ? -5 : 10, hi);
        // Large multipliers and shifts near 30: sums rescale to huge values, so nearly every output is clamped.
        yield return new Case("saturating", Random(() => random.Next(1 << 30, int.MaxValue)), Random(() => random.Next(20, 31)),
            Random(() => random.Next(int.MinValue, int.MaxValue)), 0, lo, hi);
        // Right shifts of 63 and more: the product rounds to 0 and the output is the zero point (clamped).
        yield return new Case("vanishing shifts", Random(() => random.Next(1 << 30, int.MaxValue)), Random(() => random.Next(-200, -31)),
            Random(() => random.Next(-1000, 1000)), signedOutput ? 3 : 7, lo, hi);
        // A left shift (31 − shift < 1): only the fallback handles it.
        yield return new Case("left shift", [1 << 30], [31], [], 0, lo, hi);
    }

    private static void Check<T, TOut>(int seed) where T : unmanaged where TOut : unmanaged
    {
        var random = new Random(seed);
        bool signed = typeof(T) == typeof(sbyte), signedOutput = typeof(TOut) == typeof(sbyte);
        foreach (var (rows, depth, channels) in Shapes)
        {
            int stride = Int8Gemm.PaddedDepth(depth) + 4;
            var a = new T[rows * stride];
            for (int i = 0; i < a.Length; i++)
            {
                int v = random.Next(-128, 128);
                a[i] = signed ? (T)(object)(sbyte)v : (T)(object)(byte)(v + 128);
            }
            var w = new sbyte[channels * depth];
            for (int i = 0; i < w.Length; i++) w[i] = (sbyte)random.Next(-128, 128);
            var panel = new byte[Int8Gemm.PanelBytes(channels, depth)];
            Int8Gemm.PackPanel(w, depth, 0, channels, signed, panel);

            foreach (var c in Cases(random, channels, signedOutput))
            {
                int outputStride = channels + 3;
                var expected = new int[rows * outputStride];
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < channels; j++)
                    {
                        long sum = 0;
                        for (int k = 0; k < depth; k++) sum += (long)Int8Dot.ToInt(a[r * stride + k]) * w[j * depth + k];
                        int acc = unchecked((int)sum + (c.Bias.Length == 0 ? 0 : c.Bias[j]));
                        expected[r * outputStride + j] = Requantization.FixedPoint(acc, c.Multipliers[c.Multipliers.Length == 1 ? 0 : j],
                            c.Shifts[c.Shifts.Length == 1 ? 0 : j], c.ZeroPoint, c.Min, c.Max);
                    }

                foreach (bool allowFused in new[] { true, false })
                {
                    // Bytes between rows (past the channel count) must stay untouched: fill them with a marker.
                    var output = Enumerable.Repeat((TOut)(object)(signedOutput ? (object)(sbyte)0x5A : (byte)0x5A), rows * outputStride).ToArray();
                    var products = new int[rows * channels];
                    Int8Gemm.MultiplyRequantize<T, TOut>(a, rows, stride, depth, panel, channels, c.Bias, c.Multipliers, c.Shifts,
                        c.ZeroPoint, c.Min, c.Max, output, outputStride, products, allowFused);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < outputStride; j++)
                        {
                            int got = Int8Dot.ToInt(output[r * outputStride + j]);
                            int want = j < channels ? expected[r * outputStride + j] : 0x5A;
                            if (got != want)
                                Assert.Fail($"{typeof(T).Name}→{typeof(TOut).Name} {c.Name} {rows}x{depth}x{channels} fused={allowFused}: " +
                                            $"row {r} channel {j} is {got}, expected {want}");
                        }
                }
            }
        }
    }

    [Fact]
    public void Int8_activations_to_int8_outputs_equal_the_specification() => Check<sbyte, sbyte>(1);

    [Fact]
    public void Int8_activations_to_uint8_outputs_equal_the_specification() => Check<sbyte, byte>(2);

    [Fact]
    public void Uint8_activations_to_int8_outputs_equal_the_specification() => Check<byte, sbyte>(3);

    [Fact]
    public void Uint8_activations_to_uint8_outputs_equal_the_specification() => Check<byte, byte>(4);

    [Fact]
    public void The_fused_kernel_runs_on_this_machine_when_it_has_AVX_VNNI_and_AVX_512()
    {
        // Not a skip: on a CPU without them the fallback is what runs, and the tests above check it; this records which one did.
        bool fused = AvxVnni.IsSupported && Avx512F.VL.IsSupported;
        Assert.Equal(fused, AvxVnni.IsSupported && Avx512F.VL.IsSupported && Int8Gemm.FusableShifts([-7, 30, -100]));
        Assert.False(Int8Gemm.FusableShifts([-7, 31]));
    }

    [Fact]
    public void Pack_panels_lays_out_each_panel_as_pack_panel_does()
    {
        var random = new Random(5);
        foreach (var (rows, depth, panelChannels) in new[] { (96, 16, 96), (1000, 1280, 16), (37, 27, 32), (5, 3, 16) })
        {
            var w = new sbyte[rows * depth];
            for (int i = 0; i < w.Length; i++) w[i] = (sbyte)random.Next(-128, 128);
            foreach (bool signed in new[] { true, false })
            {
                var packed = Int8Gemm.PackPanels(w, depth, rows, panelChannels, signed);
                int panelBytes = Int8Gemm.PanelBytes(panelChannels, depth);
                int panels = (rows + panelChannels - 1) / panelChannels;
                Assert.Equal(panels * panelBytes, packed.Length);
                for (int i = 0; i < panels; i++)
                {
                    var one = new byte[panelBytes];
                    Int8Gemm.PackPanel(w, depth, i * panelChannels, Math.Min(panelChannels, rows - i * panelChannels), signed, one);
                    Assert.True(one.AsSpan().SequenceEqual(packed.AsSpan(i * panelBytes, panelBytes)), $"{rows}x{depth} panel {i} signed={signed}");
                }
            }
        }
        Assert.Throws<ArgumentException>(() => Int8Gemm.PackPanels(new sbyte[10], 4, 3, 16, true));
    }
}
