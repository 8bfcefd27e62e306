using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization;

/// <summary>
/// ONNX ConvInteger: Conv over 8-bit integers with zero points, to an exact int32 result:
/// <c>y = conv(x - x_zero_point, w - w_zero_point)</c>. x and w are int8 or uint8 (independently), each
/// zero point has its tensor's type; x's is per-tensor, w's per-tensor or one per output channel. Attributes
/// as Conv's; see <see cref="IntegerConvolution"/>.
/// </summary>
public sealed class ConvInteger : OperatorDefinition
{
    public override string OpType => "ConvInteger";
    public override IReadOnlyList<int> SinceVersions { get; } = [10];

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 4);
        QuantizedValues.ExpectEightBit(context, 0, "x");
        QuantizedValues.ExpectEightBit(context, 1, "w");
        QuantizedValues.ExpectSameType(context, 2, 0, "x_zero_point", "x");
        QuantizedValues.ExpectSameType(context, 3, 1, "w_zero_point", "w");
        var output = IntegerConvolution.InferShape(context, 0, 1);
        QuantizedValues.ExpectPerTensor(context, 2, "x_zero_point");
        IntegerConvolution.ExpectPerOutputChannel(context, 3, "w_zero_point", context.InputShape(1)[0]);
        context.SetOutput(0, ElementType.Int32, output);
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var w = context.Input(1);
        int outChannels = w.Shape[0];
        var wZeroPoints = context.OptionalInput(3) is { } wz
            ? IntegerConvolution.PerOutputChannel(QuantizedValues.Widen(wz), outChannels)
            : new int[outChannels];
        var y = IntegerConvolution.Accumulate(context.Node,
            IntegerConvolution.ShiftInput(x, QuantizedValues.ZeroPoint(context.OptionalInput(2))), x.Shape,
            IntegerConvolution.ShiftWeights(w, wZeroPoints), w.Shape, bias: null, out var outputShape);
        context.SetOutput(0, Tensor.Create(outputShape, y));
    }
}
