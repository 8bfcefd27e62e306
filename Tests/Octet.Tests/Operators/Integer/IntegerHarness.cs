using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Quantization;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Building octet-domain nodes, choosing requantization constants as lowering will (the test plays the
/// lowering's part), and the independent arithmetic the integer kernels are checked against: exact rational
/// arithmetic with <see cref="BigInteger"/> for the integer paths, double precision for the real-valued
/// definition, and a float32 re-statement of the float path.
/// </summary>
internal static class IntegerHarness
{
    public static Attribute Int(string name, long value) => new(name, AttributeKind.Int, value);
    public static Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints, values);
    public static Attribute Float(string name, float value) => new(name, AttributeKind.Float, value);
    public static Attribute Floats(string name, params float[] values) => new(name, AttributeKind.Floats, values);
    public static Attribute String(string name, string value) => new(name, AttributeKind.String, value);

    /// <summary>A node "n" of the octet domain, version 1, with inputs "in0".. and one output "out0".</summary>
    public static Node Node(string opType, int inputCount, IEnumerable<Attribute> attributes) =>
        new("n", opType, "octet", 1,
            Enumerable.Range(0, inputCount).Select(i => $"in{i}").ToList(), ["out0"],
            attributes.ToDictionary(a => a.Name));

    /// <summary>Inference, then the kernel; checks the kernel's type and shape against inference's.</summary>
    public static Tensor Run(OperatorDefinition op, Node node, Tensor?[] inputs, bool constantInputs = false) =>
        NeuralNetwork.OperatorHarness.Run(op, node, inputs, constantInputs)[0];

    public static void AssertRejected(OperatorDefinition op, Node node, Tensor?[] inputs, string fragment, bool constantInputs = false) =>
        NeuralNetwork.OperatorHarness.AssertRejected(op, node, inputs, fragment, constantInputs);

    public static (int Min, int Max) Range(ElementType type) => type == ElementType.Int8 ? (-128, 127) : (0, 255);

    /// <summary>The requantization attributes of the fixed-point mode for real multipliers <paramref name="multipliers"/>.</summary>
    public static List<Attribute> FixedPoint(ElementType yType, int zeroPoint, double[] multipliers, int? clampMin = null, int? clampMax = null)
    {
        var pairs = multipliers.Select(QuantizationMath.ToFixedPoint).ToArray();
        return
        [
            String("requant", "fixed-point"), Int("y_type", (int)yType), Int("y_zero_point", zeroPoint),
            Ints("multiplier", pairs.Select(p => (long)p.Multiplier).ToArray()), Ints("shift", pairs.Select(p => (long)p.Shift).ToArray()),
            Int("clamp_min", clampMin ?? Range(yType).Min), Int("clamp_max", clampMax ?? Range(yType).Max),
        ];
    }

    /// <summary>The requantization attributes of the float mode for float32 scales <paramref name="scales"/>.</summary>
    public static List<Attribute> FloatMode(ElementType yType, int zeroPoint, float[] scales, int? clampMin = null, int? clampMax = null) =>
    [
        String("requant", "float"), Int("y_type", (int)yType), Int("y_zero_point", zeroPoint), Floats("scale", scales),
        Int("clamp_min", clampMin ?? Range(yType).Min), Int("clamp_max", clampMax ?? Range(yType).Max),
    ];

    // ---- independent arithmetic ----

    /// <summary>⌊n / d⌋ for d &gt; 0 (BigInteger division truncates toward zero).</summary>
    public static BigInteger FloorDivide(BigInteger n, BigInteger d)
    {
        var q = BigInteger.DivRem(n, d, out var r);
        return r < 0 ? q - 1 : q;
    }

    /// <summary>acc · M0 · 2^(shift − 31) rounded to nearest, ties toward +∞, in exact rational arithmetic.</summary>
    public static BigInteger FixedPointExact(long acc, int m0, int shift)
    {
        var product = (BigInteger)acc * m0;
        int exponent = shift - 31;
        if (exponent >= 0) return product << exponent;
        // ⌊product / 2^k + 1/2⌋ = ⌊(2 · product + 2^k) / 2^(k+1)⌋.
        return FloorDivide(2 * product + (BigInteger.One << -exponent), BigInteger.One << (1 - exponent));
    }

    /// <summary>The fixed-point definition of an 8-bit output: clamp(round_half_up(acc · M) + zp).</summary>
    public static int FixedPointOutput(long acc, int m0, int shift, int zeroPoint, int clampMin, int clampMax) =>
        (int)BigInteger.Clamp(FixedPointExact(acc, m0, shift) + zeroPoint, clampMin, clampMax);

    /// <summary>The float path re-stated: v = (float)acc * scale, clamp, round half even, + zp (all float32).</summary>
    public static int FloatPathOutput(long acc, float scale, int zeroPoint, int clampMin, int clampMax)
    {
        float v = (float)acc * scale;
        return FloatFinish(v, zeroPoint, clampMin, clampMax);
    }

    /// <summary>Round half to even a float32 value, add zp, clamp (the float path's last step, re-stated).</summary>
    public static int FloatFinish(float v, int zeroPoint, int clampMin, int clampMax)
    {
        double rounded = Math.Round((double)v, MidpointRounding.ToEven);
        return (int)Math.Clamp(rounded + zeroPoint, clampMin, clampMax);
    }

    /// <summary>
    /// The real-valued definition of a quantized output: the real result divided by the output scale,
    /// rounded half to even, plus the zero point, clamped — what a float model followed by QuantizeLinear gives.
    /// </summary>
    public static int RealDefinition(double scaledReal, int zeroPoint, int clampMin, int clampMax) =>
        (int)Math.Clamp(Math.Round(scaledReal, MidpointRounding.ToEven) + zeroPoint, clampMin, clampMax);

    public static int[] Values(Tensor t) => t.ElementType switch
    {
        ElementType.Int8 => Array.ConvertAll(t.As<sbyte>(), v => (int)v),
        ElementType.UInt8 => Array.ConvertAll(t.As<byte>(), v => (int)v),
        ElementType.Int32 => (int[])t.As<int>().Clone(),
        _ => throw new ArgumentException($"not an integer tensor: {t}"),
    };

    /// <summary>A random 8-bit tensor with values in [<paramref name="low"/>, <paramref name="high"/>] (default: the whole type).</summary>
    public static Tensor Random8(Random random, ElementType type, int[] shape, int? low = null, int? high = null)
    {
        var (min, max) = Range(type);
        int lo = low ?? min, hi = high ?? max;
        var values = new int[new Shape(shape).ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = random.Next(lo, hi + 1);
        return From(type, shape, values);
    }

    public static Tensor From(ElementType type, int[] shape, int[] values) => type switch
    {
        ElementType.Int8 => Tensor.Create(new Shape(shape), Array.ConvertAll(values, v => checked((sbyte)v))),
        ElementType.UInt8 => Tensor.Create(new Shape(shape), Array.ConvertAll(values, v => checked((byte)v))),
        ElementType.Int32 => Tensor.Create(new Shape(shape), (int[])values.Clone()),
        _ => throw new ArgumentException(type.ToString()),
    };

    public static float RandomScale(Random random, double low, double high) => (float)(low + random.NextDouble() * (high - low));
}

/// <summary>
/// Differences, in output steps (LSB), between a kernel's outputs and a definition's: the largest, and how
/// many differ at all. Reported to the test log so the measured figures are visible.
/// </summary>
internal sealed class LsbErrors
{
    public int Max { get; private set; }
    public long Differing { get; private set; }
    public long Count { get; private set; }

    public void Add(int expected, int actual)
    {
        int error = Math.Abs(expected - actual);
        Count++;
        if (error != 0) Differing++;
        Max = Math.Max(Max, error);
    }

    public void AddAll(int[] expected, int[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Add(expected[i], actual[i]);
    }

    public override string ToString() =>
        $"max {Max} LSB; {Differing} of {Count} outputs differ ({(Count == 0 ? 0 : 100.0 * Differing / Count):0.###} %)";
}
