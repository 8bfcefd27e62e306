using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// Which scale and zero point each element of QuantizeLinear's / DequantizeLinear's data uses, from the
/// shape of the scale: per-tensor (a scalar, or one element), per-axis (1-D, one value per index along
/// <c>axis</c>), or blocked (opset 21+: the data's shape with the axis dimension divided into blocks of
/// <c>block_size</c>, <c>ceil(D / block_size)</c> of them, the last possibly short).
/// </summary>
/// <remarks>
/// The data is viewed as <c>[outer, axis, inner]</c> around the quantization axis; the parameter index of
/// element <c>(o, a, i)</c> is <c>o * OuterStride + (a / Block) * AxisStride + i * InnerStride</c>.
/// </remarks>
internal sealed record QuantizationGranularity(
    int Outer, int AxisLength, int Inner, int Block, int OuterStride, int AxisStride, int InnerStride)
{
    public int ParameterIndex(int outer, int axisIndex, int inner) =>
        outer * OuterStride + axisIndex / Block * AxisStride + inner * InnerStride;

    /// <summary>
    /// Works out the granularity for data of shape <paramref name="data"/> and a scale of shape
    /// <paramref name="scale"/>; <paramref name="blockSize"/> 0 means no blocking. Throws an error naming
    /// <paramref name="node"/> when the shapes do not fit together.
    /// </summary>
    public static QuantizationGranularity Resolve(Node node, Shape data, Shape scale, long axis, long blockSize)
    {
        OctetException Error(string problem) => OctetException.AtNode(node, problem);
        if (blockSize < 0) throw Error($"block_size={blockSize} must not be negative");
        // One value is per-tensor whatever axis and block_size say (as in the ONNX reference).
        if (QuantizedValues.IsPerTensor(scale))
            return new QuantizationGranularity(1, 1, checked((int)data.ElementCount), 1, 0, 0, 0);

        int axisIndex;
        try { axisIndex = data.NormalizeAxis(axis); }
        catch (ArgumentOutOfRangeException)
        {
            throw Error($"axis={axis} is out of range for the data's shape {data} " +
                        $"(per-axis or blocked quantization with a scale of shape {scale})");
        }
        if (data.Rank == 0) throw Error($"a scale of shape {scale} needs data of rank 1 or more; the data is a scalar");
        int outer = 1, inner = 1;
        for (int d = 0; d < axisIndex; d++) outer *= data[d];
        for (int d = axisIndex + 1; d < data.Rank; d++) inner *= data[d];
        int length = data[axisIndex];

        if (blockSize == 0)
        {
            if (scale.Rank != 1)
                throw Error($"the scale has shape {scale}: per-tensor quantization needs a scalar, per-axis a 1-D tensor, " +
                            "and blocked quantization (a scale of the data's rank) needs block_size > 0");
            if (scale[0] != length)
                throw Error($"the per-axis scale has {scale[0]} values but the data {data} has {length} along axis {axisIndex}");
            return new QuantizationGranularity(outer, length, inner, 1, 0, 1, 0);
        }

        if (scale.Rank != data.Rank)
            throw Error($"blocked quantization (block_size={blockSize}) needs a scale of the data's rank {data.Rank}; " +
                        $"the scale has shape {scale}");
        for (int d = 0; d < data.Rank; d++)
        {
            if (d == axisIndex) continue;
            if (scale[d] != data[d])
                throw Error($"the blocked scale {scale} must match the data {data} on every axis but the " +
                            $"quantization axis {axisIndex}; they differ on axis {d}");
        }
        long blocks = length == 0 ? 0 : (length - 1) / blockSize + 1;
        if (scale[axisIndex] != blocks)
            throw Error($"block_size={blockSize} cuts the {length} elements along axis {axisIndex} into {blocks} blocks, " +
                        $"but the scale {scale} has {scale[axisIndex]}");
        int block = (int)Math.Min(blockSize, Math.Max(length, 1));
        return new QuantizationGranularity(outer, length, inner, block, (int)blocks * inner, inner, 1);
    }

    /// <summary>Requires the zero point (when present) to have the scale's shape, as the specs do.</summary>
    public static void ExpectZeroPointShape(InferenceContext context, int scaleIndex, int zeroPointIndex)
    {
        if (!context.HasInput(zeroPointIndex)) return;
        var scale = context.InputShape(scaleIndex);
        var zeroPoint = context.InputShape(zeroPointIndex);
        // A scalar and a one-element vector both mean per-tensor: exporters write either.
        if (scale == zeroPoint || (QuantizedValues.IsPerTensor(scale) && QuantizedValues.IsPerTensor(zeroPoint))) return;
        throw context.Error($"the zero point has shape {zeroPoint} but the scale has shape {scale}; they must match");
    }
}
