using Octet.Compiler.Graph;

namespace Octet.Compiler.Planning;

/// <summary>
/// Which operators may share memory between an input and an output, and on which inputs. Only the op
/// kinds are decided here; the planner adds the conditions that depend on the rest of the graph (lifetimes,
/// graph inputs and outputs, what else lives in the same buffer).
/// </summary>
public static class AliasRules
{
    private static bool IsOnnx(Node node) => node.Domain is "" or "ai.onnx";
    private static bool IsOctet(Node node) => node.Domain == Operators.Integer.IntegerOperator.OctetDomain;

    /// <summary>
    /// Reshape, Flatten, Squeeze, Unsqueeze and Identity: the output is its input 0 (the data) read with
    /// another shape. Safe because all of them keep row-major element order, so the output's bytes are
    /// exactly the input's bytes; no kernel needs to run and no byte is written. The other inputs (shape,
    /// axes) are read only at compile time.
    /// </summary>
    public static bool IsView(Node node) =>
        IsOnnx(node) && node.OpType is "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze" or "Identity";

    /// <summary>
    /// The inputs an element-wise op may overwrite with its output, in order of preference. Safe because
    /// output element i depends only on element i of such an input (the planner also requires the input to
    /// have the output's element count, so there is no broadcasting on it, and the output's element size, so
    /// element i sits at the same byte offset in both), and a kernel reads element i before it writes element
    /// i, going forward: once it writes element i it never needs input element ≤ i again. Inputs that are
    /// broadcast (other element counts) or that are parameters (scale, zero point, min, max) are not listed.
    /// </summary>
    public static IReadOnlyList<int> InPlaceInputs(Node node)
    {
        if (IsOnnx(node))
            return node.OpType switch
            {
                "Add" or "Sub" or "Mul" or "Div" => [0, 1],
                "Relu" or "Sigmoid" or "Tanh" or "Clip" or "LeakyRelu" or "HardSwish" or "HardSigmoid" => [0],
                // Cast and (De)QuantizeLinear convert element i to element i; the planner checks that the
                // element sizes agree (float ↔ int32, int8 ↔ uint8), else offsets would differ.
                "Cast" or "QuantizeLinear" or "DequantizeLinear" => [0],
                _ => [],
            };
        if (IsOctet(node))
            return node.OpType switch
            {
                // QAdd/QMul broadcast like Add/Mul; Table and Requantize map each 8-bit value on its own.
                "QAdd" or "QMul" => [0, 1],
                "Table" or "Requantize" => [0],
                _ => [],
            };
        return [];
    }

    /// <summary>
    /// Concat whose inputs are contiguous slices of its output: axis 0, or every output dimension before
    /// the axis is 1. Then input k occupies bytes [sum of the sizes of inputs 0..k−1, + its size) of the
    /// output, in its own row-major order, so an input written at that offset is already concatenated.
    /// Returns false for any other Concat (the slices of its inputs interleave).
    /// </summary>
    public static bool IsContiguousConcat(Node node, ModelGraph graph)
    {
        if (!IsOnnx(node) || node.OpType != "Concat" || node.Outputs.Count != 1) return false;
        var output = graph.Tensor(node.Outputs[0]).Shape;
        if (output.Rank == 0) return false;
        long axis = node.GetInt("axis", 0);
        if (axis < -output.Rank || axis >= output.Rank) return false;
        int normalized = output.NormalizeAxis(axis);
        for (int d = 0; d < normalized; d++)
            if (output[d] != 1) return false;
        return true;
    }
}
