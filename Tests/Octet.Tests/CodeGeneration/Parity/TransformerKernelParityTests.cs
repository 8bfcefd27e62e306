using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Octet.Runtime.Transformer;
using Octet.Tests.Operators.Integer;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// The runtime kernels of the integer transformer operators (<c>Octet.Runtime.Transformer</c>) against the
/// reference operators they implement (<c>Operators/Integer/Transformer</c>, the specification), bit for bit:
/// both the runtime's scalar specification path and its fast path (exponent / value tables, the LayerNorm
/// variance identity), for int8 and uint8 inputs and outputs, random rows and the edge cases (all equal,
/// extremes, one large value, rows with fewer distinct values than channels).
/// </summary>
public sealed class TransformerKernelParityTests
{
    public static IEnumerable<object[]> SoftmaxCases() =>
        from method in new[] { ISoftmax.IbertMethod, ISoftmax.ShiftmaxMethod }
        from inputType in new[] { ElementType.Int8, ElementType.UInt8 }
        from outputType in new[] { ElementType.Int8, ElementType.UInt8 }
        from scale in new[] { 0.02f, 0.1f, 0.25f }
        select new object[] { method, inputType, outputType, scale };

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void Softmax_kernel_matches_ISoftmax(string method, ElementType inputType, ElementType outputType, float scale)
    {
        var attributes = ISoftmax.Create(method, scale, outputType);
        var node = IntegerHarness.Node("ISoftmax", 1, attributes.Values);
        var runtimeMethod = method == ISoftmax.ShiftmaxMethod ? SoftmaxMethod.Shiftmax : SoftmaxMethod.Ibert;
        int multiplier = (int)(long)attributes["x_multiplier"].Value!, shift = (int)(long)attributes["x_shift"].Value!;
        var random = new Random(7);
        foreach (int length in new[] { 1, 2, 8, 17, 197 })
        {
            var values = Rows(random, inputType, rows: 6, length);
            var input = EightBitTensor(inputType, new Shape([6, length]), values);
            var expected = Values(IntegerHarness.Run(new ISoftmax(), node, [input]));
            var fast = Dispatch(inputType, outputType, values,
                (x, y) => IntegerSoftmax.Rows(x.Sbytes(), y.Sbytes(), length, runtimeMethod, multiplier, shift),
                (x, y) => IntegerSoftmax.Rows(x.Sbytes(), y.Bytes(), length, runtimeMethod, multiplier, shift),
                (x, y) => IntegerSoftmax.Rows(x.Bytes(), y.Sbytes(), length, runtimeMethod, multiplier, shift),
                (x, y) => IntegerSoftmax.Rows(x.Bytes(), y.Bytes(), length, runtimeMethod, multiplier, shift));
            var scalar = Dispatch(inputType, outputType, values,
                (x, y) => IntegerSoftmax.RowsScalar(x.Sbytes(), y.Sbytes(), length, runtimeMethod, multiplier, shift),
                (x, y) => IntegerSoftmax.RowsScalar(x.Sbytes(), y.Bytes(), length, runtimeMethod, multiplier, shift),
                (x, y) => IntegerSoftmax.RowsScalar(x.Bytes(), y.Sbytes(), length, runtimeMethod, multiplier, shift),
                (x, y) => IntegerSoftmax.RowsScalar(x.Bytes(), y.Bytes(), length, runtimeMethod, multiplier, shift));
            Assert.Equal(expected, scalar);
            Assert.Equal(expected, fast);
        }
    }

    public static IEnumerable<object[]> GeluCases() =>
        from method in new[] { IGelu.IbertMethod, IGelu.ShiftGeluMethod }
        from inputType in new[] { ElementType.Int8, ElementType.UInt8 }
        from outputType in new[] { ElementType.Int8, ElementType.UInt8 }
        from scale in new[] { 0.02f, 0.05f, 0.1f }
        select new object[] { method, inputType, outputType, scale };

    [Theory]
    [MemberData(nameof(GeluCases))]
    public void Gelu_kernel_matches_IGelu(string method, ElementType inputType, ElementType outputType, float scale)
    {
        int inputZeroPoint = inputType == ElementType.Int8 ? -20 : 108;
        var input = QuantizationParameters.PerTensor(inputType, scale, inputZeroPoint);
        // The output covers GELU over the input's range: from about −0.17 to the largest input.
        var (inputMin, inputMax) = IntegerHarness.Range(inputType);
        float outputScale = (float)(((inputMax - inputZeroPoint) * scale + 0.17) / 255);
        int outputZeroPoint = (outputType == ElementType.Int8 ? -128 : 0) + (int)Math.Round(0.17 / outputScale);
        var output = QuantizationParameters.PerTensor(outputType, outputScale, outputZeroPoint);
        var attributes = IGelu.Create(method, input, output);
        var node = IntegerHarness.Node("IGelu", 1, attributes.Values);
        var parameters = new GeluParameters(method == IGelu.ShiftGeluMethod ? GeluMethod.ShiftGelu : GeluMethod.Ibert,
            Int(attributes, "x_zero_point"), Int(attributes, "x_multiplier"), Int(attributes, "x_shift"),
            Ints(attributes, "multiplier"), Ints(attributes, "shift"), Int(attributes, "y_zero_point"), Int(attributes, "clamp_min"), Int(attributes, "clamp_max"));

        var random = new Random(3);
        // Every input value (256 elements: the table path), every third one (fewer than 256: the scalar path), 1,000 random ones.
        foreach (var values in new[]
        {
            Enumerable.Range(inputMin, 256).ToArray(),
            Enumerable.Range(inputMin, 256).Where(v => v % 3 == 0).ToArray(),
            Enumerable.Range(0, 1000).Select(_ => random.Next(inputMin, inputMax + 1)).ToArray(),
        })
        {
            var tensor = EightBitTensor(inputType, new Shape([values.Length]), values);
            var expected = Values(IntegerHarness.Run(new IGelu(), node, [tensor]));
            var fast = Dispatch(inputType, outputType, values,
                (x, y) => IntegerGelu.Apply(x.Sbytes(), y.Sbytes(), parameters),
                (x, y) => IntegerGelu.Apply(x.Sbytes(), y.Bytes(), parameters),
                (x, y) => IntegerGelu.Apply(x.Bytes(), y.Sbytes(), parameters),
                (x, y) => IntegerGelu.Apply(x.Bytes(), y.Bytes(), parameters));
            var scalar = Dispatch(inputType, outputType, values,
                (x, y) => IntegerGelu.ApplyScalar(x.Sbytes(), y.Sbytes(), parameters),
                (x, y) => IntegerGelu.ApplyScalar(x.Sbytes(), y.Bytes(), parameters),
                (x, y) => IntegerGelu.ApplyScalar(x.Bytes(), y.Sbytes(), parameters),
                (x, y) => IntegerGelu.ApplyScalar(x.Bytes(), y.Bytes(), parameters));
            Assert.Equal(expected, scalar);
            Assert.Equal(expected, fast);
        }
    }

    public static IEnumerable<object[]> LayerNormCases() =>
        from inputType in new[] { ElementType.Int8, ElementType.UInt8 }
        from outputType in new[] { ElementType.Int8, ElementType.UInt8 }
        from channels in new[] { 1, 8, 64, 300, 768 }
        select new object[] { inputType, outputType, channels };

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNorm_kernel_matches_ILayerNorm(ElementType inputType, ElementType outputType, int channels)
    {
        var random = new Random(channels);
        var gamma = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 1.6 - 0.3)).ToArray();
        var beta = Enumerable.Range(0, channels).Select(_ => (float)(random.NextDouble() * 0.6 - 0.3)).ToArray();
        var input = QuantizationParameters.PerTensor(inputType, 0.1f, inputType == ElementType.Int8 ? 5 : 130);
        var output = QuantizationParameters.PerTensor(outputType, 0.03f, outputType == ElementType.Int8 ? -3 : 125);
        var attributes = ILayerNorm.Create(input, output, gamma, beta, 1e-5f);
        var node = IntegerHarness.Node("ILayerNorm", 1, attributes.Values);
        var multipliers = ((long[])attributes["multiplier"].Value!).Select(v => (int)v).ToArray();
        var shifts = ((long[])attributes["shift"].Value!).Select(v => (int)v).ToArray();
        var biases = (long[])attributes["bias"].Value!;
        long epsilon = (long)attributes["epsilon_term"].Value!;
        int xZeroPoint = Int(attributes, "x_zero_point"), yZeroPoint = Int(attributes, "y_zero_point");

        var values = Rows(random, inputType, rows: 8, channels);
        var tensor = EightBitTensor(inputType, new Shape([8, channels]), values);
        var expected = Values(IntegerHarness.Run(new ILayerNorm(), node, [tensor]));
        var fast = Dispatch(inputType, outputType, values,
            (x, y) => IntegerLayerNorm.Rows(x.Sbytes(), y.Sbytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint),
            (x, y) => IntegerLayerNorm.Rows(x.Sbytes(), y.Bytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint),
            (x, y) => IntegerLayerNorm.Rows(x.Bytes(), y.Sbytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint),
            (x, y) => IntegerLayerNorm.Rows(x.Bytes(), y.Bytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint));
        var scalar = Dispatch(inputType, outputType, values,
            (x, y) => IntegerLayerNorm.RowsScalar(x.Sbytes(), y.Sbytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint),
            (x, y) => IntegerLayerNorm.RowsScalar(x.Sbytes(), y.Bytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint),
            (x, y) => IntegerLayerNorm.RowsScalar(x.Bytes(), y.Sbytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint),
            (x, y) => IntegerLayerNorm.RowsScalar(x.Bytes(), y.Bytes(), xZeroPoint, epsilon, multipliers, shifts, biases, yZeroPoint));
        Assert.Equal(expected, scalar);
        Assert.Equal(expected, fast);
    }

    public static IEnumerable<object[]> ShiftAttentionCases() =>
        from method in new[] { ISoftmax.IbertMethod, ISoftmax.ShiftmaxMethod }
        from logBase in new[] { IShiftAttention.Log2Base, IShiftAttention.LogSqrt2Base }
        from bits in new[] { 3, 8 }
        from types in new[] { (ElementType.Int8, ElementType.Int8, ElementType.Int8), (ElementType.UInt8, ElementType.UInt8, ElementType.UInt8), (ElementType.Int8, ElementType.UInt8, ElementType.Int8) }
        select new object[] { method, logBase, bits, types.Item1, types.Item2, types.Item3 };

    [Theory]
    [MemberData(nameof(ShiftAttentionCases))]
    public void Shift_attention_kernel_matches_IShiftAttention(string method, string logBase, int bits, ElementType xType, ElementType vType, ElementType yType)
    {
        var values = QuantizationParameters.PerTensor(vType, 0.02f, vType == ElementType.Int8 ? 3 : 131);
        var output = QuantizationParameters.PerTensor(yType, 0.015f, yType == ElementType.Int8 ? -2 : 126);
        var attributes = IShiftAttention.Create(method, logBase, bits, 0.08f, values, output);
        var node = IntegerHarness.Node("IShiftAttention", 2, attributes.Values);
        var parameters = new ShiftAttentionParameters(method == ISoftmax.ShiftmaxMethod ? SoftmaxMethod.Shiftmax : SoftmaxMethod.Ibert,
            Int(attributes, "x_multiplier"), Int(attributes, "x_shift"), logBase == IShiftAttention.LogSqrt2Base, bits, Int(attributes, "v_zero_point"),
            Int(attributes, "multiplier"), Int(attributes, "shift"), Int(attributes, "y_zero_point"),
            IntOr(attributes, "clamp_min", IntegerHarness.Range(yType).Min), IntOr(attributes, "clamp_max", IntegerHarness.Range(yType).Max));
        var random = new Random(bits);
        const int batches = 2, rows = 6, width = 5;
        foreach (int length in new[] { 1, 6, 40 })
        {
            var scores = Rows(random, xType, batches * rows, length);
            var (vMin, vMax) = IntegerHarness.Range(vType);
            var v = Enumerable.Range(0, batches * length * width).Select(_ => random.Next(vMin, vMax + 1)).ToArray();
            var expected = Values(IntegerHarness.Run(new IShiftAttention(), node,
                [EightBitTensor(xType, new Shape([batches, rows, length]), scores), EightBitTensor(vType, new Shape([batches, length, width]), v)]));
            var x = new Buffers(scores);
            var vb = new Buffers(v);
            var y = new Buffers(new int[batches * rows * width]);
            switch (xType, vType, yType)
            {
                case (ElementType.Int8, ElementType.Int8, ElementType.Int8):
                    IntegerShiftAttention.Apply<sbyte, sbyte, sbyte>(x.Sbytes(), vb.Sbytes(), y.Sbytes(), rows, length, width, parameters);
                    break;
                case (ElementType.UInt8, ElementType.UInt8, ElementType.UInt8):
                    IntegerShiftAttention.Apply<byte, byte, byte>(x.Bytes(), vb.Bytes(), y.Bytes(), rows, length, width, parameters);
                    break;
                default:
                    IntegerShiftAttention.Apply<sbyte, byte, sbyte>(x.Sbytes(), vb.Bytes(), y.Sbytes(), rows, length, width, parameters);
                    break;
            }
            var actual = yType == ElementType.Int8 ? y.SignedValues.Select(b => (int)b).ToArray() : y.UnsignedValues.Select(b => (int)b).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>
    /// Rows of 8-bit values: random over the whole range, random within a narrow cluster (fewer distinct values than
    /// channels: LayerNorm's per-value path), all equal, the extremes alternating, one large value among small ones.
    /// </summary>
    private static int[] Rows(Random random, ElementType type, int rows, int length)
    {
        var (min, max) = IntegerHarness.Range(type);
        var values = new int[rows * length];
        for (int r = 0; r < rows; r++)
        {
            int center = random.Next(min + 10, max - 10);
            for (int i = 0; i < length; i++)
                values[r * length + i] = (r % 6) switch
                {
                    0 => random.Next(min, max + 1),
                    1 => center + random.Next(-6, 7),
                    2 => center,
                    3 => i % 2 == 0 ? min : max,
                    4 => i == length / 2 ? max : min + random.Next(3),
                    _ => random.Next(min, max + 1),
                };
        }
        return values;
    }

    private static Tensor EightBitTensor(ElementType type, Shape shape, int[] values) => type == ElementType.Int8
        ? Tensor.Create(shape, values.Select(v => (sbyte)v).ToArray())
        : Tensor.Create(shape, values.Select(v => (byte)v).ToArray());

    private static int[] Values(Tensor tensor) => tensor.ElementType == ElementType.Int8
        ? tensor.As<sbyte>().ToArray().Select(v => (int)v).ToArray()
        : tensor.As<byte>().ToArray().Select(v => (int)v).ToArray();

    private static int Int(Dictionary<string, Attribute> attributes, string name) => (int)(long)attributes[name].Value!;
    private static int IntOr(Dictionary<string, Attribute> attributes, string name, int fallback) =>
        attributes.TryGetValue(name, out var a) ? (int)(long)a.Value! : fallback;
    private static int Ints(Dictionary<string, Attribute> attributes, string name) => (int)((long[])attributes[name].Value!)[0];

    /// <summary>Runs the kernel for the type pair on <paramref name="values"/>; returns the outputs as ints.</summary>
    private static int[] Dispatch(ElementType inputType, ElementType outputType, int[] values,
        Action<Buffers, Buffers> ss, Action<Buffers, Buffers> sb, Action<Buffers, Buffers> bs, Action<Buffers, Buffers> bb)
    {
        var x = new Buffers(values);
        var y = new Buffers(new int[values.Length]);
        var kernel = (inputType, outputType) switch
        {
            (ElementType.Int8, ElementType.Int8) => ss,
            (ElementType.Int8, _) => sb,
            (_, ElementType.Int8) => bs,
            _ => bb,
        };
        kernel(x, y);
        return outputType == ElementType.Int8 ? y.SignedValues.Select(v => (int)v).ToArray() : y.UnsignedValues.Select(v => (int)v).ToArray();
    }

    /// <summary>The same values as int8 and as uint8 arrays (a kernel reads or writes the one its type names).</summary>
    private sealed class Buffers(int[] values)
    {
        public sbyte[] SignedValues { get; } = values.Select(v => (sbyte)v).ToArray();
        public byte[] UnsignedValues { get; } = values.Select(v => (byte)v).ToArray();
        public Span<sbyte> Sbytes() => SignedValues;
        public Span<byte> Bytes() => UnsignedValues;
    }
}
