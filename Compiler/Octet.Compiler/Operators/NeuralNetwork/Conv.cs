using System.Runtime.CompilerServices;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX Conv: grouped, strided, dilated, padded cross-correlation over 1 to 3 spatial axes, with optional bias.
/// X is <c>N x C x D1 ...</c>, W is <c>M x C/group x k1 ...</c>, B is <c>M</c>; Y is <c>N x M x o1 ...</c>.
/// Versions 1, 11 and 22 differ only in documentation and accepted types.
/// </summary>
public sealed class Conv : OperatorDefinition
{
    public override string OpType => "Conv";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 22];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        context.ExpectType(1, ElementType.Float32);
        var x = context.InputShape(0);
        var w = context.InputShape(1);
        if (x.Rank < 3) throw context.Error($"input X has shape {x}; expected N x C x D1 x ... (rank 3 or more)");
        if (w.Rank != x.Rank) throw context.Error($"weights W have shape {w}; expected rank {x.Rank}, the rank of X {x}");

        int group = ReadGroup(context.Node);
        int channels = x[1], outChannels = w[0];
        if (channels % group != 0 || outChannels % group != 0)
            throw context.Error($"group={group} does not divide the input channels ({channels}) and output channels ({outChannels})");
        if ((long)w[1] * group != channels)
            throw context.Error($"weights W {w} expect {w[1]} x group({group}) = {(long)w[1] * group} input channels, but X {x} has {channels}");
        if (context.HasInput(2))
        {
            context.ExpectType(2, ElementType.Float32);
            var b = context.InputShape(2);
            if (b.Rank != 1 || b[0] != outChannels)
                throw context.Error($"bias B has shape {b}; expected [{outChannels}] (one value per output channel)");
        }

        var window = SlidingWindow.Resolve(context.Node, x, w.Skip(2).ToArray(), ceilMode: false);
        context.SetOutput(0, ElementType.Float32, OutputShape.Create(context.Node, [x[0], outChannels, .. window.OutputSize]));
    }

    internal static int ReadGroup(Node node)
    {
        long group = node.GetInt("group", 1);
        if (group < 1 || group > int.MaxValue)
            throw Diagnostics.OctetException.AtNode(node, $"group={group} must be a positive integer");
        return (int)group;
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var wTensor = context.Input(1);
        var x = xTensor.As<float>();
        var w = wTensor.As<float>();
        var bias = context.OptionalInput(2)?.As<float>();
        int group = ReadGroup(context.Node);

        var window = SlidingWindow.Resolve(context.Node, xTensor.Shape, wTensor.Shape.Skip(2).ToArray(), ceilMode: false).As3D();
        int batch = xTensor.Shape[0], outChannels = wTensor.Shape[0];
        var y = Convolve(x, w, bias, batch, xTensor.Shape[1], outChannels, group, window);
        context.SetOutput(0, Tensor.Create(new Shape([batch, outChannels, .. window.OutputSize[^(xTensor.Shape.Rank - 2)..]]), y));
    }

    /// <summary>
    /// The loop nest over a window lifted to three spatial axes. Compiled fully optimized from the first call
    /// (it runs once per Conv node, so tiered compilation would leave a whole model's first run in unoptimized code).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Convolve(float[] x, float[] w, float[]? bias, int batch, int channels, int outChannels, int group, SlidingWindow window)
    {
        int channelsPerGroup = channels / group, outChannelsPerGroup = outChannels / group;

        var (inD, inH, inW) = (window.InputSize[0], window.InputSize[1], window.InputSize[2]);
        var (outD, outH, outW) = (window.OutputSize[0], window.OutputSize[1], window.OutputSize[2]);
        var (kD, kH, kW) = (window.Kernel[0], window.Kernel[1], window.Kernel[2]);
        int inPlane = inD * inH * inW, outPlane = outD * outH * outW, kernelSize = kD * kH * kW;
        int strideD = window.Strides[0], strideH = window.Strides[1], strideW = window.Strides[2];

        var y = new float[(long)batch * outChannels * outPlane];
        for (int n = 0; n < batch; n++)
        {
            for (int oc = 0; oc < outChannels; oc++)
            {
                int g = oc / outChannelsPerGroup;
                int outChannel = (n * outChannels + oc) * outPlane;
                y.AsSpan(outChannel, outPlane).Fill(bias?[oc] ?? 0f);

                for (int c = 0; c < channelsPerGroup; c++)
                {
                    int inChannel = (n * channels + g * channelsPerGroup + c) * inPlane;
                    int weightBase = (oc * channelsPerGroup + c) * kernelSize;

                    // One kernel tap at a time: add weight x (shifted input rows) to the output rows it reaches.
                    for (int kd = 0; kd < kD; kd++)
                    {
                        var (odFirst, odLast) = window.ValidOutputRange(0, kd);
                        for (int kh = 0; kh < kH; kh++)
                        {
                            var (ohFirst, ohLast) = window.ValidOutputRange(1, kh);
                            for (int kw = 0; kw < kW; kw++)
                            {
                                float weight = w[weightBase + (kd * kH + kh) * kW + kw];
                                var (owFirst, owLast) = window.ValidOutputRange(2, kw);
                                int count = owLast - owFirst;
                                if (count <= 0) continue;
                                int iwFirst = owFirst * strideW + kw * window.Dilations[2] - window.PadBegin[2];

                                for (int od = odFirst; od < odLast; od++)
                                {
                                    int id = od * strideD + kd * window.Dilations[0] - window.PadBegin[0];
                                    for (int oh = ohFirst; oh < ohLast; oh++)
                                    {
                                        int ih = oh * strideH + kh * window.Dilations[1] - window.PadBegin[1];
                                        int outStart = outChannel + (od * outH + oh) * outW + owFirst;
                                        int inStart = inChannel + (id * inH + ih) * inW + iwFirst;
                                        AccumulateRow(y, outStart, count, x, inStart, strideW, weight);
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

    /// <summary><c>output[outStart + i] += weight * input[inStart + i * stride]</c> for i in [0, count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateRow(float[] output, int outStart, int count, float[] input, int inStart, int stride, float weight)
    {
        // Plain array indexing: as fast as spans when optimized, and much faster in unoptimized (Debug) code.
        if (stride == 1)
        {
            for (int i = 0; i < count; i++) output[outStart + i] += weight * input[inStart + i];
        }
        else
        {
            for (int i = 0, j = inStart; i < count; i++, j += stride) output[outStart + i] += weight * input[j];
        }
    }
}
