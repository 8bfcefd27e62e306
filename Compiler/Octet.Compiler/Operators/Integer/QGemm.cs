using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QGemm(A, W, B?): a fully connected layer on quantized tensors. A is int8, uint8 or int16 <c>[..., K]</c>
/// (the leading axes are rows), W int8 or uint8 <c>[K, N]</c>, B int32 <c>[N]</c>; Y is <c>[..., N]</c>,
/// int8, uint8 or int16. Attributes <c>a_zero_point</c> (int, inside A's type), <c>w_zero_point</c> (ints: one,
/// or one per column), and the requantization attributes (<see cref="Requantizer"/>, one entry or one per column).
/// </summary>
/// <remarks>
/// <para>8-bit A: <c>acc[r, n] = B[n] + Σ_k (A[r, k] − a_zero_point)(W[k, n] − w_zero_point[n])</c> in int32
/// (wrapping on overflow, as ONNX Runtime's integer GEMMs do), requantized as an int32 accumulator.</para>
/// <para>int16 A: the same sum in <b>int64, exact</b> (no wrapping: |acc| ≤ |B| + K · 65,535 · 255, which the node
/// is checked to keep below 2^62, i.e. K below about 2^37), the int32 bias added in int64, and the int64
/// accumulator requantized with the exact 128-bit fixed-point product (<see cref="Requantizer.Requantize(long, int)"/>).
/// An int32 accumulator could overflow from K = 258 (|a − a_zp| · |w − w_zp| up to 32,768 · 255; about 512 with int8 weights and a_zp = 0).</para>
/// <para>With <c>bias_folds_x_zero_point = 1</c> the bias is the folded B' of <see cref="FoldedBias"/> and is
/// unfolded first: in int32 (wrapping) for an 8-bit A; in int64 for an int16 A, B = (long)B' + a_zero_point ·
/// Σ (w − w_zero_point), so the result equals int64 <c>B' + Σ_k A[r, k] · (W[k, n] − w_zero_point[n])</c> exactly —
/// what a generated kernel computes with the fold. (Lowering writes B' = B − a_zero_point · Σ (w − w_zero_point)
/// only when it fits int32; symmetric int16 activations have a_zero_point = 0, so B' = B.)</para>
/// </remarks>
public sealed class QGemm : IntegerOperator
{
    public override string OpType => "QGemm";

    private const int A = 0, W = 1, Bias = 2;

    /// <summary>The largest accumulator magnitude accepted for an int16 A (leaves int64 headroom for the bias and rounding).</summary>
    public const long MaxWideAccumulator = 1L << 62;

    protected override IEnumerable<string> AllowedAttributes(Node node) =>
        Requantizer.AttributeNames(Requantizer.ReadMode(node)).Concat(["a_zero_point", "w_zero_point", FoldedBias.AttributeName]);

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 2, 3);
        QuantizedValues.ExpectActivation(context, A, "A");
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
        if (context.InputType(A) == ElementType.Int16)
        {
            // Worst case over all values: every product at its largest, plus the largest bias (and its unfolding).
            long products = (long)w[0] * IntegerAttributes.MaxDistance(ElementType.Int16, aZeroPoint) * 255;
            long bound = products + int.MaxValue + (long)Math.Abs(aZeroPoint) * 255 * w[0];
            if (bound > MaxWideAccumulator)
                throw context.Error($"the int64 accumulator of an int16 A can reach {bound:N0} over K = {w[0]}; at most 2^62 is accepted");
        }

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
        var outputShape = OutputShape(aShape, columns);

        var a = QuantizedValues.Widen(aTensor);
        for (int i = 0; i < a.Length; i++) a[i] -= aZeroPoint;
        var w = QuantizedValues.Widen(wTensor);
        for (int i = 0; i < w.Length; i++) w[i] -= wZeroPoints[i % columns];
        var plan = IntegerMatMul.Plan(node, new Shape(rows, depth), new Shape(depth, columns));

        if (aTensor.ElementType == ElementType.Int16)
        {
            long[]? wideBias = bias is null ? null : Array.ConvertAll(bias, v => (long)v);
            if (FoldedBias.IsFolded(node))
            {
                // Unfold in int64 (exact): B = B' + a_zp · Σ (w − w_zp).
                var sums = FoldedBias.WideWeightSums(wTensor, wZeroPoints, columns, i => i % columns);
                wideBias = new long[columns];
                for (int c = 0; c < columns; c++) wideBias[c] = (bias?[c] ?? 0) + (long)aZeroPoint * sums[c];
            }
            var wide = plan.MultiplyWide(a, w);
            if (wideBias is not null)
                for (int i = 0; i < wide.Length; i++) wide[i] += wideBias[i % columns];
            context.SetOutput(0, requantizer.Requantize(wide, outputShape, channelAxis: outputShape.Rank - 1));
            return;
        }

        if (FoldedBias.IsFolded(node))
        {
            // Undo the fold (see FoldedBias): the literal formula below then gives the same int32 result.
            bias = FoldedBias.Apply(bias, FoldedBias.WeightSums(wTensor, wZeroPoints, columns, i => i % columns), aZeroPoint, +1);
        }
        var accumulators = plan.Multiply(a, w);
        if (bias is not null)
            for (int i = 0; i < accumulators.Length; i++) accumulators[i] += bias[i % columns];

        context.SetOutput(0, requantizer.Requantize(accumulators, outputShape, channelAxis: outputShape.Rank - 1));
    }
}
