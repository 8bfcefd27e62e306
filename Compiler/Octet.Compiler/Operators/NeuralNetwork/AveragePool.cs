using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX AveragePool over 1 to 3 spatial axes. The divisor is the number of window positions inside the
/// input (<c>count_include_pad=0</c>), or inside the input plus its declared padding (<c>count_include_pad=1</c>);
/// positions a <c>ceil_mode</c> window reaches beyond the declared padding never count.
/// </summary>
public sealed class AveragePool : OperatorDefinition
{
    public override string OpType => "AveragePool";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 7, 10, 11, 19, 22];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        var x = context.InputShape(0);
        var window = Resolve(context.Node, x);
        context.SetOutput(0, ElementType.Float32, OutputShape.Create(context.Node, [x[0], x[1], .. window.OutputSize]));
    }

    private static SlidingWindow Resolve(Node node, Shape x)
    {
        long countIncludePad = node.GetInt("count_include_pad", 0);
        if (countIncludePad is not (0 or 1))
            throw Diagnostics.OctetException.AtNode(node, $"count_include_pad={countIncludePad}; expected 0 or 1");
        return SlidingWindow.Resolve(node, x, kernelFromWeights: null, ceilMode: MaxPool.ReadCeilMode(node));
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var shape = xTensor.Shape;
        var original = Resolve(context.Node, shape);
        var window = original.As3D();
        bool countPadding = context.Node.GetInt("count_include_pad", 0) == 1;

        var x = xTensor.As<float>();
        int planes = shape[0] * shape[1];
        var (inD, inH, inW) = (window.InputSize[0], window.InputSize[1], window.InputSize[2]);
        var (outD, outH, outW) = (window.OutputSize[0], window.OutputSize[1], window.OutputSize[2]);
        int inPlane = inD * inH * inW, outPlane = outD * outH * outW;

        // Per axis and output position, how many window taps the divisor counts. Taps are counted per axis
        // because a window is the product of its per-axis tap sets.
        var divisorD = TapCounts(window, 0, countPadding);
        var divisorH = TapCounts(window, 1, countPadding);
        var divisorW = TapCounts(window, 2, countPadding);

        var y = new float[(long)planes * outPlane];
        for (int plane = 0; plane < planes; plane++)
        {
            var input = new ReadOnlySpan<float>(x, plane * inPlane, inPlane);
            int o = plane * outPlane;
            for (int od = 0; od < outD; od++)
            for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++, o++)
            {
                double sum = 0;
                for (int kd = 0; kd < window.Kernel[0]; kd++)
                {
                    int id = od * window.Strides[0] - window.PadBegin[0] + kd * window.Dilations[0];
                    if ((uint)id >= (uint)inD) continue;
                    for (int kh = 0; kh < window.Kernel[1]; kh++)
                    {
                        int ih = oh * window.Strides[1] - window.PadBegin[1] + kh * window.Dilations[1];
                        if ((uint)ih >= (uint)inH) continue;
                        for (int kw = 0; kw < window.Kernel[2]; kw++)
                        {
                            int iw = ow * window.Strides[2] - window.PadBegin[2] + kw * window.Dilations[2];
                            if ((uint)iw >= (uint)inW) continue;
                            sum += input[(id * inH + ih) * inW + iw];
                        }
                    }
                }
                // An empty window (possible only with large dilations) averages nothing: NaN, as 0/0.
                long divisor = (long)divisorD[od] * divisorH[oh] * divisorW[ow];
                y[o] = divisor == 0 ? float.NaN : (float)(sum / divisor);
            }
        }
        context.SetOutput(0, Tensor.Create(new Shape([shape[0], shape[1], .. original.OutputSize]), y));
    }

    /// <summary>
    /// For each output position along <paramref name="axis"/>, the number of taps at input positions in
    /// <c>[0, input)</c>, or with <paramref name="countPadding"/> in <c>[-padBegin, input + padEnd)</c>.
    /// </summary>
    private static int[] TapCounts(SlidingWindow window, int axis, bool countPadding)
    {
        int low = countPadding ? -window.PadBegin[axis] : 0;
        int high = window.InputSize[axis] + (countPadding ? window.PadEnd[axis] : 0);
        var counts = new int[window.OutputSize[axis]];
        for (int o = 0; o < counts.Length; o++)
        {
            for (int k = 0; k < window.Kernel[axis]; k++)
            {
                int position = o * window.Strides[axis] - window.PadBegin[axis] + k * window.Dilations[axis];
                if (position >= low && position < high) counts[o]++;
            }
        }
        return counts;
    }
}
