using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QGlobalAveragePool(X): the mean of each channel's spatial values of an 8-bit <c>N x C x D1 x ...</c>
/// tensor; Y is <c>N x C x 1 x ...</c>. Attributes <c>x_zero_point</c> (int) and the per-tensor requantization
/// attributes (lowering chooses M = s_x / s_y). <c>acc = Σ (x − x_zero_point)</c> over the plane, then one
/// rounded step (<see cref="IntegerAverage"/>) with count = the plane's size.
/// </summary>
public sealed class QGlobalAveragePool : IntegerOperator
{
    public override string OpType => "QGlobalAveragePool";

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Append("x_zero_point");

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        QuantizedValues.ExpectEightBit(context, 0, "X");
        ExpectKnownAttributes(context);
        var x = context.InputShape(0);
        if (x.Rank < 3) throw context.Error($"input X has shape {x}; expected N x C x D1 x ... (rank 3 or more)");
        long planeSize = 1;
        for (int d = 2; d < x.Rank; d++) planeSize *= x[d];
        if (planeSize == 0) throw context.Error($"input X has shape {x}: an empty spatial plane has no average");
        var node = context.Node;
        int zeroPoint = IntegerAttributes.ZeroPoint(node, "x_zero_point", context.InputType(0));
        var requantizer = Requantizer.Read(node, 1, "tensor", eightBitOutput: true);
        IntegerAttributes.ExpectFitsInt32(node, planeSize * IntegerAttributes.MaxDistance(context.InputType(0), zeroPoint),
            $"the sum over a plane of {planeSize} values");
        context.SetOutput(0, requantizer.OutputType, OutputShape(x));
    }

    private static Shape OutputShape(Shape x)
    {
        var dims = x.ToArray();
        for (int d = 2; d < dims.Length; d++) dims[d] = 1;
        return new Shape(dims);
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        int zeroPoint = IntegerAttributes.ZeroPoint(context.Node, "x_zero_point", xTensor.ElementType);
        var requantizer = Requantizer.Read(context.Node, 1, "tensor");
        var x = QuantizedValues.Widen(xTensor);
        int planes = xTensor.Shape[0] * xTensor.Shape[1];
        int planeSize = planes == 0 ? 0 : x.Length / planes;
        var y = new int[planes];
        for (int p = 0; p < planes; p++)
        {
            int sum = 0;
            foreach (var value in x.AsSpan(p * planeSize, planeSize)) sum += value - zeroPoint;
            y[p] = IntegerAverage.Average(requantizer, sum, planeSize);
        }
        context.SetOutput(0, IntegerAttributes.ToTensor(requantizer.OutputType, OutputShape(xTensor.Shape), y));
    }
}
