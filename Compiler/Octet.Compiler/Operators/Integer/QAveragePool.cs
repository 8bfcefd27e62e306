using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QAveragePool(X): AveragePool on an 8-bit <c>N x C x D1 x ...</c> tensor (1 to 3 spatial axes). Attributes:
/// AveragePool's geometry (<c>kernel_shape</c> (required), <c>strides</c>, <c>pads</c>, <c>dilations</c>,
/// <c>ceil_mode</c>, <c>count_include_pad</c>, <c>auto_pad</c>), <c>x_zero_point</c> (int), and the per-tensor
/// requantization attributes (lowering chooses M = s_x / s_y).
/// </summary>
/// <remarks>
/// <c>acc = Σ (x − x_zero_point)</c> over the window's taps inside the input; the count is the number of taps
/// inside the input, or inside the input plus its declared padding with <c>count_include_pad=1</c> (padded
/// taps then count but add 0 — they hold the zero point). Then one rounded step (<see cref="IntegerAverage"/>).
/// A window with no counted tap (possible only with dilations or ceil_mode) is rejected at inference.
/// </remarks>
public sealed class QAveragePool : IntegerOperator
{
    public override string OpType => "QAveragePool";

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node))
            .Concat(["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "count_include_pad", "auto_pad", "x_zero_point"]);

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectEightBit(context, 0, "X");
        ExpectKnownAttributes(context);
        var node = context.Node;
        var x = context.InputShape(0);
        var window = Resolve(node, x);
        int zeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", context.InputType(0));
        var requantizer = Requantizer.Read(node, 1, "tensor", eightBitOutput: true);

        long taps = 1;
        foreach (var k in window.Kernel) taps *= k;
        IntegerAttributes.ExpectFitsInt32(node, taps * IntegerAttributes.MaxDistance(context.InputType(0), zeroPoint),
            $"the sum over a window of {taps} values");
        var counts = window.As3D();
        bool countPadding = CountIncludePad(node);
        for (int axis = 0; axis < SlidingWindow.MaxSpatialRank; axis++)
        {
            int empty = Array.IndexOf(counts.TapCounts(axis, countPadding), 0);
            if (empty >= 0)
                throw context.Error($"the window at output position {empty} along spatial axis {axis - (SlidingWindow.MaxSpatialRank - window.SpatialRank)} " +
                                    "covers no input value (dilations or ceil_mode put every tap outside the input): its average is undefined");
        }
        context.SetOutput(0, requantizer.OutputType, OutputShape.Create(node, [x[0], x[1], .. window.OutputSize]));
    }

    private static SlidingWindow Resolve(Node node, Shape x)
    {
        CountIncludePad(node);
        return SlidingWindow.Resolve(node, x, kernelFromWeights: null, ceilMode: MaxPool.ReadCeilMode(node));
    }

    private static bool CountIncludePad(Node node) => node.GetInt("count_include_pad", 0) switch
    {
        0 => false,
        1 => true,
        var v => throw OctetException.AtNode(node, $"count_include_pad={v}; expected 0 or 1"),
    };

    public override void Execute(KernelContext context)
    {
        var node = context.Node;
        var xTensor = context.Input(0);
        var shape = xTensor.Shape;
        var original = Resolve(node, shape);
        var window = original.As3D();
        bool countPadding = CountIncludePad(node);
        int zeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", xTensor.ElementType);
        var requantizer = Requantizer.Read(node, 1, "tensor");

        var x = QuantizedValues.Widen(xTensor);
        int planes = shape[0] * shape[1];
        var (inD, inH, inW) = (window.InputSize[0], window.InputSize[1], window.InputSize[2]);
        var (outD, outH, outW) = (window.OutputSize[0], window.OutputSize[1], window.OutputSize[2]);
        int inPlane = inD * inH * inW, outPlane = outD * outH * outW;
        var countD = window.TapCounts(0, countPadding);
        var countH = window.TapCounts(1, countPadding);
        var countW = window.TapCounts(2, countPadding);

        var y = new int[planes * outPlane];
        Span<int> offsets = new int[window.TapCount];
        for (int plane = 0; plane < planes; plane++)
        {
            var input = new ReadOnlySpan<int>(x, plane * inPlane, inPlane);
            int o = plane * outPlane;
            for (int od = 0; od < outD; od++)
            for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++, o++)
            {
                int sum = 0;
                int taps = window.InputTaps(od, oh, ow, offsets);
                for (int t = 0; t < taps; t++) sum += input[offsets[t]] - zeroPoint;
                y[o] = IntegerAverage.Average(requantizer, sum, countD[od] * countH[oh] * countW[ow]);
            }
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(requantizer.OutputType, new Shape([shape[0], shape[1], .. original.OutputSize]), y));
    }
}
