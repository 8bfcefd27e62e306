using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// What ConvInteger and QLinearConv share: the Conv geometry (group, pads, strides, dilations, auto_pad,
/// 1 to 3 spatial axes, via <see cref="SlidingWindow"/>) and the exact int32 accumulation of
/// <c>(x - x_zero_point) * (w - w_zero_point)</c>.
/// </summary>
/// <remarks>
/// Padding is applied after the zero point is subtracted, so a padded position contributes 0 — as if it
/// held the zero point, which is what the ONNX reference and ONNX Runtime do. Accumulation wraps on int32
/// overflow, which the specs allow ("the accumulation may overflow if and only if in 32 bits").
/// </remarks>
internal static class IntegerConvolution
{
    /// <summary>Checks x (input <paramref name="xIndex"/>) and w (input <paramref name="wIndex"/>) against each other and the attributes; returns y's shape.</summary>
    public static Shape InferShape(InferenceContext context, int xIndex, int wIndex)
    {
        var x = context.InputShape(xIndex);
        var w = context.InputShape(wIndex);
        if (x.Rank < 3) throw context.Error($"input x has shape {x}; expected N x C x D1 x ... (rank 3 or more)");
        if (w.Rank != x.Rank) throw context.Error($"weights w have shape {w}; expected rank {x.Rank}, the rank of x {x}");
        int group = Conv.ReadGroup(context.Node);
        int channels = x[1], outChannels = w[0];
        if (channels % group != 0 || outChannels % group != 0)
            throw context.Error($"group={group} does not divide the input channels ({channels}) and output channels ({outChannels})");
        if (w[1] * group != channels)
            throw context.Error($"weights w {w} expect {w[1]} x group({group}) = {w[1] * group} input channels, but x {x} has {channels}");
        var window = SlidingWindow.Resolve(context.Node, x, w.Skip(2).ToArray(), ceilMode: false);
        return new Shape([x[0], outChannels, .. window.OutputSize]);
    }

    /// <summary>Requires a weight scale or zero point to be per-tensor or 1-D with one value per output channel.</summary>
    public static void ExpectPerOutputChannel(InferenceContext context, int index, string name, int outChannels)
    {
        if (!context.HasInput(index)) return;
        var shape = context.InputShape(index);
        if (QuantizedValues.IsPerTensor(shape) || (shape.Rank == 1 && shape[0] == outChannels)) return;
        throw context.Error($"{name} (input {index}, '{context.Node.Inputs[index]}') has shape {shape}; expected a scalar " +
                            $"(per-tensor) or [{outChannels}] (one value per output channel)");
    }

    /// <summary>One value per output channel from a per-tensor or per-output-channel parameter.</summary>
    public static T[] PerOutputChannel<T>(T[] values, int outChannels) =>
        values.Length == outChannels ? values : Enumerable.Repeat(values[0], outChannels).ToArray();

    /// <summary>
    /// The int32 convolution of the zero-point-shifted input <paramref name="x"/> (shape <paramref name="xShape"/>)
    /// with the shifted weights <paramref name="w"/>, plus <paramref name="bias"/> per output channel when given.
    /// </summary>
    public static int[] Accumulate(Node node, int[] x, Shape xShape, int[] w, Shape wShape, int[]? bias, out Shape outputShape)
    {
        int group = Conv.ReadGroup(node);
        var resolved = SlidingWindow.Resolve(node, xShape, wShape.Skip(2).ToArray(), ceilMode: false);
        var window = resolved.As3D();
        int batch = xShape[0], channels = xShape[1], outChannels = wShape[0];
        int channelsPerGroup = channels / group, outChannelsPerGroup = outChannels / group;

        var (inH, inW) = (window.InputSize[1], window.InputSize[2]);
        var (outH, outW) = (window.OutputSize[1], window.OutputSize[2]);
        var (kD, kH, kW) = (window.Kernel[0], window.Kernel[1], window.Kernel[2]);
        int inPlane = window.InputSize[0] * inH * inW, outPlane = window.OutputSize[0] * outH * outW, kernelSize = kD * kH * kW;

        outputShape = new Shape([batch, outChannels, .. resolved.OutputSize]);
        var y = new int[outputShape.ElementCount];
        for (int n = 0; n < batch; n++)
        {
            for (int oc = 0; oc < outChannels; oc++)
            {
                int g = oc / outChannelsPerGroup;
                var outChannel = y.AsSpan((n * outChannels + oc) * outPlane, outPlane);
                outChannel.Fill(bias?[oc] ?? 0);

                for (int c = 0; c < channelsPerGroup; c++)
                {
                    var inChannel = new ReadOnlySpan<int>(x, (n * channels + g * channelsPerGroup + c) * inPlane, inPlane);
                    int weightBase = (oc * channelsPerGroup + c) * kernelSize;

                    // One kernel tap at a time: add weight x (shifted input rows) to the output rows it reaches;
                    // taps that fall in the padding are skipped (they would add 0).
                    for (int kd = 0; kd < kD; kd++)
                    {
                        var (odFirst, odLast) = window.ValidOutputRange(0, kd);
                        for (int kh = 0; kh < kH; kh++)
                        {
                            var (ohFirst, ohLast) = window.ValidOutputRange(1, kh);
                            for (int kw = 0; kw < kW; kw++)
                            {
                                int weight = w[weightBase + (kd * kH + kh) * kW + kw];
                                var (owFirst, owLast) = window.ValidOutputRange(2, kw);
                                int count = owLast - owFirst;
                                if (count <= 0 || weight == 0) continue;
                                int iwFirst = owFirst * window.Strides[2] + kw * window.Dilations[2] - window.PadBegin[2];

                                for (int od = odFirst; od < odLast; od++)
                                {
                                    int id = od * window.Strides[0] + kd * window.Dilations[0] - window.PadBegin[0];
                                    for (int oh = ohFirst; oh < ohLast; oh++)
                                    {
                                        int ih = oh * window.Strides[1] + kh * window.Dilations[1] - window.PadBegin[1];
                                        var outRow = outChannel.Slice((od * outH + oh) * outW + owFirst, count);
                                        int inStart = (id * inH + ih) * inW + iwFirst;
                                        AccumulateRow(outRow, inChannel, inStart, window.Strides[2], weight);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    /// <summary><c>output[i] += weight * input[start + i * stride]</c> over the output row, wrapping on overflow.</summary>
    private static void AccumulateRow(Span<int> output, ReadOnlySpan<int> input, int start, int stride, int weight)
    {
        if (stride == 1)
        {
            var source = input.Slice(start, output.Length);
            for (int i = 0; i < output.Length; i++) output[i] = unchecked(output[i] + weight * source[i]);
        }
        else
        {
            for (int i = 0, j = start; i < output.Length; i++, j += stride) output[i] = unchecked(output[i] + weight * input[j]);
        }
    }

    /// <summary>The values of an 8-bit tensor minus one zero point (per tensor).</summary>
    public static int[] ShiftInput(Tensor x, int zeroPoint)
    {
        var values = QuantizedValues.Widen(x);
        for (int i = 0; i < values.Length; i++) values[i] -= zeroPoint;
        return values;
    }

    /// <summary>The values of 8-bit weights minus the zero point of each one's output channel.</summary>
    public static int[] ShiftWeights(Tensor w, int[] zeroPointPerOutputChannel)
    {
        var values = QuantizedValues.Widen(w);
        int perChannel = w.Shape[0] == 0 ? 0 : values.Length / w.Shape[0];
        for (int i = 0; i < values.Length; i++) values[i] -= zeroPointPerOutputChannel[i / perChannel];
        return values;
    }
}
