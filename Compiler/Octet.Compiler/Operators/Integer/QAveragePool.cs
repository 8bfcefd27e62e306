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
        var requantizer = Requantizer.Read(node, 1, "tensor");

        long taps = 1;
        foreach (var k in window.Kernel) taps *= k;
        IntegerAttributes.ExpectFitsInt32(node, taps * IntegerAttributes.MaxDistance(context.InputType(0), zeroPoint),
            $"the sum over a window of {taps} values");
        var counts = window.As3D();
        bool countPadding = CountIncludePad(node);
        for (int axis = 0; axis < SlidingWindow.MaxSpatialRank; axis++)
        {
            int empty = Array.IndexOf(TapCounts(counts, axis, countPadding), 0);
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
        var countD = TapCounts(window, 0, countPadding);
        var countH = TapCounts(window, 1, countPadding);
        var countW = TapCounts(window, 2, countPadding);

        var y = new int[planes * outPlane];
        for (int plane = 0; plane < planes; plane++)
        {
            var input = new ReadOnlySpan<int>(x, plane * inPlane, inPlane);
            int o = plane * outPlane;
            for (int od = 0; od < outD; od++)
            for (int oh = 0; oh < outH; oh++)
            for (int ow = 0; ow < outW; ow++, o++)
            {
                int sum = 0;
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
                            sum += input[(id * inH + ih) * inW + iw] - zeroPoint;
                        }
                    }
                }
                y[o] = IntegerAverage.Average(requantizer, sum, countD[od] * countH[oh] * countW[ow]);
            }
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(requantizer.OutputType, new Shape([shape[0], shape[1], .. original.OutputSize]), y));
    }

    /// <summary>
    /// For each output position along <paramref name="axis"/>, how many taps the count includes: those at
    /// input positions in <c>[0, input)</c>, or with <paramref name="countPadding"/> in <c>[−padBegin, input + padEnd)</c>.
    /// A window is the product of its per-axis tap sets, so its count is the product of these.
    /// </summary>
    private static int[] TapCounts(SlidingWindow window, int axis, bool countPadding)
    {
        int low = countPadding ? -window.PadBegin[axis] : 0;
        int high = window.InputSize[axis] + (countPadding ? window.PadEnd[axis] : 0);
        var counts = new int[window.OutputSize[axis]];
        for (int o = 0; o < counts.Length; o++)
            for (int k = 0; k < window.Kernel[axis]; k++)
            {
                long position = (long)o * window.Strides[axis] - window.PadBegin[axis] + (long)k * window.Dilations[axis];
                if (position >= low && position < high) counts[o]++;
            }
        return counts;
    }
}
