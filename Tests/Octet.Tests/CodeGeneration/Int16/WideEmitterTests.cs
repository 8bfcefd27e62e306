using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Operators.Quantization.Contrib;
using Octet.Compiler.Quantization;
using Octet.Tests.Operators.Integer;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int16;

/// <summary>
/// The emitted kernels of the ops that take 16-bit activations (the residual stream of an integer transformer,
/// contract in docs/integer-transformers.md) against the compiler's reference operators, bit for bit: QGemm and
/// QMatMul with an int16 A (int64 accumulators, K large enough to overflow int32), an 8-bit A writing an int16 Y (the
/// blocked GEMM with the int16 row requantization), Requantize int16 ↔ 8-bit, QAdd on int16 operands, Table with a
/// 65,536-entry table read from the weights, ILayerNorm with int16 input/output, DequantizeLinear of an int16 tensor.
/// </summary>
public sealed class WideEmitterTests
{
    private static Tensor Int16Tensor(Random random, int[] shape, int low = short.MinValue, int high = short.MaxValue) =>
        Tensor.Create(new Shape(shape), Enumerable.Range(0, (int)new Shape(shape).ElementCount)
            .Select(i => i < 2 ? (short)(i == 0 ? low : high) : (short)random.Next(low, high + 1)).ToArray());

    private static Tensor EightBit(Random random, ElementType type, int[] shape)
    {
        int count = (int)new Shape(shape).ElementCount;
        return type == ElementType.Int8
            ? Tensor.Create(new Shape(shape), Enumerable.Range(0, count).Select(_ => (sbyte)random.Next(-128, 128)).ToArray())
            : Tensor.Create(new Shape(shape), Enumerable.Range(0, count).Select(_ => (byte)random.Next(256)).ToArray());
    }

    private static (int Min, int Max) TypeRange(ElementType type) =>
        type switch { ElementType.Int8 => (-128, 127), ElementType.UInt8 => (0, 255), _ => (short.MinValue, short.MaxValue) };

    /// <summary>[K, N] stored as [N][K] (the plan's NK packing: the logical shape stays [K, N], the layout says how it is stored).</summary>
    private static Tensor PackNk(Tensor w)
    {
        int k = w.Shape[0], n = w.Shape[1];
        var values = w.ToInt64Array();
        var packed = new long[values.Length];
        for (int r = 0; r < k; r++) for (int c = 0; c < n; c++) packed[c * k + r] = values[r * n + c];
        return w.ElementType == ElementType.Int8
            ? Tensor.Create(new Shape(k, n), packed.Select(v => (sbyte)v).ToArray())
            : Tensor.Create(new Shape(k, n), packed.Select(v => (byte)v).ToArray());
    }

    private static List<Attribute> Requantization(Random random, ElementType yType, int channels, double scale, int zeroPoint = 0)
    {
        var (min, max) = TypeRange(yType);
        return FixedPoint(yType, zeroPoint, Enumerable.Range(0, channels).Select(_ => scale * (0.5 + random.NextDouble())).ToArray(), min, max);
    }

    public static TheoryData<ElementType, int, int> WideGemmCases() => new()
    {
        { ElementType.Int16, 1, 192 },
        { ElementType.Int16, 197, 64 },
        { ElementType.Int8, 5, 4100 },
        { ElementType.UInt8, 3, 33 },
    };

    [Theory]
    [MemberData(nameof(WideGemmCases))]
    public void QGemm_with_int16_activation_matches_reference(ElementType yType, int rows, int depth)
    {
        var random = new Random(rows * depth);
        const int columns = 10;
        var a = Int16Tensor(random, [rows, depth]);
        var w = EightBit(random, ElementType.Int8, [depth, columns]);
        var bias = Tensor.Create(new Shape(columns), Enumerable.Range(0, columns).Select(_ => random.Next(-1 << 24, 1 << 24)).ToArray());
        // The accumulator reaches K · 2^22: with 4,100 products it does not fit int32, so the int64 path is exercised.
        var attributes = Requantization(random, yType, columns, Math.Pow(2, -14) / Math.Sqrt(depth), yType == ElementType.UInt8 ? 128 : 0);
        attributes.Add(Ints("w_zero_point", Enumerable.Range(0, columns).Select(n => (long)(n % 3 - 1)).ToArray()));
        var expected = Run(new QGemm(), Node("QGemm", 3, attributes), [a, w, bias], constantInputs: true);

        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("a", a), harness.Weights("w", PackNk(w), "NK"), harness.Weights("b", bias) };
        harness.Arena("y", null, yType, [rows, columns]);
        var (actual, source) = harness.Run("octet.QGemm", inputs, "y", attributes);
        WideKernelHarness.AssertIdentical(expected, actual, source);
        Assert.Contains("Int16Gemm.FixedPoint<sbyte, ", source);
    }

    [Theory]
    [InlineData(ElementType.Int8, 60, 64, 24)]
    [InlineData(ElementType.UInt8, 7, 30, 17)]
    public void QGemm_with_eight_bit_activation_writes_int16_output(ElementType aType, int rows, int depth, int columns)
    {
        var random = new Random(depth);
        var a = EightBit(random, aType, [rows, depth]);
        var w = EightBit(random, ElementType.Int8, [depth, columns]);
        var bias = Tensor.Create(new Shape(columns), Enumerable.Range(0, columns).Select(_ => random.Next(-5000, 5000)).ToArray());
        var attributes = Requantization(random, ElementType.Int16, columns, 1.0 / 64);
        attributes.Add(Int("a_zero_point", aType == ElementType.UInt8 ? 128 : 0));
        var expected = Run(new QGemm(), Node("QGemm", 3, attributes), [a, w, bias], constantInputs: true);
        Assert.Equal(ElementType.Int16, expected.ElementType);

        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("a", a), harness.Weights("w", PackNk(w), "NK"), harness.Weights("b", bias) };
        harness.Arena("y", null, ElementType.Int16, [rows, columns]);
        var (actual, source) = harness.Run("octet.QGemm", inputs, "y", attributes);
        WideKernelHarness.AssertIdentical(expected, actual, source);
        // The blocked int8 GEMM, its int32 products requantized by the int16 row kernel (no fused 8-bit epilogue).
        Assert.Contains("Int8Gemm.Multiply(", source);
        Assert.Contains("WideRequantizeRow.FixedPoint(", source);
        Assert.DoesNotContain("MultiplyRequantize", source);
    }

    [Theory]
    [InlineData(ElementType.Int16)]
    [InlineData(ElementType.Int8)]
    public void QMatMul_with_int16_activation_and_constant_B_matches_reference(ElementType yType)
    {
        var random = new Random(21);
        const int depth = 48, columns = 12;
        var a = Int16Tensor(random, [2, 5, depth]);
        var b = EightBit(random, ElementType.Int8, [depth, columns]);
        var attributes = Requantization(random, yType, 1, Math.Pow(2, -12));
        attributes.Add(Int("b_zero_point", 3));
        var expected = Run(new QMatMul(), Node("QMatMul", 2, attributes), [a, b], constantInputs: true);

        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("a", a), harness.Weights("b", PackNk(b), "NK") };
        harness.Arena("y", null, yType, [2, 5, columns]);
        var (actual, source) = harness.Run("octet.QMatMul", inputs, "y", attributes);
        WideKernelHarness.AssertIdentical(expected, actual, source);
    }

    [Theory]
    [InlineData(ElementType.Int16, ElementType.Int8)]
    [InlineData(ElementType.Int16, ElementType.UInt8)]
    [InlineData(ElementType.Int8, ElementType.Int16)]
    [InlineData(ElementType.UInt8, ElementType.Int16)]
    [InlineData(ElementType.Int16, ElementType.Int16)]
    public void Requantize_between_int16_and_eight_bit_matches_reference(ElementType xType, ElementType yType)
    {
        var random = new Random(3);
        var x = xType == ElementType.Int16 ? Int16Tensor(random, [4, 33]) : EightBit(random, xType, [4, 33]);
        // 16 → 8 bits: a coarser scale (the stream's 8-bit copy); 8 → 16 bits: a finer one.
        double multiplier = xType == ElementType.Int16 ? 1.0 / 97 : 53.7;
        if (xType == ElementType.Int16 && yType == ElementType.Int16) multiplier = 0.61;
        var (min, max) = TypeRange(yType);
        var attributes = FixedPoint(yType, yType == ElementType.UInt8 ? 128 : 0, [multiplier], min, max);
        attributes.Add(Int("x_zero_point", xType == ElementType.UInt8 ? 120 : 0));
        var expected = Run(new Requantize(), Node("Requantize", 1, attributes), [x]);

        var harness = new WideKernelHarness();
        harness.Arena("y", null, yType, [4, 33]);
        var inputs = new[] { harness.Arena("x", x) };
        var (actual, source) = harness.Run("octet.Requantize", inputs, "y", attributes);
        WideKernelHarness.AssertIdentical(expected, actual, source);
    }

    [Fact]
    public void DequantizeLinear_of_an_int16_tensor_matches_reference()
    {
        var random = new Random(8);
        var x = Int16Tensor(random, [3, 10]);
        var scale = Tensor.Create(new Shape([]), new[] { 0.0037f });
        var zeroPoint = Tensor.Create(new Shape([]), new short[] { 0 });
        var node = new Node("n", "DequantizeLinear", "com.microsoft", 1, ["in0", "in1", "in2"], ["out0"], new Dictionary<string, Attribute>());
        var expected = Octet.Tests.Operators.NeuralNetwork.OperatorHarness.Run(new MicrosoftDequantizeLinear(), node, [x, scale, zeroPoint])[0];

        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("x", x), harness.Inline("scale", scale), harness.Inline("zp", zeroPoint) };
        harness.Arena("y", null, ElementType.Float32, [3, 10]);
        var (actual, source) = harness.Run("DequantizeLinear", inputs, "y", []);
        // float32 compared bit for bit: the same single float32 multiply (q − zp) · scale on both sides.
        WideKernelHarness.AssertIdentical(expected, actual, source);
        Assert.Contains("WideQuantization.Dequantize(", source);
    }

    public static TheoryData<ElementType, ElementType, ElementType> AddCases() => new()
    {
        { ElementType.Int16, ElementType.Int16, ElementType.Int16 },
        { ElementType.Int16, ElementType.Int8, ElementType.Int16 },
        { ElementType.Int8, ElementType.Int8, ElementType.Int16 },
        { ElementType.Int16, ElementType.Int16, ElementType.Int8 },
    };

    /// <summary>
    /// QAdd on int16 operands: the attributes come from the compiler's own choice for the scales (as lowering makes
    /// it), so the test follows whatever exact formulation the operator documents.
    /// </summary>
    [Theory]
    [MemberData(nameof(AddCases))]
    public void QAdd_with_int16_operands_matches_reference(ElementType aType, ElementType bType, ElementType yType)
    {
        var random = new Random(17);
        var a = aType == ElementType.Int16 ? Int16Tensor(random, [3, 40]) : EightBit(random, aType, [3, 40]);
        var b = bType == ElementType.Int16 ? Int16Tensor(random, [3, 40]) : EightBit(random, bType, [3, 40]);
        QuantizationParameters Parameters(ElementType type, float scale) => QuantizationParameters.PerTensor(type, scale, 0);
        var attributes = QAddAttributes(Parameters(aType, aType == ElementType.Int16 ? 0.0003f : 0.05f),
            Parameters(bType, bType == ElementType.Int16 ? 0.0005f : 0.04f), Parameters(yType, yType == ElementType.Int16 ? 0.0007f : 0.1f));
        var expected = Run(new QAdd(), Node("QAdd", 2, attributes), [a, b]);

        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("a", a), harness.Arena("b", b) };
        harness.Arena("y", null, yType, [3, 40]);
        var (actual, source) = harness.Run("octet.QAdd", inputs, "y", attributes);
        WideKernelHarness.AssertIdentical(expected, actual, source);
        // Same-shape operands with a 16-bit side go through the block kernel (8-bit ones keep their 256-entry tables).
        Assert.Contains("WideRescaledAdd.FixedPoint<", source);
    }

    /// <summary>
    /// The fixed-point QAdd attributes as lowering chooses them (TFLite's scheme: a common scale 2·max(s_a, s_b), the
    /// largest exact <c>left_shift</c> the operator accepts, <see cref="QAdd.LargestExactLeftShift"/>).
    /// </summary>
    private static List<Attribute> QAddAttributes(QuantizationParameters a, QuantizationParameters b, QuantizationParameters y)
    {
        double twiceMax = 2.0 * Math.Max(a.Scale, b.Scale);
        var (am, ashift) = QuantizationMath.ToFixedPoint(a.Scale / twiceMax);
        var (bm, bshift) = QuantizationMath.ToFixedPoint(b.Scale / twiceMax);
        int leftShift = QAdd.LargestExactLeftShift(a.StorageType, a.ZeroPoint, b.StorageType, b.ZeroPoint, (am, ashift), (bm, bshift));
        Assert.True(leftShift >= 0);
        var (om, oshift) = QuantizationMath.ToFixedPoint(twiceMax / ((1 << leftShift) * (double)y.Scale));
        var (min, max) = TypeRange(y.StorageType);
        return
        [
            Int("a_zero_point", a.ZeroPoint), Int("b_zero_point", b.ZeroPoint), Int("left_shift", leftShift),
            Int("a_multiplier", am), Int("a_shift", ashift), Int("b_multiplier", bm), Int("b_shift", bshift),
            String("requant", "fixed-point"), Ints("multiplier", om), Ints("shift", oshift),
            Int("y_zero_point", y.ZeroPoint), Int("clamp_min", min), Int("clamp_max", max), Int("y_type", (int)y.StorageType),
        ];
    }

    [Theory]
    [InlineData(ElementType.Int8)]
    [InlineData(ElementType.Int16)]
    public void Table_with_int16_input_reads_its_entries_from_the_weights(ElementType yType)
    {
        var random = new Random(6);
        var x = Int16Tensor(random, [5, 41]);
        var (min, max) = TypeRange(yType);
        var entries = Enumerable.Range(0, 1 << 16).Select(_ => (long)random.Next(min, max + 1)).ToArray();
        var attributes = new List<Attribute> { Ints("table", entries), Int("y_type", (int)yType) };
        var expected = Run(new Table(), Node("Table", 1, attributes), [x]);

        var harness = new WideKernelHarness();
        var table = yType == ElementType.Int8
            ? Tensor.Create(new Shape(1 << 16), entries.Select(v => (sbyte)v).ToArray())
            : Tensor.Create(new Shape(1 << 16), entries.Select(v => (short)v).ToArray());
        var inputs = new[] { harness.Arena("x", x), harness.Weights("n__table", table) };
        harness.Arena("y", null, yType, [5, 41]);
        // The plan's form: y_type only; the entries are the second input.
        var (actual, source) = harness.Run("octet.Table", inputs, "y", [Int("y_type", (int)yType)]);
        WideKernelHarness.AssertIdentical(expected, actual, source);
        Assert.Contains("WideTableLookup.Apply(x, table, y)", source);
        Assert.True(source.Length < 20_000, "the table must not be written into the source");
    }

    [Fact]
    public void Table_with_int16_input_and_only_an_attribute_is_refused()
    {
        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("x", Int16Tensor(new Random(1), [4])) };
        harness.Arena("y", null, ElementType.Int8, [4]);
        var (_, problems) = harness.Emit("octet.Table", inputs, "y", [Ints("table", new long[1 << 16]), Int("y_type", 3)]);
        Assert.Contains(problems, p => p.Contains("second (weights) input", StringComparison.Ordinal));
    }

    public static TheoryData<ElementType, ElementType, int> LayerNormCases() => new()
    {
        { ElementType.Int16, ElementType.Int16, 8 },
        { ElementType.Int16, ElementType.Int16, 192 },
        { ElementType.Int16, ElementType.Int8, 300 },
        { ElementType.Int8, ElementType.Int16, 64 },
    };

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void ILayerNorm_with_int16_matches_reference(ElementType xType, ElementType yType, int channels)
    {
        var random = new Random(channels);
        var gamma = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 1.6 - 0.3)).ToArray();
        var beta = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 0.6 - 0.3)).ToArray();
        var input = QuantizationParameters.PerTensor(xType, xType == ElementType.Int16 ? 0.0004f : 0.1f, 0);
        var output = QuantizationParameters.PerTensor(yType, yType == ElementType.Int16 ? 0.0002f : 0.03f, 0);
        var attributes = ILayerNorm.Create(input, output, gamma, beta, 1e-5f);
        // Rows of full-range values, a row of few distinct values (the per-value path) and a constant row.
        var x = xType == ElementType.Int16 ? Int16Tensor(random, [6, channels]) : EightBit(random, xType, [6, channels]);
        if (xType == ElementType.Int16)
        {
            var values = x.As<short>();
            for (int c = 0; c < channels; c++) { values[4 * channels + c] = (short)(100 + c % 5); values[5 * channels + c] = -7; }
        }
        var expected = Run(new ILayerNorm(), Node("ILayerNorm", 1, attributes.Values), [x]);

        var harness = new WideKernelHarness();
        var inputs = new[] { harness.Arena("x", x) };
        harness.Arena("y", null, yType, [6, channels]);
        var (actual, source) = harness.Run("octet.ILayerNorm", inputs, "y", attributes.Values);
        WideKernelHarness.AssertIdentical(expected, actual, source);
    }
}
