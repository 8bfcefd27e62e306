using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Table(X): any element-wise function of one quantized tensor, as a lookup table built at compile time
/// (Sigmoid, Tanh, GELU, ... with fixed input and output quantization). X is int8, uint8 or int16.
/// Attributes <c>table</c> (ints, one entry per input value — 256 for an 8-bit X, 65,536 for an int16 X —
/// each inside the output type) and <c>y_type</c> (2 = uint8, 3 = int8, 5 = int16).
/// <c>y = table[x + 128]</c> for int8 X, <c>table[x]</c> for uint8 X, <c>table[x + 32768]</c> for int16 X:
/// entry i is the output for the i-th smallest input value.
/// </summary>
public sealed class Table : IntegerOperator
{
    public override string OpType => "Table";

    /// <summary>Table entries for an 8-bit input.</summary>
    public const int Entries = 256;

    /// <summary>Table entries for an int16 input.</summary>
    public const int WideEntries = 65536;

    /// <summary>The number of entries a table for an input of <paramref name="inputType"/> has.</summary>
    public static int EntriesFor(ElementType inputType) => inputType == ElementType.Int16 ? WideEntries : Entries;

    protected override IEnumerable<string> AllowedAttributes(Node node) => ["table", "y_type"];

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectActivation(context, 0, "X");
        ExpectKnownAttributes(context);
        var outputType = Requantizer.ReadOutputType(context.Node);
        ReadTable(context.Node, context.InputType(0), outputType);
        context.SetOutput(0, outputType, context.InputShape(0));
    }

    private static int[] ReadTable(Node node, ElementType inputType, ElementType outputType)
    {
        var values = node.GetInts("table") ?? throw OctetException.AtNode(node, "required attribute 'table' is missing");
        int entries = EntriesFor(inputType);
        if (values.Length != entries)
            throw OctetException.AtNode(node, $"attribute 'table' has {values.Length} entries; expected {entries}, one per {inputType.OnnxName()} input value");
        var table = new int[entries];
        for (int i = 0; i < entries; i++)
        {
            IntegerAttributes.CheckInRange(node, $"table[{i}]", values[i], outputType);
            table[i] = (int)values[i];
        }
        return table;
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var outputType = Requantizer.ReadOutputType(context.Node);
        var table = ReadTable(context.Node, x.ElementType, outputType);
        // Entry 0 is the type's smallest value: -128 for int8, 0 for uint8, -32768 for int16.
        int offset = -IntegerAttributes.Range(x.ElementType).Min;
        var values = QuantizedValues.Widen(x);
        for (int i = 0; i < values.Length; i++) values[i] = table[values[i] + offset];
        context.SetOutput(0, IntegerAttributes.ToTensor(outputType, x.Shape, values));
    }
}
