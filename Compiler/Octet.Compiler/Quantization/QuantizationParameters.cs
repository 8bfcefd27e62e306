using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization;

/// <summary>
/// Affine quantization of a tensor: real = scale · (q − zero_point), per tensor (<see cref="Axis"/> = -1,
/// one scale) or per axis (one scale and zero point per index along <see cref="Axis"/>). The storage type is
/// int8 or uint8 for activations and weights, int32 for biases.
/// </summary>
public sealed record QuantizationParameters
{
    public QuantizationParameters(ElementType storageType, float[] scales, int[] zeroPoints, int axis = -1)
    {
        if (storageType is not (ElementType.Int8 or ElementType.UInt8 or ElementType.Int16 or ElementType.Int32))
            throw new ArgumentException($"quantized storage type must be int8, uint8, int16 or int32, not {storageType}");
        if (scales.Length == 0 || scales.Length != zeroPoints.Length)
            throw new ArgumentException("need one zero point per scale, and at least one scale");
        if (axis < 0 && scales.Length != 1)
            throw new ArgumentException("per-tensor quantization has exactly one scale");
        foreach (var s in scales)
            if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentException($"scale {s} is not a positive finite number");
        StorageType = storageType;
        Scales = scales;
        ZeroPoints = zeroPoints;
        Axis = axis;
    }

    public static QuantizationParameters PerTensor(ElementType storageType, float scale, int zeroPoint) =>
        new(storageType, [scale], [zeroPoint]);

    public ElementType StorageType { get; }
    public float[] Scales { get; }
    public int[] ZeroPoints { get; }
    /// <summary>-1 for per-tensor quantization.</summary>
    public int Axis { get; }

    public bool IsPerTensor => Axis < 0;
    public float Scale => IsPerTensor ? Scales[0] : throw new InvalidOperationException("per-axis quantization has no single scale");
    public int ZeroPoint => IsPerTensor ? ZeroPoints[0] : throw new InvalidOperationException("per-axis quantization has no single zero point");

    public int QMin => StorageType switch
    {
        ElementType.Int8 => sbyte.MinValue, ElementType.UInt8 => byte.MinValue, ElementType.Int16 => short.MinValue, _ => int.MinValue,
    };

    public int QMax => StorageType switch
    {
        ElementType.Int8 => sbyte.MaxValue, ElementType.UInt8 => byte.MaxValue, ElementType.Int16 => short.MaxValue, _ => int.MaxValue,
    };

    public bool Equals(QuantizationParameters? other) =>
        other is not null && StorageType == other.StorageType && Axis == other.Axis &&
        Scales.AsSpan().SequenceEqual(other.Scales) && ZeroPoints.AsSpan().SequenceEqual(other.ZeroPoints);

    public override int GetHashCode() => HashCode.Combine(StorageType, Axis, Scales.Length > 0 ? Scales[0] : 0, ZeroPoints.Length > 0 ? ZeroPoints[0] : 0);

    public override string ToString() => IsPerTensor
        ? $"{StorageType.OnnxName()} scale={Scales[0]:R} zp={ZeroPoints[0]}"
        : $"{StorageType.OnnxName()} axis={Axis} scales[{Scales.Length}] zps[{ZeroPoints.Length}]";
}
