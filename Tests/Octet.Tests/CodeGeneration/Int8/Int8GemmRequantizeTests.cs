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
        // Pairs of rows in a last 8-channel block with a single row left over; more rows than the high-word kernel's
        // int8 correction chunk (240); mobilenetv3's 24 → 144 expansion with a partial last tile.
        (19, 24, 24), (301, 16, 40), (63, 24, 144),
        // Single rows (M = 1: the depth dealt to four chains) with a depth that is not a multiple of 16, a last block of
        // 8 channels, and a GEMV of mobilenetv3's classifier depth.
        (1, 1280, 40), (1, 37, 8), (7, 101, 24),
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
        // The high-word epilogue's edges. Right shift 33 (its smallest) with multipliers and sums reaching int32's ends:
        // the high words reach ±2^30.
        yield return new Case("right shift 33, extreme sums", Random(() => random.Next(int.MaxValue - 1000, int.MaxValue)), [-2],
            Random(() => random.Next(2) == 0 ? int.MinValue + random.Next(1000) : int.MaxValue - random.Next(1000)), signedOutput ? 127 : 255, lo, hi);
        // Right shift 54 with the zero point at the type's end: the constant 2^21 + zp · 2^22 is just below 2^30 (255) or
        // near −2^29 (−128), so the high word plus it comes close to int32's ends.
        yield return new Case("largest zero-point offset", Random(() => random.Next(int.MaxValue - 1000, int.MaxValue)), [-23],
            Random(() => random.Next(int.MinValue, int.MaxValue)), signedOutput ? -128 : 255, lo, hi);
        // Per channel right shifts of 33 to 51 and vanishing ones (63 to 91), sums wide enough that both clamps are met.
        yield return new Case("mixed high-word shifts", Random(() => random.Next(1 << 30, int.MaxValue)),
            Random(() => random.Next(2) == 0 ? random.Next(-20, -1) : random.Next(-60, -31)),
            Random(() => random.Next(-1 << 28, 1 << 28)), signedOutput ? random.Next(-20, 20) : random.Next(0, 40), lo + 3, hi - 5);
        // One channel with right shift 32 among right shifts of 38: the call takes the 64-bit epilogue.
        yield return new Case("one right shift 32", Random(() => random.Next(1 << 30, int.MaxValue)), Enumerable.Range(0, channels).Select(j => j == channels / 2 ? -1 : -7).ToArray(),
            Random(() => random.Next(-1 << 26, 1 << 26)), signedOutput ? -3 : 9, lo, hi);
    }

    /// <summary>
    /// The kernel variants: the high-word epilogue (forced, whatever the depth), the 64-bit one, the two steps (with scratch
    /// for 2 rows), and the default choice, which sends deep int8 rows to the 64-bit epilogue for speed.
    /// </summary>
    private static readonly (string Name, bool Fused, bool HighWord, bool ByDepth)[] Paths =
        [("high-word", true, true, false), ("64-bit", true, false, false), ("two steps", false, false, false), ("default", true, true, true)];

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

                foreach (var (path, allowFused, allowHighWord, byDepth) in Paths)
                {
                    // Bytes between rows (past the channel count) must stay untouched: fill them with a marker.
                    var output = Enumerable.Repeat((TOut)(object)(signedOutput ? (object)(sbyte)0x5A : (byte)0x5A), rows * outputStride).ToArray();
                    // Scratch for two rows and a bit: the two-step fallback goes through the rows in pieces.
                    var products = new int[2 * channels + 1];
                    Int8Gemm.MultiplyRequantize<T, TOut>(a, rows, stride, depth, panel, channels, c.Bias, c.Multipliers, c.Shifts,
                        c.ZeroPoint, c.Min, c.Max, output, outputStride, products, allowFused, allowHighWord, byDepth);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < outputStride; j++)
                        {
                            int got = Int8Dot.ToInt(output[r * outputStride + j]);
                            int want = j < channels ? expected[r * outputStride + j] : 0x5A;
                            if (got != want)
                                Assert.Fail($"{typeof(T).Name}→{typeof(TOut).Name} {c.Name} {rows}x{depth}x{channels} {path}: " +
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
    public void Deep_int8_rows_go_to_the_64_bit_epilogue_and_uint8_rows_never_do()
    {
        Assert.True(Int8Gemm.HighWordPays<sbyte>(Int8Gemm.HighWordMaxSignedDepth - 1));
        Assert.False(Int8Gemm.HighWordPays<sbyte>(Int8Gemm.HighWordMaxSignedDepth));
        Assert.True(Int8Gemm.HighWordPays<byte>(4096));
    }

    [Fact]
    public void The_high_word_epilogue_takes_right_shifts_of_33_and_more_within_its_offset_bound()
    {
        Assert.True(Int8Gemm.HighWordRequantizable([-2], 0));      // r = 33
        Assert.False(Int8Gemm.HighWordRequantizable([-1], 0));     // r = 32: the low word would matter
        Assert.False(Int8Gemm.HighWordRequantizable([-7, -1], 0)); // one channel decides for the call
        Assert.True(Int8Gemm.HighWordRequantizable([-31, -32, -200, int.MinValue], 0)); // r = 62 (C = 2^29), then vanishing shifts
        Assert.False(Int8Gemm.HighWordRequantizable([-31], 1));    // r = 62: C = 2^29 + 2^30
        Assert.True(Int8Gemm.HighWordRequantizable([-31], -1));    // C = 2^29 − 2^30
        Assert.True(Int8Gemm.HighWordRequantizable([-200], 255));  // vanishing: s = 1 whatever the zero point
        Assert.True(Int8Gemm.HighWordRequantizable([-23], 255));   // s = 22: 2^21 + 255 · 2^22 < 2^30
        Assert.False(Int8Gemm.HighWordRequantizable([-24], 255));  // s = 23: 2^22 + 255 · 2^23 > 2^30
        Assert.True(Int8Gemm.HighWordRequantizable([-24], -128));  // s = 23: 2^22 − 2^30 > −2^30
        Assert.False(Int8Gemm.HighWordRequantizable([-25], -128)); // s = 24: 2^23 − 2^31 < −2^30
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
