using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX MaxPool over 1 to 3 spatial axes: the largest input value in each window, padding excluded.
/// The optional second output, Indices (int64), gives each maximum's flat index into X, counting
/// the spatial axes row-major (<c>storage_order=0</c>) or column-major (<c>storage_order=1</c>).
/// float32, int8 and uint8 (the integer types since version 12).
/// </summary>
public sealed class MaxPool : OperatorDefinition
{
    public override string OpType => "MaxPool";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 8, 10, 11, 12, 22];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32, ElementType.Int8, ElementType.UInt8);
        var window = Resolve(context.Node, context.InputShape(0));
        var x = context.InputShape(0);
        var shape = OutputShape.Create(context.Node, [x[0], x[1], .. window.OutputSize]);
        context.SetOutput(0, context.InputType(0), shape);
        if (context.HasOutput(1)) context.SetOutput(1, ElementType.Int64, shape);
    }

    private static SlidingWindow Resolve(Node node, Shape x)
    {
        long storageOrder = node.GetInt("storage_order", 0);
        if (storageOrder is not (0 or 1))
            throw Diagnostics.OctetException.AtNode(node, $"storage_order={storageOrder}; expected 0 (row major) or 1 (column major)");
        return SlidingWindow.Resolve(node, x, kernelFromWeights: null, ceilMode: ReadCeilMode(node));
    }

    internal static bool ReadCeilMode(Node node)
    {
        long ceilMode = node.GetInt("ceil_mode", 0);
        if (ceilMode is not (0 or 1))
            throw Diagnostics.OctetException.AtNode(node, $"ceil_mode={ceilMode}; expected 0 or 1");
        return ceilMode == 1;
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var shape = xTensor.Shape;
        var original = Resolve(context.Node, shape);
        var window = original.As3D();
        bool columnMajor = context.Node.GetInt("storage_order", 0) == 1;

        // Integer inputs are pooled as floats: int8 and uint8 values convert to float and back exactly.
        var x = SmallIntegers.ToFloats(xTensor);
        int planes = shape[0] * shape[1];
        var (inD, inH, inW) = (window.InputSize[0], window.InputSize[1], window.InputSize[2]);
        var (outD, outH, outW) = (window.OutputSize[0], window.OutputSize[1], window.OutputSize[2]);
        int inPlane = inD * inH * inW, outPlane = outD * outH * outW;
        var y = new float[(long)planes * outPlane];
        var indices = new long[y.Length];
        Span<int> offsets = new int[window.TapCount];

        for (int plane = 0; plane < planes; plane++)
        {
            var input = new ReadOnlySpan<float>(x, plane * inPlane, inPlane);
            int o = plane * outPlane;
            for (int od = 0; od < outD; od++)
            for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++, o++)
            {
                float best = float.NegativeInfinity;
                int bestOffset = -1;
                int taps = window.InputTaps(od, oh, ow, offsets);
                for (int t = 0; t < taps; t++)
                {
                    float value = input[offsets[t]];
                    if (bestOffset < 0 || value > best) (best, bestOffset) = (value, offsets[t]);
                }
                int bestD = bestOffset < 0 ? -1 : bestOffset / (inH * inW), bestH = bestOffset / inW % inH, bestW = bestOffset % inW;
                y[o] = best;
                // A window with no input element (possible only with large dilations) reports index -1.
                indices[o] = bestD < 0 ? -1 : (long)plane * inPlane + (columnMajor
                    ? bestD + (long)bestH * inD + (long)bestW * inD * inH
                    : ((long)bestD * inH + bestH) * inW + bestW);
            }
        }

        var outShape = new Shape([shape[0], shape[1], .. original.OutputSize]);
        context.SetOutput(0, SmallIntegers.FromFloats(xTensor.ElementType, outShape, y));
        if (context.HasOutput(1)) context.SetOutput(1, Tensor.Create(outShape, indices));
    }
}
