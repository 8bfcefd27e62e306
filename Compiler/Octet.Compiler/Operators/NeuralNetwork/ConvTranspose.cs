using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX ConvTranspose (the gradient of Conv with respect to its input, a.k.a. deconvolution) over 1 to 3
/// spatial axes. X is <c>N x C x D1 ...</c>, W is <c>C x M/group x k1 ...</c>, B is <c>M</c>. Each input element
/// scatters <c>x * W</c> into the output at <c>i * stride - padBegin + k * dilation</c>.
/// </summary>
public sealed class ConvTranspose : OperatorDefinition
{
    public override string OpType => "ConvTranspose";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 22];

    /// <summary>The resolved geometry: per spatial axis, output size and the padding cropped from the start.</summary>
    private sealed record Geometry(int[] Input, int[] Output, int[] Kernel, int[] Strides, int[] Dilations, int[] PadBegin);

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        context.ExpectType(1, ElementType.Float32);
        var x = context.InputShape(0);
        var w = context.InputShape(1);
        if (x.Rank < 3) throw context.Error($"input X has shape {x}; expected N x C x D1 x ... (rank 3 or more)");
        if (x.Rank - 2 > SlidingWindow.MaxSpatialRank)
            throw context.Error($"input X has shape {x}: {x.Rank - 2} spatial axes; Octet supports 1 to {SlidingWindow.MaxSpatialRank}");
        if (w.Rank != x.Rank) throw context.Error($"weights W have shape {w}; expected rank {x.Rank}, the rank of X {x}");

        int group = Conv.ReadGroup(context.Node);
        if (w[0] != x[1])
            throw context.Error($"weights W {w} have {w[0]} input channels (dim 0), but X {x} has {x[1]}");
        if (x[1] % group != 0)
            throw context.Error($"group={group} does not divide the input channels ({x[1]})");
        long outChannelCount = (long)w[1] * group;
        if (outChannelCount > Shape.MaxElements)
            throw context.Error($"weights W {w} with group={group} would make {outChannelCount} output channels");
        int outChannels = (int)outChannelCount;
        if (context.HasInput(2))
        {
            context.ExpectType(2, ElementType.Float32);
            var b = context.InputShape(2);
            if (b.Rank != 1 || b[0] != outChannels)
                throw context.Error($"bias B has shape {b}; expected [{outChannels}] (W dim 1 x group)");
        }
        var geometry = Resolve(context.Node, x, w);
        context.SetOutput(0, ElementType.Float32, OutputShape.Create(context.Node, [x[0], outChannels, .. geometry.Output]));
    }

    private static Geometry Resolve(Node node, Shape x, Shape w)
    {
        int rank = x.Rank - 2;
        var input = x.Skip(2).ToArray();
        var kernel = w.Skip(2).ToArray();
        var kernelAttribute = node.GetInts("kernel_shape");
        if (kernelAttribute is not null && !kernelAttribute.AsSpan().SequenceEqual(Array.ConvertAll(kernel, k => (long)k)))
            throw OctetException.AtNode(node,
                $"kernel_shape [{string.Join(",", kernelAttribute)}] does not match the weights' spatial dims [{string.Join(",", kernel)}]");
        foreach (var k in kernel)
            if (k < 1) throw OctetException.AtNode(node, $"weights W {w} have an empty kernel");

        var strides = SlidingWindow.ReadInts(node, "strides", rank, 1, minimum: 1);
        var dilations = SlidingWindow.ReadInts(node, "dilations", rank, 1, minimum: 1);
        var outputPadding = SlidingWindow.ReadInts(node, "output_padding", rank, 0, minimum: 0);
        var pads = SlidingWindow.ReadInts(node, "pads", 2 * rank, 0, minimum: 0);
        string autoPad = SlidingWindow.ReadAutoPad(node);

        // The output an unpadded transpose produces: every input position's window, laid end to end.
        var full = new long[rank];
        for (int i = 0; i < rank; i++)
            full[i] = (long)strides[i] * (input[i] - 1) + outputPadding[i] + (long)(kernel[i] - 1) * dilations[i] + 1;

        var output = new int[rank];
        var padBegin = new int[rank];
        var requested = node.GetInts("output_shape");
        if (requested is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // The output size is given (output_shape) or implied (SAME: input x stride); the padding is what
            // makes the full output that size, split as the spec says (the odd element at the end for
            // SAME_UPPER, at the start otherwise). Negative totals grow the output with bias-only positions.
            long[] target;
            if (requested is not null)
            {
                // The spec gives spatial sizes; some exporters write the full N x C x ... shape.
                if (requested.Length == rank + 2) requested = requested[2..];
                if (requested.Length != rank)
                    throw OctetException.AtNode(node, $"output_shape [{string.Join(",", requested)}] has {requested.Length} values; expected {rank} (one per spatial axis)");
                target = requested;
            }
            else
            {
                target = new long[rank];
                for (int i = 0; i < rank; i++) target[i] = (long)input[i] * strides[i];
            }
            for (int i = 0; i < rank; i++)
            {
                if (target[i] < 1 || target[i] > int.MaxValue)
                    throw OctetException.AtNode(node, $"output size {target[i]} along spatial axis {i} is out of range");
                long total = full[i] - target[i];
                long half = (long)Math.Floor(total / 2.0);
                padBegin[i] = checked((int)(autoPad == "SAME_UPPER" ? half : total - half));
                output[i] = (int)target[i];
            }
        }
        else
        {
            for (int i = 0; i < rank; i++)
            {
                if (autoPad == "VALID") pads[i] = pads[i + rank] = 0;
                long size = full[i] - pads[i] - pads[i + rank];
                if (size < 1 || size > int.MaxValue)
                    throw OctetException.AtNode(node,
                        $"output size along spatial axis {i} would be {size} (input {input[i]}, stride {strides[i]}, kernel {kernel[i]}, pads {pads[i]}+{pads[i + rank]})");
                output[i] = (int)size;
                padBegin[i] = pads[i];
            }
        }
        return new Geometry(input, output, kernel, strides, dilations, padBegin);
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var wTensor = context.Input(1);
        var x = xTensor.As<float>();
        var w = wTensor.As<float>();
        var bias = context.OptionalInput(2)?.As<float>();
        int group = Conv.ReadGroup(context.Node);
        var geometry = Resolve(context.Node, xTensor.Shape, wTensor.Shape);

        // Lift to three spatial axes (leading axes of size 1) so one loop nest serves 1-D, 2-D and 3-D.
        int extra = SlidingWindow.MaxSpatialRank - geometry.Input.Length;
        int[] Lift(int[] values, int fill) => Enumerable.Repeat(fill, extra).Concat(values).ToArray();
        var input = Lift(geometry.Input, 1);
        var output = Lift(geometry.Output, 1);
        var kernel = Lift(geometry.Kernel, 1);
        var strides = Lift(geometry.Strides, 1);
        var dilations = Lift(geometry.Dilations, 1);
        var padBegin = Lift(geometry.PadBegin, 0);

        int batch = xTensor.Shape[0], channels = xTensor.Shape[1];
        int outChannelsPerGroup = wTensor.Shape[1], outChannels = outChannelsPerGroup * group;
        int channelsPerGroup = channels / group;
        int inPlane = input[0] * input[1] * input[2], outPlane = output[0] * output[1] * output[2];
        int kernelSize = kernel[0] * kernel[1] * kernel[2];

        var y = new float[(long)batch * outChannels * outPlane];
        for (int n = 0; n < batch; n++)
        {
            for (int oc = 0; oc < outChannels; oc++)
                y.AsSpan((n * outChannels + oc) * outPlane, outPlane).Fill(bias?[oc] ?? 0f);

            for (int c = 0; c < channels; c++)
            {
                int g = c / channelsPerGroup;
                var inChannel = new ReadOnlySpan<float>(x, (n * channels + c) * inPlane, inPlane);
                for (int m = 0; m < outChannelsPerGroup; m++)
                {
                    int oc = g * outChannelsPerGroup + m;
                    var outChannel = y.AsSpan((n * outChannels + oc) * outPlane, outPlane);
                    int weightBase = (c * outChannelsPerGroup + m) * kernelSize;

                    for (int kd = 0; kd < kernel[0]; kd++)
                    {
                        var (idFirst, idLast) = ValidInputRange(input[0], output[0], strides[0], kd * dilations[0] - padBegin[0]);
                        for (int kh = 0; kh < kernel[1]; kh++)
                        {
                            var (ihFirst, ihLast) = ValidInputRange(input[1], output[1], strides[1], kh * dilations[1] - padBegin[1]);
                            for (int kw = 0; kw < kernel[2]; kw++)
                            {
                                float weight = w[weightBase + (kd * kernel[1] + kh) * kernel[2] + kw];
                                int offsetW = kw * dilations[2] - padBegin[2];
                                var (iwFirst, iwLast) = ValidInputRange(input[2], output[2], strides[2], offsetW);
                                for (int id = idFirst; id < idLast; id++)
                                {
                                    int od = id * strides[0] + kd * dilations[0] - padBegin[0];
                                    for (int ih = ihFirst; ih < ihLast; ih++)
                                    {
                                        int oh = ih * strides[1] + kh * dilations[1] - padBegin[1];
                                        int inRow = (id * input[1] + ih) * input[2];
                                        int outRow = (od * output[1] + oh) * output[2];
                                        for (int iw = iwFirst, ow = iwFirst * strides[2] + offsetW; iw < iwLast; iw++, ow += strides[2])
                                            outChannel[outRow + ow] += weight * inChannel[inRow + iw];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        context.SetOutput(0, Tensor.Create(new Shape([batch, outChannels, .. geometry.Output]), y));
    }

    /// <summary>Input positions <c>[first, last)</c> whose output position <c>i * stride + offset</c> is inside the output.</summary>
    private static (int First, int Last) ValidInputRange(int inputSize, int outputSize, int stride, int offset)
    {
        long first = offset >= 0 ? 0 : (-(long)offset + stride - 1) / stride;
        long last = outputSize - 1 - (long)offset < 0 ? 0 : (outputSize - 1 - (long)offset) / stride + 1;
        last = Math.Min(last, inputSize);
        return ((int)Math.Min(first, last), (int)last);
    }
}
