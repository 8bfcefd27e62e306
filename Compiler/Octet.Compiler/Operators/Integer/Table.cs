using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// Table(X): any element-wise function of one 8-bit tensor, as a 256-entry lookup table built at compile
/// time (Sigmoid, Tanh, GELU, ... with fixed input and output quantization). Attributes <c>table</c> (ints,
/// exactly 256 entries, each inside the output type) and <c>y_type</c> (2 = uint8, 3 = int8).
/// <c>y = table[x + 128]</c> for int8 X, <c>table[x]</c> for uint8 X: entry i is the output for the i-th
/// smallest input value.
/// </summary>
public sealed class Table : IntegerOperator
{
    public override string OpType => "Table";

    public const int Entries = 256;

    protected override IEnumerable<string> AllowedAttributes(Node node) => ["table", "y_type"];

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectEightBit(context, 0, "X");
        ExpectKnownAttributes(context);
        var outputType = Requantizer.ReadOutputType(context.Node);
        ReadTable(context.Node, outputType);
        context.SetOutput(0, outputType, context.InputShape(0));
    }

    private static int[] ReadTable(Node node, ElementType outputType)
    {
        var values = node.GetInts("table") ?? throw OctetException.AtNode(node, "required attribute 'table' is missing");
        if (values.Length != Entries)
            throw OctetException.AtNode(node, $"attribute 'table' has {values.Length} entries; expected {Entries}, one per 8-bit input value");
        var table = new int[Entries];
        for (int i = 0; i < Entries; i++)
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
        var table = ReadTable(context.Node, outputType);
        // Entry 0 is the type's smallest value: -128 for int8, 0 for uint8.
        int offset = -IntegerAttributes.Range(x.ElementType).Min;
        var values = QuantizedValues.Widen(x);
        for (int i = 0; i < values.Length; i++) values[i] = table[values[i] + offset];
        context.SetOutput(0, IntegerAttributes.ToTensor(outputType, x.Shape, values));
    }
}
