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
        var divisorD = window.TapCounts(0, countPadding);
        var divisorH = window.TapCounts(1, countPadding);
        var divisorW = window.TapCounts(2, countPadding);

        var y = new float[(long)planes * outPlane];
        Span<int> offsets = new int[window.TapCount];
        for (int plane = 0; plane < planes; plane++)
        {
            var input = new ReadOnlySpan<float>(x, plane * inPlane, inPlane);
            int o = plane * outPlane;
            for (int od = 0; od < outD; od++)
            for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++, o++)
            {
                double sum = 0;
                int taps = window.InputTaps(od, oh, ow, offsets);
                for (int t = 0; t < taps; t++) sum += input[offsets[t]];
                // An empty window (possible only with large dilations) averages nothing: NaN, as 0/0.
                long divisor = (long)divisorD[od] * divisorH[oh] * divisorW[ow];
                y[o] = divisor == 0 ? float.NaN : (float)(sum / divisor);
            }
        }
        context.SetOutput(0, Tensor.Create(new Shape([shape[0], shape[1], .. original.OutputSize]), y));
    }
}
