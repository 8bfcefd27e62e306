namespace Octet.Compiler.Quantization;

/// <summary>
/// ONNX operators whose outputs are a selection or rearrangement of their first input's values. Quantized,
/// they keep the input's parameters (the QDQ quantizer shares them) and run on the integers themselves
/// (integer lowering), since no value is computed.
/// </summary>
public static class DataMovementOps
{
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "MaxPool", "GlobalMaxPool", "Slice", "Gather",
        "Identity", "Dropout", "Split", "Expand",
    };

    /// <summary>True for a default-domain node of one of these operators.</summary>
    public static bool Contains(Graph.Node node) => node.Domain.Length == 0 && Names.Contains(node.OpType);
}
