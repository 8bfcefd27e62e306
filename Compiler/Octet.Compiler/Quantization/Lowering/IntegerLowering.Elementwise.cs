using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization.Config;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Compiler.Quantization.Lowering;

/// <summary>
/// Lowering of element-wise ops: QAdd (8- or 16-bit operands and output) and QMul (8-bit) with integer
/// rescaling, and any function of one tensor as a table of one entry per input value (256, or 65,536 for int16).
/// </summary>
public sealed partial class IntegerLowering
{

    private bool LowerBinary(Node node)
    {
        if (node.Inputs.Count != 2) return false;
        var a = SourceOf(node.Inputs[0]);
        var b = SourceOf(node.Inputs[1]);
        if (a is null || b is null || !a.Parameters.IsPerTensor || !b.Parameters.IsPerTensor) return false;
        if (!IsActivation(a.Parameters) || !IsActivation(b.Parameters)) return false;
        if (node.OpType == "Mul" && (!IsEightBit(a.Parameters) || !IsEightBit(b.Parameters))) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: node.OpType == "Add");
        if (result is null) return false;
        var (quantize, output, clampMin, clampMax, _) = result.Value;
        if (node.OpType == "Mul" && !IsEightBit(output)) return false;
        var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["a_zero_point"] = new("a_zero_point", AttributeKind.Int, (long)a.Parameters.ZeroPoint),
            ["b_zero_point"] = new("b_zero_point", AttributeKind.Int, (long)b.Parameters.ZeroPoint),
        };
        if (node.OpType == "Mul")
        {
            foreach (var attr in RequantizationAttributes.Create(_mode, a.Parameters.Scale * b.Parameters.Scale, null, output, clampMin, clampMax).Values)
                attributes[attr.Name] = attr;
            Emit("QMul", [a.Quantized, b.Quantized], quantize.Outputs[0], attributes, node.Name);
            return true;
        }
        if (_mode == NumericsMode.IntegerOnly)
        {
            // TFLite's scheme: both inputs are brought to a common scale 2·max(s_a, s_b) / 2^left_shift with
            // headroom, added exactly, and the sum requantized to the output. left_shift is 20 for 8-bit operands;
            // a 16-bit operand leaves room for less (15 when symmetric), the largest the operator accepts as exact.
            double twiceMax = 2.0 * Math.Max(a.Parameters.Scale, b.Parameters.Scale);
            var (am, ashift) = QuantizationMath.ToFixedPoint(a.Parameters.Scale / twiceMax);
            var (bm, bshift) = QuantizationMath.ToFixedPoint(b.Parameters.Scale / twiceMax);
            int leftShift = QAdd.LargestExactLeftShift(a.Parameters.StorageType, a.Parameters.ZeroPoint, b.Parameters.StorageType, b.Parameters.ZeroPoint,
                (am, ashift), (bm, bshift));
            if (leftShift < 0) return false;
            var (om, oshift) = QuantizationMath.ToFixedPoint(twiceMax / ((1 << leftShift) * (double)output.Scale));
            attributes["left_shift"] = new("left_shift", AttributeKind.Int, (long)leftShift);
            attributes["a_multiplier"] = new("a_multiplier", AttributeKind.Int, (long)am);
            attributes["a_shift"] = new("a_shift", AttributeKind.Int, (long)ashift);
            attributes["b_multiplier"] = new("b_multiplier", AttributeKind.Int, (long)bm);
            attributes["b_shift"] = new("b_shift", AttributeKind.Int, (long)bshift);
            attributes["requant"] = new("requant", AttributeKind.String, "fixed-point");
            attributes["multiplier"] = new("multiplier", AttributeKind.Ints, new long[] { om });
            attributes["shift"] = new("shift", AttributeKind.Ints, new long[] { oshift });
        }
        else
        {
            attributes["requant"] = new("requant", AttributeKind.String, "float");
            attributes["a_scale"] = new("a_scale", AttributeKind.Float, a.Parameters.Scale);
            attributes["b_scale"] = new("b_scale", AttributeKind.Float, b.Parameters.Scale);
            attributes["y_scale"] = new("y_scale", AttributeKind.Float, output.Scale);
        }
        attributes["y_zero_point"] = new("y_zero_point", AttributeKind.Int, (long)output.ZeroPoint);
        attributes["clamp_min"] = new("clamp_min", AttributeKind.Int, (long)clampMin);
        attributes["clamp_max"] = new("clamp_max", AttributeKind.Int, (long)clampMax);
        attributes["y_type"] = new("y_type", AttributeKind.Int, (long)output.StorageType);
        Emit("QAdd", [a.Quantized, b.Quantized], quantize.Outputs[0], attributes, node.Name);
        return true;
    }

    /// <summary>
    /// An element-wise function of one quantized tensor is exactly a table of one entry per input value (256,
    /// or 65,536 for an int16 input): each possible input value is dequantized, the function evaluated by its
    /// float reference kernel, and quantized once.
    /// </summary>
    private bool LowerTable(Node node)
    {
        if (node.Inputs.Skip(1).Any(i => i.Length > 0 && !_graph.Tensor(i).IsConstant)) return false;
        var x = SourceOf(node.Inputs[0]);
        if (x is null || !x.Parameters.IsPerTensor || !IsActivation(x.Parameters)) return false;
        var result = QuantizedResult(node.Outputs[0], allowActivation: false);
        if (result is null) return false;
        var output = result.Value.Output;

        int qmin = x.Parameters.QMin, entries = Table.EntriesFor(x.Parameters.StorageType);
        var inputs = new float[entries];
        for (int i = 0; i < entries; i++) inputs[i] = (qmin + i - x.Parameters.ZeroPoint) * x.Parameters.Scale;
        var definition = OperatorRegistry.Default.Find("", node.OpType)!;
        var probe = new Node(node.Name, node.OpType, "", node.OpsetVersion, node.Inputs, node.Outputs, node.Attributes);
        var values = new List<Tensor?> { Tensor.Create(new Shape(entries), inputs) };
        values.AddRange(node.Inputs.Skip(1).Select(i => i.Length == 0 ? null : _graph.Tensor(i).ConstantValue));
        var context = new KernelContext(probe, values);
        Analysis.ShapeInference.Guard(node, "table construction", () => definition.Execute(context));
        var y = context.Output(0)!.As<float>();
        var table = new long[entries];
        for (int i = 0; i < entries; i++) table[i] = QuantizationMath.Quantize(y[i], output.Scale, output.ZeroPoint, output.QMin, output.QMax);

        Emit("Table", [x.Quantized], result.Value.Quantize.Outputs[0], new Dictionary<string, Attribute>(StringComparer.Ordinal)
        {
            ["table"] = new("table", AttributeKind.Ints, table),
            ["y_type"] = new("y_type", AttributeKind.Int, (long)output.StorageType),
        }, node.Name);
        return true;
    }
}
