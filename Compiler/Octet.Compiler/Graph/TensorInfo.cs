namespace Octet.Compiler.Graph;

/// <summary>
/// A named tensor of the graph: its element type and static shape, and its value when it is a constant
/// (an initializer, a <c>Constant</c> node, or the result of constant folding), and its quantization
/// parameters when it holds quantized values.
/// </summary>
public sealed class TensorInfo
{
    public TensorInfo(string name, ElementType elementType, Shape shape, Tensor? constantValue = null,
        Quantization.QuantizationParameters? quantization = null)
    {
        if (constantValue is not null && (constantValue.ElementType != elementType || constantValue.Shape != shape))
            throw new ArgumentException($"tensor '{name}': constant {constantValue} does not match {elementType.OnnxName()}{shape}");
        Name = name;
        ElementType = elementType;
        Shape = shape;
        ConstantValue = constantValue;
        Quantization = quantization;
    }

    public string Name { get; }
    public ElementType ElementType { get; }
    public Shape Shape { get; }
    public Tensor? ConstantValue { get; }
    public bool IsConstant => ConstantValue is not null;
    /// <summary>How the stored integers map to real values; null for float tensors and plain integers.</summary>
    public Quantization.QuantizationParameters? Quantization { get; }

    /// <summary>The same tensor with quantization parameters attached.</summary>
    public TensorInfo WithQuantization(Quantization.QuantizationParameters? quantization) =>
        new(Name, ElementType, Shape, ConstantValue, quantization);

    public static TensorInfo ForConstant(string name, Tensor value) => new(name, value.ElementType, value.Shape, value);

    public override string ToString() =>
        $"{Name}: {ElementType.OnnxName()}{Shape}{(IsConstant ? " const" : "")}{(Quantization is null ? "" : " q(" + Quantization + ")")}";
}
