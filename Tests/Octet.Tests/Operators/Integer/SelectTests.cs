using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Select (ONNX Where on quantized tensors, uint8 condition) against its float definition: X and Y dequantized with
/// the quantization they share with the output, ONNX Where (the float reference operator, on the condition as bool),
/// quantized again with round half to even. Every input value of int8 / uint8, random int16 values, and the
/// broadcasts Where allows. Expected: 0 LSB — the op only chooses.
/// </summary>
public sealed class SelectTests(ITestOutputHelper output)
{
    public static TheoryData<ElementType, int[], int[], int[]> Cases => new()
    {
        { ElementType.Int8, [2, 4, 32], [2, 4, 32], [2, 4, 32] },
        { ElementType.UInt8, [2, 4, 32], [2, 4, 32], [2, 4, 32] },
        { ElementType.Int16, [2, 4, 32], [2, 4, 32], [2, 4, 32] },
        // An attention mask [1, 1, T, T] over scores [1, H, T, T] with a scalar fill, either side.
        { ElementType.Int8, [1, 1, 16, 16], [], [1, 2, 16, 16] },
        { ElementType.UInt8, [1, 1, 16, 16], [1, 2, 16, 16], [1] },
        { ElementType.Int16, [1, 1, 16, 16], [], [1, 2, 16, 16] },
        // Every input broadcast along a different axis.
        { ElementType.Int8, [4, 1, 16], [1, 3, 16], [4, 3, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Select_equals_Where_on_the_dequantized_values_requantized(ElementType type, int[] conditionShape, int[] xShape, int[] yShape)
    {
        var random = new Random(conditionShape.Length * 31 + xShape.Length * 7 + (int)type);
        var (min, max) = Int16Values.Range(type);
        // The quantization X, Y and the output share (lowering's guarantee); zero point inside the type.
        double scale = type == ElementType.Int16 ? 0.0007 : 0.043;
        int zeroPoint = type switch { ElementType.Int8 => -7, ElementType.UInt8 => 131, _ => 0 };
        // X runs through every value of the type in order (8-bit: all 256 values repeated), Y is random.
        int xCount = (int)new Shape(xShape).ElementCount;
        var xValues = Enumerable.Range(0, xCount).Select(i => type == ElementType.Int16 ? random.Next(min, max + 1) : min + i % (max - min + 1)).ToArray();
        var x = Int16Values.From(type, xShape, xValues);
        var y = Int16Values.Random(random, type, yShape);
        var conditionBytes = Enumerable.Range(0, (int)new Shape(conditionShape).ElementCount).Select(_ => (byte)(random.Next(3) == 0 ? 0 : random.Next(1, 256))).ToArray();
        var condition = Tensor.Create(new Shape(conditionShape), conditionBytes);

        var actual = Run(new Select(), Node("Select", 3, []), [condition, x, y]);

        Tensor Dequantize(Tensor t) => Tensor.Create(t.Shape, Int16Values.Values(t).Select(v => (float)((v - zeroPoint) * scale)).ToArray());
        var where = OperatorRegistry.Default.Find("", "Where")!;
        var whereNode = new Node("where", "Where", "", 16, ["c", "x", "y"], ["out"], new Dictionary<string, Octet.Compiler.Graph.Attribute>());
        var flags = Tensor.Create(condition.Shape, conditionBytes.Select(b => b != 0).ToArray());
        var real = NeuralNetwork.OperatorHarness.Run(where, whereNode, [flags, Dequantize(x), Dequantize(y)])[0];
        var expected = real.As<float>().Select(v => Int16Values.Quantize(v, scale, zeroPoint, type)).ToArray();

        Assert.Equal(type, actual.ElementType);
        Assert.Equal(real.Shape, actual.Shape);
        var got = Int16Values.Values(actual);
        int maxError = expected.Select((e, i) => Math.Abs(e - got[i])).Max();
        output.WriteLine($"{type} C{Show(conditionShape)} X{Show(xShape)} Y{Show(yShape)} -> {actual.Shape}: max error {maxError} LSB over {got.Length} outputs");
        Assert.Equal(expected, got);
        // Both sides are chosen somewhere, so neither branch goes untested.
        Assert.Contains(conditionBytes, b => b == 0);
        Assert.Contains(conditionBytes, b => b != 0);
    }

    private static string Show(int[] shape) => "[" + string.Join(",", shape) + "]";

    [Fact]
    public void Select_refuses_a_condition_that_is_not_bytes_and_operands_of_different_types()
    {
        var x = From(ElementType.Int8, [2], [1, 2]);
        AssertRejected(new Select(), Node("Select", 3, []), [From(ElementType.Int8, [2], [0, 1]), x, x], "expected uint8");
        AssertRejected(new Select(), Node("Select", 3, []), [Tensor.Create(new Shape(2), new byte[] { 0, 1 }), x, From(ElementType.UInt8, [2], [1, 2])], "same type");
        AssertRejected(new Select(), Node("Select", 3, [Int("axis", 0)]), [Tensor.Create(new Shape(2), new byte[] { 0, 1 }), x, x], "unknown attribute 'axis'");
        AssertRejected(new Select(), Node("Select", 3, []), [Tensor.Create(new Shape(3), new byte[] { 0, 1, 1 }), x, x], "broadcast");
    }
}
