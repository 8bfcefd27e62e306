using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Runtime.DataMovement;
using Octet.Runtime.Int16;
using Octet.Runtime.Transformer;
using Octet.Tests.Operators.Integer;
using Xunit;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The runtime kernels for 16-bit activations (<c>Octet.Runtime.Int16</c>) bit for bit against their scalar
/// specifications, against the compiler's reference operators (<c>Requantizer</c>, <c>QGemm</c>) and against exact
/// rational arithmetic (<see cref="IntegerHarness.FixedPointExact"/>): random values plus the extremes (−32768,
/// 32767, −128, 255), every tail length of the vector loops, and accumulators beyond int32.
/// </summary>
public sealed class Int16KernelParityTests
{
    /// <summary>Fixed-point pairs as lowering writes them (M0 in [2^30, 2^31) or 0) over a wide range of shifts.</summary>
    private static (int Multiplier, int Shift)[] FixedPointPairs(Random random)
    {
        var pairs = new List<(int, int)> { (0, 0), (1 << 30, 31), (int.MaxValue, 31), (int.MaxValue, -60), (1 << 30, -100) };
        for (int i = 0; i < 40; i++) pairs.Add((random.Next(1 << 30, int.MaxValue), random.Next(-40, 32)));
        return [.. pairs];
    }

    private static long[] WideAccumulators(Random random)
    {
        var values = new List<long> { 0, 1, -1, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, (long)int.MinValue - 1, 1L << 62, -(1L << 62), long.MaxValue / 4 };
        for (int i = 0; i < 200; i++) values.Add(random.NextInt64(-(1L << 40), 1L << 40));
        for (int i = 0; i < 50; i++) values.Add(random.Next(-100000, 100000));
        return [.. values];
    }

    [Fact]
    public void Int64_requantization_matches_the_Requantizer_and_exact_rounding()
    {
        var random = new Random(11);
        foreach (var (multiplier, shift) in FixedPointPairs(random))
        {
            var node = IntegerHarness.Node("Requantize", 1,
            [
                IntegerHarness.String("requant", "fixed-point"), IntegerHarness.Int("y_type", (int)ElementType.Int16),
                IntegerHarness.Ints("multiplier", multiplier), IntegerHarness.Ints("shift", shift),
            ]);
            var requantizer = Requantizer.Read(node, 1, "tensor");
            foreach (long acc in WideAccumulators(random))
                foreach (int zeroPoint in new[] { 0, 7 })
                {
                    int exact = IntegerHarness.FixedPointOutput(acc, multiplier, shift, zeroPoint, short.MinValue, short.MaxValue);
                    // The reference's y_zero_point is 0 here: compare it on the zero-point-free case.
                    if (zeroPoint == 0) Assert.Equal(exact, requantizer.Requantize(acc, 0));
                    Assert.Equal(exact, WideFixedPoint.Requantize(acc, multiplier, shift, zeroPoint, short.MinValue, short.MaxValue));
                    Assert.Equal(exact, WideFixedPoint.RequantizeScalar(acc, multiplier, shift, zeroPoint, short.MinValue, short.MaxValue));
                }
        }
    }

    [Fact]
    public void Int16_output_row_matches_its_scalar_specification_and_exact_rounding()
    {
        var random = new Random(5);
        foreach (int count in Enumerable.Range(1, 40).Append(197))
            foreach (bool perChannel in new[] { false, true })
            {
                int constants = perChannel ? count : 1;
                var multipliers = Enumerable.Range(0, constants).Select(_ => random.Next(1 << 30, int.MaxValue)).ToArray();
                // Mostly vectorizable shifts, with the odd one the vector path must hand to the scalar tail.
                var shifts = Enumerable.Range(0, constants).Select(_ => random.Next(10) == 0 ? 31 : random.Next(-30, 20)).ToArray();
                var products = Enumerable.Range(0, count).Select(_ => random.Next(-3, 4) == 0 ? (random.Next(2) == 0 ? int.MaxValue : int.MinValue) : random.Next(-1 << 24, 1 << 24)).ToArray();
                var bias = Enumerable.Range(0, count).Select(_ => random.Next(-1 << 20, 1 << 20)).ToArray();
                const int zeroPoint = -3, min = -32000, max = 32767;
                var fast = new short[count];
                var spec = new short[count];
                WideRequantizeRow.FixedPoint(products, bias, multipliers, shifts, zeroPoint, min, max, fast);
                WideRequantizeRow.FixedPointScalar(products, bias, multipliers, shifts, zeroPoint, min, max, spec);
                var exact = Enumerable.Range(0, count).Select(j =>
                {
                    int c = perChannel ? j : 0;
                    return (short)IntegerHarness.FixedPointOutput(unchecked(products[j] + bias[j]), multipliers[c], shifts[c], zeroPoint, min, max);
                }).ToArray();
                Assert.Equal(exact, spec);
                Assert.Equal(exact, fast);
            }
    }

    [Fact]
    public void Int16_output_block_form_writes_each_row_at_its_stride()
    {
        var random = new Random(9);
        const int rows = 5, count = 13, productStride = 16, outputStride = 20;
        var products = Enumerable.Range(0, rows * productStride).Select(_ => random.Next(-1 << 22, 1 << 22)).ToArray();
        int[] multipliers = [1518500250], shifts = [-12];
        var block = new short[rows * outputStride];
        WideRequantizeRow.FixedPoint(products, productStride, default, multipliers, shifts, 0, short.MinValue, short.MaxValue, block, outputStride, rows, count);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < outputStride; j++)
            {
                short expected = j < count
                    ? (short)IntegerHarness.FixedPointOutput(products[r * productStride + j], multipliers[0], shifts[0], 0, short.MinValue, short.MaxValue)
                    : (short)0;
                Assert.Equal(expected, block[r * outputStride + j]);
            }
    }

    [Fact]
    public void Int16_dot_products_and_sums_are_exact()
    {
        var random = new Random(2);
        foreach (int length in Enumerable.Range(0, 70).Concat([255, 1024, 1040, 4096 + 7]))
        {
            var a = Enumerable.Range(0, length).Select(_ => random.Next(4) == 0 ? short.MinValue : (short)random.Next(short.MinValue, short.MaxValue + 1)).ToArray();
            var s = Enumerable.Range(0, length).Select(_ => random.Next(4) == 0 ? sbyte.MinValue : (sbyte)random.Next(-128, 128)).ToArray();
            var u = Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)).ToArray();
            long expectedSigned = 0, expectedUnsigned = 0, expectedSum = 0;
            for (int i = 0; i < length; i++)
            {
                expectedSigned += (long)a[i] * s[i];
                expectedUnsigned += (long)a[i] * u[i];
                expectedSum += a[i];
            }
            Assert.Equal(expectedSigned, Int16Dot.Dot(a, s));
            Assert.Equal(expectedUnsigned, Int16Dot.Dot(a, u));
            Assert.Equal(expectedSum, Int16Dot.Sum(a));
        }
        // The worst case for the int32 lanes: every product (−32768)·(−128) = 2^22, over more than one chunk.
        int worst = 16 * Int16Dot.ChunkSteps * 3 + 5;
        var lowest = Enumerable.Repeat(short.MinValue, worst).ToArray();
        var lowestWeights = Enumerable.Repeat(sbyte.MinValue, worst).ToArray();
        Assert.Equal((long)worst << 22, Int16Dot.Dot(lowest, lowestWeights));
        Assert.Equal((long)worst * short.MinValue, Int16Dot.Sum(lowest));
    }

    public static IEnumerable<object[]> GemmCases() =>
        from weightType in new[] { ElementType.Int8, ElementType.UInt8 }
        from outputType in new[] { ElementType.Int8, ElementType.UInt8, ElementType.Int16 }
        from depth in new[] { 1, 17, 192, 4100 }
        select new object[] { weightType, outputType, depth };

    [Theory]
    [MemberData(nameof(GemmCases))]
    public void Int16_activation_gemm_matches_QGemm(ElementType weightType, ElementType outputType, int depth)
    {
        var random = new Random(depth);
        const int rows = 3, columns = 11;
        // K = 4100 at full range overflows int32 (4100 · 2^15 · 2^7 > 2^31): the int64 accumulator must be exact.
        var a = Enumerable.Range(0, rows * depth).Select(_ => random.Next(3) == 0 ? short.MaxValue : (short)random.Next(short.MinValue, short.MaxValue + 1)).ToArray();
        var (wMin, wMax) = weightType == ElementType.Int8 ? (-128, 127) : (0, 255);
        var w = Enumerable.Range(0, depth * columns).Select(_ => random.Next(3) == 0 ? wMax : random.Next(wMin, wMax + 1)).ToArray();
        var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-1 << 20, 1 << 20)).ToArray();
        int aZeroPoint = depth == 17 ? 5 : 0;
        var weightZeroPoints = Enumerable.Range(0, columns).Select(n => weightType == ElementType.Int8 ? (depth == 192 ? n - 5 : 0) : 128 + n).ToArray();
        var realMultipliers = Enumerable.Range(0, columns).Select(n => Math.Pow(2, -12 - n % 5) * (1 + random.NextDouble())).ToArray();
        var (yMin, yMax) = outputType switch { ElementType.Int8 => (-128, 127), ElementType.UInt8 => (0, 255), _ => (-32768, 32767) };
        int yZeroPoint = outputType == ElementType.UInt8 ? 120 : 0;
        var attributes = IntegerHarness.FixedPoint(outputType, yZeroPoint, realMultipliers, yMin, yMax);
        attributes.Add(IntegerHarness.Int("a_zero_point", aZeroPoint));
        attributes.Add(IntegerHarness.Ints("w_zero_point", weightZeroPoints.Select(v => (long)v).ToArray()));
        var node = IntegerHarness.Node("QGemm", 3, attributes);
        var weightsTensor = weightType == ElementType.Int8
            ? Tensor.Create(new Shape(depth, columns), w.Select(v => (sbyte)v).ToArray())
            : Tensor.Create(new Shape(depth, columns), w.Select(v => (byte)v).ToArray());
        var expected = IntegerHarness.Run(new QGemm(), node,
            [Tensor.Create(new Shape(rows, depth), a), weightsTensor, Tensor.Create(new Shape(columns), bias)], constantInputs: true).ToInt64Array();

        // The kernel's weights packed NK: row n holds column n's K weights.
        var multipliers = ((long[])attributes.First(x => x.Name == "multiplier").Value!).Select(v => (int)v).ToArray();
        var shifts = ((long[])attributes.First(x => x.Name == "shift").Value!).Select(v => (int)v).ToArray();
        long[] fast, scalar;
        if (weightType == ElementType.Int8)
        {
            var packed = new sbyte[columns * depth];
            for (int k = 0; k < depth; k++) for (int n = 0; n < columns; n++) packed[n * depth + k] = (sbyte)w[k * columns + n];
            (fast, scalar) = Both<sbyte>(packed);
        }
        else
        {
            var packed = new byte[columns * depth];
            for (int k = 0; k < depth; k++) for (int n = 0; n < columns; n++) packed[n * depth + k] = (byte)w[k * columns + n];
            (fast, scalar) = Both<byte>(packed);
        }
        Assert.Equal(expected, scalar);
        Assert.Equal(expected, fast);

        (long[] Fast, long[] Scalar) Both<TW>(TW[] packed) where TW : unmanaged => outputType switch
        {
            ElementType.Int8 => Run<TW, sbyte>(packed),
            ElementType.UInt8 => Run<TW, byte>(packed),
            _ => Run<TW, short>(packed),
        };

        (long[] Fast, long[] Scalar) Run<TW, TY>(TW[] packed) where TW : unmanaged where TY : unmanaged
        {
            var y1 = new TY[rows * columns];
            var y2 = new TY[rows * columns];
            Int16Gemm.FixedPoint<TW, TY>(a, rows, depth, aZeroPoint, packed, columns, weightZeroPoints, bias, multipliers, shifts, yZeroPoint, yMin, yMax, y1);
            Int16Gemm.FixedPointScalar<TW, TY>(a, rows, depth, aZeroPoint, packed, columns, weightZeroPoints, bias, multipliers, shifts, yZeroPoint, yMin, yMax, y2);
            return (Tensor.Create(new Shape(y1.Length), y1).ToInt64Array(), Tensor.Create(new Shape(y2.Length), y2).ToInt64Array());
        }
    }

    [Fact]
    public void Wide_table_lookup_reads_entry_x_plus_32768()
    {
        var random = new Random(4);
        var table = Enumerable.Range(0, WideTableLookup.Entries).Select(_ => (short)random.Next(short.MinValue, short.MaxValue + 1)).ToArray();
        var x = Enumerable.Range(0, 1000).Select(i => i < 2 ? (i == 0 ? short.MinValue : short.MaxValue) : (short)random.Next(short.MinValue, short.MaxValue + 1)).ToArray();
        var y = new short[x.Length];
        WideTableLookup.Apply<short>(x, table, y);
        for (int i = 0; i < x.Length; i++) Assert.Equal(table[x[i] - short.MinValue], y[i]);
        Assert.Throws<ArgumentException>(() => WideTableLookup.Apply<short>(x, table.AsSpan(1).ToArray(), y));
    }

    [Fact]
    public void Int16_linear_quantization_follows_the_ONNX_rules()
    {
        const float scale = 0.0125f;
        float[] values = [0f, 0.00625f, -0.00625f, 0.01875f, 409.6f, 1e9f, -1e9f, float.NaN, 3.3f, -7.77f];
        var quantized = new short[values.Length];
        WideQuantization.Quantize(values, quantized, scale, 0);
        for (int i = 0; i < values.Length; i++)
        {
            // Independent statement: round half to even of the float32 quotient, saturated; NaN to the minimum.
            float q = values[i] / scale;
            int expected = float.IsNaN(q) ? short.MinValue : (int)Math.Clamp(Math.Round((double)q, MidpointRounding.ToEven), short.MinValue, short.MaxValue);
            Assert.Equal(expected, quantized[i]);
        }
        short[] stored = [short.MinValue, -1, 0, 1, short.MaxValue];
        var restored = new float[stored.Length];
        WideQuantization.Dequantize(stored, restored, scale, 0);
        for (int i = 0; i < stored.Length; i++) Assert.Equal((float)stored[i] * scale, restored[i]);
        // The int16 and 8-bit rules agree where both apply.
        Assert.Equal(EdgeQuantization.QuantizeValue(1.3f, scale, 0, short.MinValue, short.MaxValue), WideQuantizationValue(1.3f, scale));
    }

    public static IEnumerable<object[]> LayerNormCases() =>
        from inputType in new[] { ElementType.Int16, ElementType.Int8 }
        from outputType in new[] { ElementType.Int16, ElementType.Int8, ElementType.UInt8 }
        from channels in new[] { 1, 8, 192, 768, 1290 }
        where inputType == ElementType.Int16 || outputType == ElementType.Int16
        select new object[] { inputType, outputType, channels };

    /// <summary>
    /// ILayerNorm with int16 on either side: the runtime's fast path (the variance identity, the per-value division) and
    /// its scalar specification against the compiler's operator, bit for bit, on random full-range rows, rows of few
    /// distinct values (the per-value path), constant rows, and rows at the int16 extremes.
    /// </summary>
    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void Int16_layer_norm_matches_ILayerNorm(ElementType inputType, ElementType outputType, int channels)
    {
        var random = new Random(channels);
        var gamma = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 1.6 - 0.3)).ToArray();
        var beta = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 0.6 - 0.3)).ToArray();
        var input = QuantizationParameters.PerTensor(inputType, inputType == ElementType.Int16 ? 0.0004f : 0.1f, inputType == ElementType.Int8 ? 3 : 0);
        var output = QuantizationParameters.PerTensor(outputType, outputType == ElementType.Int16 ? 0.0002f : 0.03f, outputType == ElementType.UInt8 ? 128 : 0);
        var attributes = ILayerNorm.Create(input, output, gamma, beta, 1e-5f);
        var node = IntegerHarness.Node("ILayerNorm", 1, attributes.Values);
        var multipliers = ((long[])attributes["multiplier"].Value!).Select(v => (int)v).ToArray();
        var shifts = ((long[])attributes["shift"].Value!).Select(v => (int)v).ToArray();
        var biases = (long[])attributes["bias"].Value!;
        long epsilon = (long)attributes["epsilon_term"].Value!;
        int xZeroPoint = (int)(long)attributes["x_zero_point"].Value!, yZeroPoint = (int)(long)attributes["y_zero_point"].Value!;

        const int rows = 6;
        var (low, high) = inputType == ElementType.Int16 ? (-32768, 32767) : (-128, 127);
        var values = new int[rows * channels];
        for (int c = 0; c < channels; c++)
        {
            values[c] = random.Next(low, high + 1);                                      // full range
            values[channels + c] = random.Next(-40, 41) * 7;                             // clustered
            values[2 * channels + c] = 100 + c % 5;                                      // five distinct values
            values[3 * channels + c] = -7;                                               // constant
            values[4 * channels + c] = c % 2 == 0 ? low : high;                          // extremes
            values[5 * channels + c] = c == 0 ? high : random.Next(-3, 4);               // one large value
        }
        var shape = new Shape(rows, channels);
        var x = inputType == ElementType.Int16
            ? Tensor.Create(shape, values.Select(v => (short)v).ToArray())
            : Tensor.Create(shape, values.Select(v => (sbyte)Math.Clamp(v, -128, 127)).ToArray());
        var expected = IntegerHarness.Run(new ILayerNorm(), node, [x]).ToInt64Array();

        long[] Kernel<TX, TY>(TX[] xs, bool fast) where TX : unmanaged where TY : unmanaged
        {
            var ys = new TY[xs.Length];
            if (fast) IntegerLayerNorm.Rows<TX, TY>(xs, ys, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);
            else IntegerLayerNorm.RowsScalar<TX, TY>(xs, ys, xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint);
            return Tensor.Create(shape, ys).ToInt64Array();
        }
        long[] Both<TX>(TX[] xs, bool fast) where TX : unmanaged => outputType switch
        {
            ElementType.Int16 => Kernel<TX, short>(xs, fast),
            ElementType.Int8 => Kernel<TX, sbyte>(xs, fast),
            _ => Kernel<TX, byte>(xs, fast),
        };
        foreach (bool fast in new[] { false, true })
        {
            var actual = inputType == ElementType.Int16 ? Both(x.As<short>(), fast) : Both(x.As<sbyte>(), fast);
            Assert.Equal(expected, actual);
        }
    }

    public static IEnumerable<object[]> AddCases() =>
        from aType in new[] { ElementType.Int16, ElementType.Int8, ElementType.UInt8 }
        from bType in new[] { ElementType.Int16, ElementType.Int8 }
        from yType in new[] { ElementType.Int16, ElementType.Int8, ElementType.UInt8 }
        where aType == ElementType.Int16 || bType == ElementType.Int16 || yType == ElementType.Int16
        select new object[] { aType, bType, yType };

    /// <summary>
    /// QAdd with a 16-bit side: the runtime's block kernel (AVX2 rescaling) and its scalar specification against the
    /// compiler's QAdd, bit for bit, with attributes chosen as lowering chooses them (the largest exact left_shift),
    /// over random values, the extremes and every tail length of the vector loop (lengths up to 300).
    /// </summary>
    [Theory]
    [MemberData(nameof(AddCases))]
    public void Wide_rescaled_add_matches_QAdd(ElementType aType, ElementType bType, ElementType yType)
    {
        var random = new Random(19);
        float Scale(ElementType type) => type == ElementType.Int16 ? 0.0004f : 0.05f;
        int ZeroPoint(ElementType type) => type == ElementType.UInt8 ? 128 : type == ElementType.Int8 ? -3 : 0;
        double twiceMax = 2.0 * Math.Max(Scale(aType), Scale(bType));
        var (am, ashift) = QuantizationMath.ToFixedPoint(Scale(aType) / twiceMax);
        var (bm, bshift) = QuantizationMath.ToFixedPoint(Scale(bType) * 0.7 / twiceMax);
        int leftShift = QAdd.LargestExactLeftShift(aType, ZeroPoint(aType), bType, ZeroPoint(bType), (am, ashift), (bm, bshift));
        Assert.True(leftShift >= 0);
        var (om, oshift) = QuantizationMath.ToFixedPoint(twiceMax / ((1 << leftShift) * (double)Scale(yType) * 1.3));
        var (min, max) = yType switch { ElementType.Int8 => (-128, 127), ElementType.UInt8 => (0, 255), _ => (-32768, 32767) };
        var attributes = new List<Octet.Compiler.Graph.Attribute>
        {
            IntegerHarness.Int("a_zero_point", ZeroPoint(aType)), IntegerHarness.Int("b_zero_point", ZeroPoint(bType)),
            IntegerHarness.Int("left_shift", leftShift), IntegerHarness.Int("a_multiplier", am), IntegerHarness.Int("a_shift", ashift),
            IntegerHarness.Int("b_multiplier", bm), IntegerHarness.Int("b_shift", bshift), IntegerHarness.String("requant", "fixed-point"),
            IntegerHarness.Ints("multiplier", om), IntegerHarness.Ints("shift", oshift), IntegerHarness.Int("y_zero_point", ZeroPoint(yType)),
            IntegerHarness.Int("clamp_min", min), IntegerHarness.Int("clamp_max", max), IntegerHarness.Int("y_type", (int)yType),
        };
        var node = IntegerHarness.Node("QAdd", 2, attributes);
        Tensor Operand(ElementType type, int length)
        {
            var (lo, hi) = type switch { ElementType.Int8 => (-128, 127), ElementType.UInt8 => (0, 255), _ => (-32768, 32767) };
            var values = Enumerable.Range(0, length).Select(i => i % 7 == 0 ? lo : i % 7 == 1 ? hi : random.Next(lo, hi + 1)).ToArray();
            return type switch
            {
                ElementType.Int8 => Tensor.Create(new Shape(length), values.Select(v => (sbyte)v).ToArray()),
                ElementType.UInt8 => Tensor.Create(new Shape(length), values.Select(v => (byte)v).ToArray()),
                _ => Tensor.Create(new Shape(length), values.Select(v => (short)v).ToArray()),
            };
        }
        foreach (int length in Enumerable.Range(1, 20).Concat([255, 256, 257, 300]))
        {
            var a = Operand(aType, length);
            var b = Operand(bType, length);
            var expected = IntegerHarness.Run(new QAdd(), node, [a, b]).ToInt64Array();
            foreach (bool fast in new[] { false, true })
                Assert.Equal(expected, Dispatch(a, b, fast));
        }

        long[] Dispatch(Tensor a, Tensor b, bool fast) => (a.ElementType, b.ElementType) switch
        {
            (ElementType.Int16, ElementType.Int16) => Output(a.As<short>(), b.As<short>(), fast),
            (ElementType.Int16, _) => Output(a.As<short>(), b.As<sbyte>(), fast),
            (ElementType.Int8, ElementType.Int16) => Output(a.As<sbyte>(), b.As<short>(), fast),
            (ElementType.Int8, _) => Output(a.As<sbyte>(), b.As<sbyte>(), fast),
            (_, ElementType.Int16) => Output(a.As<byte>(), b.As<short>(), fast),
            _ => Output(a.As<byte>(), b.As<sbyte>(), fast),
        };
        long[] Output<TA, TB>(TA[] a, TB[] b, bool fast) where TA : unmanaged where TB : unmanaged => yType switch
        {
            ElementType.Int16 => Add<TA, TB, short>(a, b, fast),
            ElementType.Int8 => Add<TA, TB, sbyte>(a, b, fast),
            _ => Add<TA, TB, byte>(a, b, fast),
        };
        long[] Add<TA, TB, TY>(TA[] a, TB[] b, bool fast) where TA : unmanaged where TB : unmanaged where TY : unmanaged
        {
            var y = new TY[a.Length];
            if (fast) WideRescaledAdd.FixedPoint<TA, TB, TY>(a, b, ZeroPoint(aType), ZeroPoint(bType), leftShift, am, ashift, bm, bshift, om, oshift, ZeroPoint(yType), min, max, y);
            else WideRescaledAdd.FixedPointScalar<TA, TB, TY>(a, b, ZeroPoint(aType), ZeroPoint(bType), leftShift, am, ashift, bm, bshift, om, oshift, ZeroPoint(yType), min, max, y);
            return Tensor.Create(new Shape(y.Length), y).ToInt64Array();
        }
    }

    private static int WideQuantizationValue(float x, float scale)
    {
        var output = new short[1];
        WideQuantization.Quantize([x], output, scale, 0);
        return output[0];
    }
}
