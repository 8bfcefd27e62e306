using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// <see cref="NarrowConvolution"/> (the direct kernel for convolutions with short kernel rows): every path — the dispatch
/// (AVX-VNNI products with AVX-512 requantization in registers on this machine: the high-word epilogue where every right
/// shift is 33 or more, else the 64-bit one, also forced as its own path), AVX-VNNI products requantized through
/// RequantizeRow, AVX2 products widened to int16, the portable loops, and the runtime's scalar specification — against a scalar evaluation written here
/// from the definition: acc = B' + Σ x̂ · w over every tap (x̂ = x_zero_point in the padding), wrapped to int32, then
/// <see cref="Requantization.FixedPoint"/>. Bit for bit, over padding borders on every side, odd widths, strides, row
/// dilation, several images, channel counts that are not multiples of 8, and extreme values (saturating outputs,
/// wrapping sums, vanishing and left shifts).
/// </summary>
public sealed class NarrowConvolutionTests
{
    /// <summary>One geometry: the input, the window (pads on each side), output channels and images.</summary>
    public sealed record Geometry(string Name, int Channels, int Height, int Width, int KernelH, int KernelW, int StrideH, int StrideW,
        int DilationH, int PadTop, int PadLeft, int PadBottom, int PadRight, int OutputChannels, int Batch)
    {
        public override string ToString() => Name;
    }

    // channels, height, width, kernel h, kernel w, stride h, stride w, dilation h, pad top, left, bottom, right, output channels, batch
    private static readonly Geometry[] All =
    [
        new("MNIST's first convolution", 1, 28, 28, 5, 5, 1, 1, 1, 2, 2, 2, 2, 8, 1),
        new("MNIST's second convolution", 8, 14, 14, 5, 5, 1, 1, 1, 2, 2, 2, 2, 16, 1),
        new("odd width, 5 channels (a partial block), two images", 1, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 2),
        new("stride 2; 8 + 4 channels (a pair with a partial second block)", 3, 11, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1, 12, 1),
        new("row dilation 2; 16 + 8 channels (a pair and a single block)", 3, 9, 10, 3, 3, 1, 1, 2, 2, 1, 2, 1, 24, 1),
        new("window larger than the input", 2, 6, 5, 7, 7, 1, 1, 1, 3, 3, 3, 3, 13, 1),
        new("no padding; kernel rows of 64 bytes and 64 channels (the limits)", 16, 5, 6, 3, 4, 1, 1, 1, 0, 0, 0, 0, 64, 1),
        new("1×3 window: 15-byte kernel rows (a partial tap group)", 5, 8, 17, 1, 3, 1, 1, 1, 0, 1, 0, 1, 9, 1),
        new("one output channel, stride 3 down, asymmetric pads", 1, 4, 3, 2, 2, 3, 1, 1, 1, 0, 0, 1, 1, 1),
        new("different strides, pads differing on every side, two images", 4, 10, 11, 5, 5, 2, 3, 1, 2, 3, 1, 0, 20, 2),
        new("pads as wide as the kernel reaches; 4 pixels at a time plus a tail", 7, 3, 21, 3, 5, 1, 1, 1, 1, 4, 1, 4, 32, 1),
        new("squeezenet's conv1 in small: 3 channels, 7×7 stride 2, 96 channels (12 blocks)", 3, 19, 17, 7, 7, 2, 2, 1, 0, 0, 0, 0, 96, 1),
        new("128 channels (the limit), 3×3 stride 2 over 3 channels, two images", 3, 12, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, 128, 2),
    ];

    public static TheoryData<string> Geometries => new(All.Select(g => g.Name));

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Every_path_equals_the_definition(string name)
    {
        var (_, channels, height, width, kernelH, kernelW, strideH, strideW, dilationH, padTop, padLeft, padBottom, padRight, outputChannels, batch) =
            All.Single(g => g.Name == name);
        int outH = (height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1;
        int outW = (width + padLeft + padRight - kernelW) / strideW + 1;
        var window = new PatchWindow(height, width, channels, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, 1, outH, outW);
        Assert.True(NarrowConvolution.Applies(window, outputChannels));
        for (int trial = 0; trial < 8; trial++)
        {
            int seed = channels * 100000 + height * 1000 + kernelW * 100 + outputChannels * 10 + trial;
            switch (trial % 4)
            {
                case 0: Check<sbyte, sbyte>(window, outputChannels, batch, seed, trial); break;
                case 1: Check<byte, byte>(window, outputChannels, batch, seed, trial); break;
                case 2: Check<sbyte, byte>(window, outputChannels, batch, seed, trial); break;
                default: Check<byte, sbyte>(window, outputChannels, batch, seed, trial); break;
            }
        }
    }

    [Fact]
    public void Left_shifts_fall_back_to_row_requantization_with_the_same_integers()
    {
        var window = new PatchWindow(9, 10, 2, 3, 3, 1, 1, 1, 1, 1, 1, 9, 10);
        Check<sbyte, sbyte>(window, 11, 1, seed: 501, trial: 1, leftShift: true);
        Check<byte, byte>(window, 16, 1, seed: 502, trial: 3, leftShift: true);
    }

    [Fact]
    public void Sizes_that_do_not_fit_are_reported()
    {
        var window = new PatchWindow(6, 6, 1, 3, 3, 1, 1, 1, 1, 1, 1, 6, 6);
        var packed = NarrowConvolution.PackWeights(new sbyte[4 * 9], 4, window, true);
        var x = new sbyte[36];
        var y = new sbyte[36 * 4];
        int[] one = [1 << 30], shift = [-3];
        var tooSmall = new byte[NarrowConvolution.ScratchLength(window) - 1];
        var error = Assert.Throws<ArgumentException>(() => NarrowConvolution.Run(x, window, 0, packed, 4, default, one, shift, 0, -128, 127, y, tooSmall));
        Assert.Contains("scratch", error.Message);
        var scratch = new byte[NarrowConvolution.ScratchLength(window)];
        Assert.Throws<ArgumentException>(() => NarrowConvolution.Run(x, window, 0, packed, 4, default, one, shift, 0, -128, 127, y.AsSpan(1), scratch));
        Assert.Throws<ArgumentException>(() => NarrowConvolution.Run(x.AsSpan(1), window, 0, packed, 4, default, one, shift, 0, -128, 127, y, scratch));
        // A range of output rows needs the padded rows of one output row at least, and rows within the output.
        var band = new byte[NarrowConvolution.BandScratchLength(window, 1)];
        NarrowConvolution.Run(x, window, 0, packed, 4, default, one, shift, 0, -128, 127, y, band, 0, 6);
        error = Assert.Throws<ArgumentException>(() => NarrowConvolution.Run(x, window, 0, packed, 4, default, one, shift, 0, -128, 127, y, band.AsSpan(1), 0, 6));
        Assert.Contains("scratch", error.Message);
        foreach (var (first, count) in new[] { (-1, 2), (0, 7), (5, 2), (0, -1) })
        {
            error = Assert.Throws<ArgumentException>(() => NarrowConvolution.Run(x, window, 0, packed, 4, default, one, shift, 0, -128, 127, y, band, first, count));
            Assert.Contains("output rows", error.Message);
        }
        // Dilation along the width breaks the contiguous kernel rows the kernel reads: not taken.
        Assert.False(NarrowConvolution.Applies(window with { DilationWidth = 2 }, 4));
        Assert.False(NarrowConvolution.Applies(window with { Channels = 13, KernelWidth = 5 }, 4));
        Assert.False(NarrowConvolution.Applies(window, NarrowConvolution.MaxOutputChannels + 1));
    }

    private static (int Min, int Max) RangeOf<T>() => typeof(T) == typeof(sbyte) ? (-128, 127) : (0, 255);

    private static T From<T>(int value) where T : unmanaged => typeof(T) == typeof(sbyte) ? (T)(object)(sbyte)value : (T)(object)(byte)value;

    private static int ToInt<T>(T value) => value is sbyte s ? s : (byte)(object)value!;

    /// <summary>Extremes and the zero point often, where products, corrections and clamping go wrong first.</summary>
    private static int Adversarial(Random random, int min, int max, int zeroPoint) => random.Next(5) switch
    {
        0 => min,
        1 => max,
        2 => zeroPoint,
        _ => random.Next(min, max + 1),
    };

    private static void Check<TX, TY>(PatchWindow window, int outputChannels, int batch, int seed, int trial, bool leftShift = false)
        where TX : unmanaged where TY : unmanaged
    {
        var random = new Random(seed);
        int m = outputChannels, depth = window.Length;
        var (xMin, xMax) = RangeOf<TX>();
        var (yMin, yMax) = RangeOf<TY>();
        int xZeroPoint = trial % 3 == 0 ? xMin : trial % 3 == 1 ? xMax : random.Next(xMin, xMax + 1);
        var x = new TX[batch * window.Height * window.Width * window.Channels];
        for (int i = 0; i < x.Length; i++) x[i] = From<TX>(Adversarial(random, xMin, xMax, xZeroPoint));
        // Trial 4: every weight −128 and every activation at an extreme, the largest products vpdpbusd adds.
        var weights = Enumerable.Range(0, m * depth).Select(_ => trial == 4 ? (sbyte)-128 : (sbyte)Adversarial(random, -128, 127, 0)).ToArray();
        if (trial == 4)
            for (int i = 0; i < x.Length; i++) x[i] = From<TX>(i % 2 == 0 ? xMin : xMax);
        // Large biases so that some sums wrap; none at all in some trials.
        int[] bias = trial % 4 == 3 ? [] : Enumerable.Range(0, m).Select(_ => random.Next(5) == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-100000, 100000)).ToArray();
        bool perChannel = trial % 2 == 1 || leftShift;
        int[] multipliers = Enumerable.Range(0, perChannel ? m : 1).Select(_ => random.Next(1 << 30, int.MaxValue)).ToArray();
        if (trial == 7) multipliers[0] = 0;
        // Right shifts from 1 bit (shift 30: outputs saturate) down, a vanishing one (r ≥ 63), and with leftShift some r ≤ 0.
        // Trial 3 keeps every right shift at 33 or more (from 33 itself), so that per-channel constants take the
        // high-word epilogue of the dispatch (Int8Gemm.HighWordRequantizable).
        int[] shifts = Enumerable.Range(0, perChannel || trial == 6 ? m : 1).Select(i =>
            leftShift && i % 5 == 2 ? random.Next(31, 34)
            : i % 7 == 3 ? -40
            : trial == 3 ? random.Next(-20, -1)
            : random.Next(4) == 0 ? random.Next(-2, 31) : random.Next(-20, -5)).ToArray();
        int yZeroPoint = random.Next(yMin, yMax + 1);
        int min = trial == 5 ? yZeroPoint : yMin, max = trial == 5 ? Math.Min(yMax, yZeroPoint + 50) : yMax;

        var expected = Definition<TX, TY>(window, batch, m, x, weights, bias, multipliers, shifts, xZeroPoint, yZeroPoint, min, max);
        bool signed = typeof(TX) == typeof(sbyte);
        var packed = NarrowConvolution.PackWeights(weights, m, window, signed);
        TX pad = From<TX>(xZeroPoint);
        TY[] Run(Action<TY[], byte[]> path)
        {
            var y = new TY[expected.Length];
            for (int i = 0; i < y.Length; i++) y[i] = From<TY>(yMin + i % 3);   // garbage: every value must be written
            // Garbage in the scratch too: the kernel must write every byte it reads.
            var scratch = new byte[NarrowConvolution.ScratchLength(window)];
            random.NextBytes(scratch);
            path(y, scratch);
            return y;
        }
        string name = $"{typeof(TX).Name}->{typeof(TY).Name}, {window}, {m} channels, trial {trial}";
        AssertEqual(expected, Run((y, s) => NarrowConvolution.Run<TX, TY>(x, window, pad, packed, m, bias, multipliers, shifts, yZeroPoint, min, max, y, s,
            NarrowConvolution.Path.Fastest)), name + ", dispatch");
        AssertEqual(expected, Run((y, s) => NarrowConvolution.Run<TX, TY>(x, window, pad, packed, m, bias, multipliers, shifts, yZeroPoint, min, max, y, s,
            NarrowConvolution.Path.Portable)), name + ", portable");
        AssertEqual(expected, Run((y, _) => NarrowConvolution.RunScalar<TX, TY>(x, window, pad, weights, m, bias, multipliers, shifts, yZeroPoint, min, max, y)),
            name + ", scalar specification");
        if (Avx2.IsSupported)
            AssertEqual(expected, Run((y, s) => NarrowConvolution.Run<TX, TY>(x, window, pad, packed, m, bias, multipliers, shifts, yZeroPoint, min, max, y, s,
                NarrowConvolution.Path.Widening)), name + ", AVX2 widening");
        if (AvxVnni.IsSupported)
        {
            AssertEqual(expected, Run((y, s) => NarrowConvolution.Run<TX, TY>(x, window, pad, packed, m, bias, multipliers, shifts, yZeroPoint, min, max, y, s,
                NarrowConvolution.Path.VnniRows)), name + ", AVX-VNNI with row requantization");
            AssertEqual(expected, Run((y, s) => NarrowConvolution.Run<TX, TY>(x, window, pad, packed, m, bias, multipliers, shifts, yZeroPoint, min, max, y, s,
                NarrowConvolution.Path.Fused64)), name + ", AVX-VNNI with the 64-bit epilogue");
        }

        // Work units: output rows (counted across images) cut into ranges, each run alone with a scratch of a few rows, so
        // that bands restart inside an image and ranges cross from one image to the next.
        int rows = batch * window.OutputHeight;
        var paths = new List<NarrowConvolution.Path> { NarrowConvolution.Path.Fastest, NarrowConvolution.Path.Portable };
        if (Avx2.IsSupported) paths.Add(NarrowConvolution.Path.Widening);
        if (AvxVnni.IsSupported) paths.AddRange([NarrowConvolution.Path.VnniRows, NarrowConvolution.Path.Fused64]);
        foreach (var path in paths)
            foreach (var (units, bandRows) in new[] { (1, 1), (2, 3), (3, 2), (rows, 1), (5, rows) })
                CheckUnits(expected, Math.Min(units, rows), bandRows, random, yMin, $"{name}, {path}, {units} units, bands of {bandRows}",
                    (first, count, y, scratch) => NarrowConvolution.Run<TX, TY>(x, window, pad, packed, m, bias, multipliers, shifts, yZeroPoint, min, max,
                        y, scratch, first, count, path),
                    NarrowConvolution.BandScratchLength(window, bandRows), window.OutputWidth * m, rows);
    }

    /// <summary>
    /// Runs unit u of <paramref name="units"/> (rows [u · rows / units, (u + 1) · rows / units)) alone on an output filled
    /// twice with different garbage: its rows must come out as <paramref name="expected"/> both times and every other
    /// element must keep its garbage, so the units together write every output exactly once.
    /// </summary>
    private static void CheckUnits<TY>(TY[] expected, int units, int bandRows, Random random, int yMin, string name,
        Action<int, int, TY[], byte[]> run, int scratchLength, int rowLength, int rows) where TY : unmanaged
    {
        for (int u = 0; u < units; u++)
        {
            int first = u * rows / units, end = (u + 1) * rows / units;
            for (int fill = 0; fill < 2; fill++)
            {
                var garbage = new TY[expected.Length];
                for (int i = 0; i < garbage.Length; i++) garbage[i] = From<TY>(yMin + (i + fill) % 5);
                var y = (TY[])garbage.Clone();
                var scratch = new byte[scratchLength];
                random.NextBytes(scratch);
                run(first, end - first, y, scratch);
                for (int i = 0; i < y.Length; i++)
                {
                    bool mine = i >= first * rowLength && i < end * rowLength;
                    var want = mine ? expected[i] : garbage[i];
                    if (!EqualityComparer<TY>.Default.Equals(want, y[i]))
                        Assert.Fail($"{name}: unit {u} (rows [{first}, {end})), fill {fill}: element {i} is {y[i]}, expected {want}{(mine ? "" : " (not its row: untouched)")}");
                }
            }
        }
    }

    private static void AssertEqual<T>(T[] expected, T[] actual, string name)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!EqualityComparer<T>.Default.Equals(expected[i], actual[i]))
                Assert.Fail($"{name}: first difference at {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>The definition, from the OHWI weights, in 64-bit arithmetic wrapped to int32 once at the end.</summary>
    private static TY[] Definition<TX, TY>(PatchWindow g, int batch, int m, TX[] x, sbyte[] weights, int[] bias, int[] multipliers, int[] shifts,
        int xZeroPoint, int yZeroPoint, int min, int max) where TX : unmanaged where TY : unmanaged
    {
        var y = new TY[batch * g.OutputHeight * g.OutputWidth * m];
        for (int n = 0; n < batch; n++)
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++)
                    for (int j = 0; j < m; j++)
                    {
                        long sum = bias.Length == 0 ? 0 : bias[j];
                        for (int kh = 0; kh < g.KernelHeight; kh++)
                            for (int kw = 0; kw < g.KernelWidth; kw++)
                                for (int c = 0; c < g.Channels; c++)
                                {
                                    int ih = oh * g.StrideHeight - g.PadTop + kh * g.DilationHeight;
                                    int iw = ow * g.StrideWidth - g.PadLeft + kw;
                                    bool inside = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width;
                                    int value = inside ? ToInt(x[((n * g.Height + ih) * g.Width + iw) * g.Channels + c]) : xZeroPoint;
                                    sum += (long)value * weights[((j * g.KernelHeight + kh) * g.KernelWidth + kw) * g.Channels + c];
                                }
                        int q = Requantization.FixedPoint(unchecked((int)sum), multipliers[multipliers.Length == 1 ? 0 : j], shifts[shifts.Length == 1 ? 0 : j], yZeroPoint, min, max);
                        y[((n * g.OutputHeight + oh) * g.OutputWidth + ow) * m + j] = From<TY>(q);
                    }
        return y;
    }
}
