namespace Octet.OnnxRuntime;

/// <summary>The declared type and shape of one model input or output.</summary>
public sealed class NodeMetadata
{
    internal NodeMetadata(OnnxValueType onnxValueType, TensorElementType elementDataType, int[] dimensions, string[] symbolicDimensions)
    {
        OnnxValueType = onnxValueType;
        ElementDataType = elementDataType;
        Dimensions = dimensions;
        SymbolicDimensions = symbolicDimensions;
    }

    public OnnxValueType OnnxValueType { get; }

    public bool IsTensor => OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR;

    /// <summary>The tensor's element type (ONNX numbering). Meaningless when <see cref="IsTensor"/> is false.</summary>
    public TensorElementType ElementDataType { get; }

    /// <summary>The managed element type of the arrays holding this tensor (float for Float, …), or null if unsupported.</summary>
    public Type? ElementType => IsTensor ? ElementDataType.ClrType() : null;

    /// <summary>The declared dimensions; -1 where a dimension is dynamic (symbolic or unknown). Empty for a scalar.</summary>
    public int[] Dimensions { get; }

    /// <summary>For each dimension its symbolic name (e.g. "batch_size"), or "" where the model gives none.</summary>
    public string[] SymbolicDimensions { get; }

    public override string ToString() => IsTensor
        ? $"{ElementDataType}[{string.Join(",", Dimensions.Select((d, i) => d >= 0 ? d.ToString() : SymbolicDimensions[i] is { Length: > 0 } s ? s : "?"))}]"
        : OnnxValueType.ToString();
}
