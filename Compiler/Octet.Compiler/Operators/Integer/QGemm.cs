using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QGemm(A, W, B?): a fully connected layer on 8-bit tensors. A is int8 or uint8 <c>[..., K]</c> (the leading
/// axes are rows), W int8 or uint8 <c>[K, N]</c>, B int32 <c>[N]</c>; Y is <c>[..., N]</c>. Attributes
/// <c>a_zero_point</c> (int), <c>w_zero_point</c> (ints: one, or one per column), and the requantization
/// attributes (<see cref="Requantizer"/>, one entry or one per column).
/// </summary>
/// <remarks>
/// <c>acc[r, n] = B[n] + Σ_k (A[r, k] − a_zero_point)(W[k, n] − w_zero_point[n])</c> in int32 (wrapping on
/// overflow, as ONNX Runtime's integer GEMMs do). With <c>bias_folds_x_zero_point = 1</c> the bias is the folded
/// B' of <see cref="FoldedBias"/> and is unfolded first.
/// </remarks>
public sealed class QGemm : IntegerOperator
{
    public override string OpType => "QGemm";

    private const int A = 0, W = 1, Bias = 2;

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Concat(["a_zero_point", "w_zero_point", FoldedBias.AttributeName]);

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 3);
        QuantizedValues.ExpectEightBit(context, A, "A");
        QuantizedValues.ExpectEightBit(context, W, "W");
        ExpectKnownAttributes(context);
        var a = context.InputShape(A);
        var w = context.InputShape(W);
        if (a.Rank < 1) throw context.Error($"input A has shape {a}; expected [..., K] (rank 1 or more)");
        if (w.Rank != 2) throw context.Error($"weights W have shape {w}; expected [K, N]");
        if (a[^1] != w[0]) throw context.Error($"A {a} has {a[^1]} columns but W {w} has {w[0]} rows");
        int columns = w[1];
        if (context.HasInput(Bias))
        {
            context.ExpectType(Bias, ElementType.Int32);
            var b = context.InputShape(Bias);
            if (b.Rank != 1 || b[0] != columns)
                throw context.Error($"bias B has shape {b}; expected [{columns}] (one value per column)");
        }
        var node = context.Node;
        int aZeroPoint = IntegerAttributes.ZeroPoint(node, "a_zero_point", context.InputType(A));
        var wZeroPoints = IntegerAttributes.ZeroPoints(node, "w_zero_point", context.InputType(W), columns, "column");
        var requantizer = Requantizer.Read(node, columns, "column");

        context.SetOutput(0, requantizer.OutputType, OutputShape(a, columns));
    }

    private static Shape OutputShape(Shape a, int columns) => new([.. a.Take(a.Rank - 1), columns]);

    public override void Execute(KernelContext context)
    {
        var node = context.Node;
        var aTensor = context.Input(A);
        var wTensor = context.Input(W);
        var bias = context.OptionalInput(Bias)?.As<int>();
        int depth = wTensor.Shape[0], columns = wTensor.Shape[1];
        int aZeroPoint = IntegerAttributes.ZeroPoint(node, "a_zero_point", aTensor.ElementType);
        var wZeroPoints = IntegerAttributes.ZeroPoints(node, "w_zero_point", wTensor.ElementType, columns, "column");
        var requantizer = Requantizer.Read(node, columns, "column");

        var aShape = aTensor.Shape;
        int rows = 1;
        for (int d = 0; d < aShape.Rank - 1; d++) rows *= aShape[d];

        var a = QuantizedValues.Widen(aTensor);
        for (int i = 0; i < a.Length; i++) a[i] -= aZeroPoint;
        var w = QuantizedValues.Widen(wTensor);
        for (int i = 0; i < w.Length; i++) w[i] -= wZeroPoints[i % columns];

        if (FoldedBias.IsFolded(node))
        {
            // Undo the fold (see FoldedBias): the literal formula below then gives the same int32 result.
            bias = FoldedBias.Apply(bias, FoldedBias.WeightSums(wTensor, wZeroPoints, columns, i => i % columns), aZeroPoint, +1);
        }
        var plan = IntegerMatMul.Plan(node, new Shape(rows, depth), new Shape(depth, columns));
        var accumulators = plan.Multiply(a, w);
        if (bias is not null)
            for (int i = 0; i < accumulators.Length; i++) accumulators[i] += bias[i % columns];

        var outputShape = OutputShape(aShape, columns);
        context.SetOutput(0, requantizer.Requantize(accumulators, outputShape, channelAxis: outputShape.Rank - 1));
    }
}
