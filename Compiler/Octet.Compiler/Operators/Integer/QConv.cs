using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QConv(X, W, B?): convolution of 8-bit tensors with an int32 accumulator, requantized per output channel.
/// X is int8 or uint8 <c>N x C x D1 x ...</c> (1 to 3 spatial axes), W int8 or uint8 <c>M x C/group x k1 x ...</c>,
/// B int32 <c>[M]</c>; Y int8, uint8 or int16 (a patch embedding writing a 16-bit residual stream: the
/// accumulator stays int32, only the output type widens). Attributes: Conv's geometry (<c>kernel_shape</c>, <c>strides</c>, <c>pads</c>, <c>dilations</c>,
/// <c>group</c>, <c>auto_pad</c>), <c>x_zero_point</c> (int), <c>w_zero_point</c> (ints: one, or one per output
/// channel), and the requantization attributes (<see cref="Requantizer"/>, one entry or one per output channel).
/// </summary>
/// <remarks>
/// <c>acc[m] = B[m] + Σ (x − x_zero_point)(w − w_zero_point[m])</c> over the window's taps, literally: padded
/// positions hold x_zero_point and contribute 0. With <c>bias_folds_x_zero_point = 1</c> the bias is the folded
/// B' of <see cref="FoldedBias"/> and is unfolded first. The sum is accumulated in int32 and wraps on overflow,
/// as ONNX Runtime's integer convolutions and the ONNX spec's ConvInteger do.
/// </remarks>
public sealed class QConv : IntegerOperator
{
    public override string OpType => "QConv";

    private const int X = 0, W = 1, Bias = 2;

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node))
            .Concat(["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "x_zero_point", "w_zero_point", FoldedBias.AttributeName]);

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 3);
        QuantizedValues.ExpectEightBit(context, X, "X");
        QuantizedValues.ExpectEightBit(context, W, "W");
        ExpectKnownAttributes(context);
        var output = IntegerConvolution.InferShape(context, X, W);
        int outChannels = context.InputShape(W)[0];
        if (context.HasInput(Bias))
        {
            context.ExpectType(Bias, ElementType.Int32);
            var b = context.InputShape(Bias);
            if (b.Rank != 1 || b[0] != outChannels)
                throw context.Error($"bias B has shape {b}; expected [{outChannels}] (one value per output channel)");
        }
        var node = context.Node;
        int xZeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", context.InputType(X));
        var wZeroPoints = IntegerAttributes.ZeroPoints(node, "w_zero_point", context.InputType(W), outChannels, "output channel");
        var requantizer = Requantizer.Read(node, outChannels, "output channel");

        context.SetOutput(0, requantizer.OutputType, output);
    }

    public override void Execute(KernelContext context)
    {
        var node = context.Node;
        var x = context.Input(X);
        var w = context.Input(W);
        var bias = context.OptionalInput(Bias);
        int outChannels = w.Shape[0];
        int xZeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", x.ElementType);
        var wZeroPoints = IntegerAttributes.ZeroPoints(node, "w_zero_point", w.ElementType, outChannels, "output channel");
        var requantizer = Requantizer.Read(node, outChannels, "output channel");

        var biases = bias?.As<int>();
        if (FoldedBias.IsFolded(node))
        {
            // Undo the fold (see FoldedBias): the literal formula below then gives the same int32 result.
            int perChannel = (int)(w.ElementCount / Math.Max(outChannels, 1));
            biases = FoldedBias.Apply(biases, FoldedBias.WeightSums(w, wZeroPoints, outChannels, i => i / perChannel), xZeroPoint, +1);
        }
        var accumulators = IntegerConvolution.Accumulate(node,
            IntegerConvolution.ShiftInput(x, xZeroPoint), x.Shape,
            IntegerConvolution.ShiftWeights(w, wZeroPoints), w.Shape,
            biases, out var outputShape);
        context.SetOutput(0, requantizer.Requantize(accumulators, outputShape, channelAxis: 1));
    }

}
