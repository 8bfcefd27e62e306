using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Harness = Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.Integer;

/// <summary>
/// Table with an int16 input (65,536 entries: exact by construction, checked against the function itself for
/// every input value) and the data-movement operators the 16-bit residual stream passes through, which must
/// move int16 values exactly as they move int32 ones.
/// </summary>
public sealed class Int16TableAndDataMovementTests
{
    [Theory]
    [InlineData(ElementType.Int16)]
    [InlineData(ElementType.Int8)]
    [InlineData(ElementType.UInt8)]
    public void An_int16_input_looks_up_every_value_in_a_65536_entry_table(ElementType yType)
    {
        // tanh of an int16 tensor with step 1/4096 (inputs in [−8, 8)), quantized to the output type.
        const double xScale = 1.0 / 4096;
        var (yMin, yMax) = Int16Values.Range(yType);
        double yScale = 2.0 / (yMax - yMin);
        int yZeroPoint = yType == ElementType.UInt8 ? 128 : 0;
        int Expected(int x) => Int16Values.Quantize(Math.Tanh(x * xScale), yScale, yZeroPoint, yType);
        var table = Enumerable.Range(0, Table.WideEntries).Select(i => (long)Expected(i - 32768)).ToArray();
        var node = Node("Table", 1, [Ints("table", table), Int("y_type", (int)yType)]);
        // Every input value, in shuffled order (entry i is the output of input i − 32768, not of position i).
        var inputs = Enumerable.Range(short.MinValue, 65536).OrderBy(v => (v * 7919) % 65536).ToArray();
        var y = Int16Values.Values(Run(new Table(), node, [Int16Values.From(ElementType.Int16, [inputs.Length], inputs)]));
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(Expected(inputs[i]), y[i]);
    }

    [Fact]
    public void A_table_needs_one_entry_per_input_value()
    {
        var table256 = Enumerable.Range(0, 256).Select(i => (long)(i - 128)).ToArray();
        var x16 = Int16Values.From(ElementType.Int16, [2], [1, 2]);
        AssertRejected(new Table(), Node("Table", 1, [Ints("table", table256), Int("y_type", 3)]), [x16], "expected 65536, one per int16 input value");
        var table65536 = new long[Table.WideEntries];
        AssertRejected(new Table(), Node("Table", 1, [Ints("table", table65536), Int("y_type", 3)]), [From(ElementType.Int8, [1], [1])], "expected 256");
    }

    private static (Attribute[] Attributes, Tensor[] Extra, int Outputs) Arguments(string opType) => opType switch
    {
        "Gather" => (new[] { Harness.Int("axis", 1) }, new[] { Harness.I64([2], 2, 0) }, 1),
        "Concat" => (new[] { Harness.Int("axis", 2) }, Array.Empty<Tensor>(), 1),
        "Reshape" => (Array.Empty<Attribute>(), new[] { Harness.I64([2], 4, 6) }, 1),
        "Transpose" => (new[] { Harness.Ints("perm", 2, 0, 1) }, Array.Empty<Tensor>(), 1),
        "Slice" => (Array.Empty<Attribute>(), new[] { Harness.I64([1], 1), Harness.I64([1], 4), Harness.I64([1], 2), Harness.I64([1], 2) }, 1),
        "Unsqueeze" => (Array.Empty<Attribute>(), new[] { Harness.I64([1], 0) }, 1),
        "Flatten" => (new[] { Harness.Int("axis", 2) }, Array.Empty<Tensor>(), 1),
        "Split" => (new[] { Harness.Int("axis", 2) }, new[] { Harness.I64([2], 1, 3) }, 2),
        _ => (Array.Empty<Attribute>(), Array.Empty<Tensor>(), 1), // Squeeze (all unit axes), Identity
    };

    /// <summary>Each data-movement case: op, opset, attributes, extra constant inputs, on a [2, 3, 4] tensor.</summary>
    public static TheoryData<string> Cases => new() { "Gather", "Concat", "Reshape", "Transpose", "Slice", "Squeeze", "Unsqueeze", "Flatten", "Split", "Identity" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Data_movement_moves_int16_values_as_it_moves_int32_ones(string opType)
    {
        var random = new Random(opType.Length);
        var values = Enumerable.Range(0, 24).Select(_ => random.Next(short.MinValue, short.MaxValue + 1)).ToArray();
        values[0] = short.MinValue;
        values[1] = short.MaxValue;
        var shape = new[] { 2, 3, 4 };
        var (attributes, extra, outputs) = Arguments(opType);
        Tensor[] Move(ElementType type)
        {
            var data = type == ElementType.Int16 ? Int16Values.From(type, shape, values) : Tensor.Create(new Shape(shape), (int[])values.Clone());
            if (opType == "Squeeze") data = data.Reshape(new Shape(2, 1, 3, 4));
            // Concat takes the tensor twice; the others the tensor then their constant inputs.
            Tensor?[] inputs = opType == "Concat" ? [data, data] : [data, .. extra];
            var definition = OperatorRegistry.Default.Find("", opType)!;
            var node = Harness.Node(opType, 13, inputs.Length, outputs, attributes);
            return Harness.Run(definition, node, inputs);
        }
        var wide = Move(ElementType.Int32);
        var narrow = Move(ElementType.Int16);
        Assert.Equal(wide.Length, narrow.Length);
        for (int k = 0; k < wide.Length; k++)
        {
            Assert.Equal(ElementType.Int16, narrow[k].ElementType);
            Assert.Equal(wide[k].Shape, narrow[k].Shape);
            Assert.Equal(wide[k].As<int>(), Int16Values.Values(narrow[k]));
        }
    }
}
