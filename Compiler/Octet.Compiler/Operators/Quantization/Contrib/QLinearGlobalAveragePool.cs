using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// com.microsoft QLinearGlobalAveragePool: the mean of each channel's spatial values, on quantized data.
/// Inputs X, x_scale, x_zero_point, y_scale, y_zero_point; X, Y and the zero points all int8 or all uint8;
/// scales and zero points per tensor. X is <c>N x C x D1 x ...</c>, or <c>N x D1 x ... x C</c> with
/// <c>channels_last=1</c>; Y has X's rank with every spatial dimension 1.
/// </summary>
/// <remarks>
/// Dequantize, average, requantize: the sum of <c>X - x_zero_point</c> over a channel is exact (an integer),
/// its mean times x_scale is formed in float64 and rounded once to float32, then
/// <c>Y = saturate(round_half_to_even(mean / y_scale) + y_zero_point)</c> in float32. ONNX Runtime folds the
/// scales into one ratio <c>x_scale / (y_scale * count)</c> in float32, so a result near a half-way point
/// can differ by one step.
/// </remarks>
public sealed class QLinearGlobalAveragePool : OperatorDefinition
{
    public override string OpType => "QLinearGlobalAveragePool";
    public override string Domain => "com.microsoft";
    public override IReadOnlyList<int> SinceVersions { get; } = [1];

    private const int X = 0, XScale = 1, XZeroPoint = 2, YScale = 3, YZeroPoint = 4;

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 5, 5);
        QuantizedValues.ExpectEightBit(context, X, "X");
        QuantizedValues.ExpectSameType(context, XZeroPoint, X, "x_zero_point", "X");
        QuantizedValues.ExpectSameType(context, YZeroPoint, X, "y_zero_point", "X");
        foreach (var (index, name) in new[] { (XScale, "x_scale"), (YScale, "y_scale") })
        {
            QuantizedValues.ExpectScaleType(context, index, name);
            QuantizedValues.ExpectPerTensor(context, index, name);
        }
        QuantizedValues.ExpectPerTensor(context, XZeroPoint, "x_zero_point");
        QuantizedValues.ExpectPerTensor(context, YZeroPoint, "y_zero_point");
        var x = context.InputShape(X);
        if (x.Rank < 3)
            throw context.Error($"input X has shape {x}; expected N x C x D1 x ... or N x D1 x ... x C (rank 3 or more)");
        context.SetOutput(0, context.InputType(X), OutputShape(x, ChannelsLast(context.Node, context.Error)));
    }

    private static bool ChannelsLast(Node node, Func<string, Exception> error) => node.GetInt("channels_last", 0) switch
    {
        0 => false,
        1 => true,
        var v => throw error($"channels_last={v} must be 0 or 1"),
    };

    private static Shape OutputShape(Shape x, bool channelsLast)
    {
        var dims = x.ToArray();
        int channelAxis = channelsLast ? x.Rank - 1 : 1;
        for (int d = 1; d < dims.Length; d++)
            if (d != channelAxis) dims[d] = 1;
        return new Shape(dims);
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(X);
        bool channelsLast = ChannelsLast(context.Node, context.Error);
        var parameters = new Requantization(
            QuantizedValues.Scale(context.Input(XScale)), QuantizedValues.ZeroPoint(context.Input(XZeroPoint)),
            QuantizedValues.Scale(context.Input(YScale)), QuantizedValues.ZeroPoint(context.Input(YZeroPoint)));
        Array y = x.ElementType switch
        {
            ElementType.Int8 => Run((sbyte[])x.Data, x.Shape, channelsLast, parameters),
            ElementType.UInt8 => Run((byte[])x.Data, x.Shape, channelsLast, parameters),
            _ => throw context.Error($"X is {x.ElementType.OnnxName()}; expected int8 or uint8"),
        };
        context.SetOutput(0, Tensor.Create(x.ElementType, OutputShape(x.Shape, channelsLast), y));
    }

    private readonly record struct Requantization(float XScale, int XZeroPoint, float YScale, int YZeroPoint);

    private static T[] Run<T>(T[] x, Shape shape, bool channelsLast, Requantization q)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        int batch = shape[0];
        int channels = channelsLast ? shape[^1] : shape[1];
        int spatial = batch * channels == 0 ? 0 : (int)(shape.ElementCount / ((long)batch * channels));
        // Channel c of image n: channels-first, a contiguous plane; channels-last, every channels-th element.
        int channelStride = channelsLast ? 1 : spatial, positionStride = channelsLast ? channels : 1;
        var sums = new long[batch * channels];
        for (int n = 0; n < batch; n++)
        {
            int image = n * channels * spatial;
            for (int c = 0; c < channels; c++)
            {
                long sum = 0;
                for (int s = 0, i = image + c * channelStride; s < spatial; s++, i += positionStride)
                    sum += int.CreateTruncating(x[i]) - q.XZeroPoint;
                sums[n * channels + c] = sum;
            }
        }

        var y = new T[sums.Length];
        for (int i = 0; i < y.Length; i++)
        {
            // An empty spatial extent averages to 0 (ONNX Runtime would divide by zero).
            float mean = spatial == 0 ? 0f : (float)((double)sums[i] / spatial * q.XScale);
            y[i] = QuantizedValues.Quantize<T>(mean / q.YScale, q.YZeroPoint);
        }
        return y;
    }
}
