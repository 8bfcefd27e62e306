using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Harness = Octet.Tests.Operators.NeuralNetwork.OperatorHarness;
using OnnxQuantizeLinear = Octet.Compiler.Operators.Quantization.QuantizeLinear;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// QuantizeInteger against its float definition, ONNX Cast (to float32) then QuantizeLinear run by the reference
/// operators: every value of the 8- and 16-bit input types, and for int32 / int64 the type's ends, each threshold
/// and the value below it, and random values of every magnitude. The thresholds come from
/// <see cref="QuantizeInteger.Steps"/>; the expected values never do. Exact: 0 LSB.
/// </summary>
public sealed class QuantizeIntegerTests
{
    /// <summary>Output parameters: int8 0/1 flags at 1/255, BERT's −10,000 mask scale, uint8 and int16, steps far below and far above 1.</summary>
    public static IEnumerable<object[]> Cases() =>
        from input in new[] { ElementType.Int8, ElementType.UInt8, ElementType.Int16, ElementType.Int32, ElementType.Int64 }
        from output in new (ElementType Type, float Scale, int ZeroPoint)[]
        {
            (ElementType.Int8, 1f / 255, -128), (ElementType.Int8, 39.2157f, 127), (ElementType.UInt8, 0.37f, 3),
            (ElementType.Int16, 1.5f, -7), (ElementType.Int8, 1e-6f, 0), (ElementType.Int8, 1e12f, -5), (ElementType.Int16, 3e-3f, 0),
        }
        select new object[] { input, output.Type, output.Scale, output.ZeroPoint };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Equals_Cast_then_QuantizeLinear_for_every_tested_value(ElementType inputType, ElementType outputType, float scale, int zeroPoint)
    {
        var parameters = QuantizationParameters.PerTensor(outputType, scale, zeroPoint);
        var (thresholds, levels, yMin) = QuantizeInteger.Steps(inputType, parameters);
        var x = InputValues(inputType, thresholds);

        var expected = Harness.Run(new OnnxQuantizeLinear(), Harness.Node("QuantizeLinear", 21, 3, 1),
            [Harness.Run(new CastOperator(), Harness.Node("Cast", 19, 1, 1, Harness.Int("to", (long)ElementType.Float32)), [x])[0],
             Tensor.Create(Shape.Scalar, new[] { scale }), ZeroPoint(outputType, zeroPoint)])[0];
        var node = Node("QuantizeInteger", 1, [Ints("thresholds", thresholds), Ints("levels", levels), Int("y_min", yMin), Int("y_type", (long)outputType)]);
        var actual = Run(new QuantizeInteger(), node, [x]);

        Assert.Equal(outputType, actual.ElementType);
        var (e, a) = (expected.ToInt64Array(), actual.ToInt64Array());
        var values = x.ToInt64Array();
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i] == a[i], $"x = {values[i]}: QuantizeLinear(Cast(x)) = {e[i]}, QuantizeInteger = {a[i]}");
    }

    [Fact]
    public void The_runtime_kernel_equals_the_operator()
    {
        var parameters = QuantizationParameters.PerTensor(ElementType.Int8, 39.2157f, 127);
        var (thresholds, levels, yMin) = QuantizeInteger.Steps(ElementType.Int64, parameters);
        var x = InputValues(ElementType.Int64, thresholds).As<long>();
        var node = Node("QuantizeInteger", 1, [Ints("thresholds", thresholds), Ints("levels", levels), Int("y_min", yMin), Int("y_type", (long)ElementType.Int8)]);
        var expected = Run(new QuantizeInteger(), node, [Tensor.Create(new Shape(x.Length), x)]).As<sbyte>();
        var actual = new sbyte[x.Length];
        Octet.Runtime.Int8.QuantizeInteger.Apply<long, sbyte>(x, thresholds, levels.Select(v => (int)v).ToArray(), yMin, actual);
        Assert.Equal(expected, actual);

        var wideParameters = QuantizationParameters.PerTensor(ElementType.Int16, 3e-3f, 0);
        var (wideThresholds, wideLevels, wideMin) = QuantizeInteger.Steps(ElementType.Int32, wideParameters);
        var x32 = InputValues(ElementType.Int32, wideThresholds).As<int>();
        var wideNode = Node("QuantizeInteger", 1, [Ints("thresholds", wideThresholds), Ints("levels", wideLevels), Int("y_min", wideMin), Int("y_type", (long)ElementType.Int16)]);
        var wideExpected = Run(new QuantizeInteger(), wideNode, [Tensor.Create(new Shape(x32.Length), x32)]).As<short>();
        var wideActual = new short[x32.Length];
        Octet.Runtime.Int8.QuantizeInteger.Apply<int, short>(x32, wideThresholds, wideLevels.Select(v => (int)v).ToArray(), wideMin, wideActual);
        Assert.Equal(wideExpected, wideActual);
    }

    [Fact]
    public void Malformed_attributes_and_inputs_are_refused_by_name()
    {
        var x = Tensor.Create(new Shape(2), new long[] { 0, 1 });
        AssertRejected(new QuantizeInteger(), Node("QuantizeInteger", 1, [Ints("thresholds", 3, 1), Ints("levels", 1, 2), Int("y_min", 0), Int("y_type", 3)]), [x], "'thresholds' does not increase at index 1");
        AssertRejected(new QuantizeInteger(), Node("QuantizeInteger", 1, [Ints("thresholds", 1, 3), Ints("levels", 2, 2), Int("y_min", 0), Int("y_type", 3)]), [x], "'levels' does not increase at index 1");
        AssertRejected(new QuantizeInteger(), Node("QuantizeInteger", 1, [Ints("thresholds", 0, 1), Ints("levels", 127, 128), Int("y_min", 126), Int("y_type", 3)]), [x], "levels[1]");
        AssertRejected(new QuantizeInteger(), Node("QuantizeInteger", 1, [Ints("thresholds", 0, 1), Ints("levels", 5), Int("y_min", 0), Int("y_type", 3)]), [x], "one per threshold");
        AssertRejected(new QuantizeInteger(), Node("QuantizeInteger", 1, [Ints("levels", 1), Int("y_min", 0), Int("y_type", 3)]), [x], "'thresholds' is missing");
        AssertRejected(new QuantizeInteger(), Node("QuantizeInteger", 1, [Ints("thresholds", 1), Ints("levels", 1), Int("y_min", 0), Int("y_type", 3)]),
            [Tensor.Create(new Shape(1), new[] { 1f })], "expected int8, uint8, int16, int32 or int64");
    }

    private static Tensor ZeroPoint(ElementType type, int value) => type switch
    {
        ElementType.Int8 => Tensor.Create(Shape.Scalar, new[] { (sbyte)value }),
        ElementType.UInt8 => Tensor.Create(Shape.Scalar, new[] { (byte)value }),
        _ => Tensor.Create(Shape.Scalar, new[] { (short)value }),
    };

    /// <summary>Every value of an 8- or 16-bit type; for wider types the ends, 0 ± 1, each step and the value before it, and random values of every magnitude.</summary>
    private static Tensor InputValues(ElementType type, long[] thresholds)
    {
        var (min, max) = QuantizeInteger.InputRange(type)!.Value;
        IEnumerable<long> values;
        if (max - min <= ushort.MaxValue)
        {
            values = Enumerable.Range(0, (int)(max - min + 1)).Select(i => min + i);
        }
        else
        {
            var random = new Random(5);
            var picked = new List<long> { min, min + 1, -1, 0, 1, max - 1, max };
            foreach (var t in thresholds) { picked.Add(t); if (t > min) picked.Add(t - 1); }
            for (int i = 0; i < 3000; i++)
            {
                // Magnitudes from 1 to the type's end, evenly in the exponent.
                double magnitude = Math.Pow(2, random.NextDouble() * (type == ElementType.Int32 ? 31 : 63));
                long v = (long)Math.Clamp(magnitude, 0, (double)max - 1) * (random.Next(2) == 0 ? -1 : 1);
                picked.Add(Math.Clamp(v, min, max));
            }
            values = picked;
        }
        var all = values.ToArray();
        return type switch
        {
            ElementType.Int8 => Tensor.Create(new Shape(all.Length), all.Select(v => (sbyte)v).ToArray()),
            ElementType.UInt8 => Tensor.Create(new Shape(all.Length), all.Select(v => (byte)v).ToArray()),
            ElementType.Int16 => Tensor.Create(new Shape(all.Length), all.Select(v => (short)v).ToArray()),
            ElementType.Int32 => Tensor.Create(new Shape(all.Length), all.Select(v => (int)v).ToArray()),
            _ => Tensor.Create(new Shape(all.Length), all),
        };
    }
}
