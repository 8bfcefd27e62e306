using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX LayerNormalization: each slice <c>X[i0, ..., i(axis-1), :, ..., :]</c> is normalized to zero mean and
/// unit variance (population variance, plus epsilon), then scaled and shifted by Scale and B, which
/// broadcast unidirectionally to the normalized shape <c>X.shape[axis:]</c>. Optional outputs Mean and
/// InvStdDev have shape <c>X.shape[:axis] + [1] * (rank - axis)</c>. Statistics are computed in double
/// precision whatever <c>stash_type</c> asks (at least as precise as any it can name).
/// </summary>
public sealed class LayerNormalization : OperatorDefinition
{
    public override string OpType => "LayerNormalization";
    public override IReadOnlyList<int> SinceVersions { get; } = [17];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        context.ExpectType(1, ElementType.Float32);
        var x = context.InputShape(0);
        if (x.Rank == 0) throw context.Error("input X is a scalar; LayerNormalization needs rank 1 or more");
        int axis = ReadAxis(context.Node, x);
        var normalized = new Shape(x.Skip(axis).ToArray());

        for (int i = 1; i <= 2; i++)
        {
            if (!context.HasInput(i)) continue;
            context.ExpectType(i, ElementType.Float32);
            if (!BroadcastsTo(context.InputShape(i), normalized))
                throw context.Error($"{(i == 1 ? "Scale" : "B")} has shape {context.InputShape(i)}, which does not broadcast " +
                                    $"to the normalized shape {normalized} (X {x}, axis {axis})");
        }

        long stash = context.Node.GetInt("stash_type", 1);
        if (stash is not (1 or 10 or 11 or 16))
            throw context.Error($"stash_type={stash} is not a floating-point element type (1 float, 10 float16, 11 double, 16 bfloat16)");
        if (stash != 1 && (context.HasOutput(1) || context.HasOutput(2)))
            throw context.Error($"Mean and InvStdDev outputs would have element type {((ElementType)stash).OnnxName()} (stash_type={stash}); " +
                                "Octet supports them only as float (stash_type=1)");

        context.SetOutput(0, ElementType.Float32, x);
        var statisticsShape = StatisticsShape(x, axis);
        if (context.HasOutput(1)) context.SetOutput(1, ElementType.Float32, statisticsShape);
        if (context.HasOutput(2)) context.SetOutput(2, ElementType.Float32, statisticsShape);
    }

    private static int ReadAxis(Node node, Shape x)
    {
        long axis = node.GetInt("axis", -1);
        if (axis < -x.Rank || axis >= x.Rank)
            throw Diagnostics.OctetException.AtNode(node, $"axis={axis} is out of range for X of shape {x} (rank {x.Rank})");
        return (int)(axis < 0 ? axis + x.Rank : axis);
    }

    private static Shape StatisticsShape(Shape x, int axis) =>
        new(x.Select((d, i) => i < axis ? d : 1).ToArray());

    /// <summary>
    /// True if <paramref name="s"/>, right-aligned against <paramref name="target"/>, has each dim equal to the
    /// target's or 1, and any leading dims beyond the target's rank equal to 1 (a scale of shape [1, 1, D] applies
    /// to a normalized shape [D] as well).
    /// </summary>
    internal static bool BroadcastsTo(Shape s, Shape target)
    {
        for (int i = 1; i <= s.Rank; i++)
        {
            int required = i <= target.Rank ? target[^i] : 1;
            if (s[^i] != 1 && s[^i] != required) return false;
        }
        return true;
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.As<float>();
        int axis = ReadAxis(context.Node, xTensor.Shape);
        var normalized = new Shape(xTensor.Shape.Skip(axis).ToArray());
        int size = (int)normalized.ElementCount;
        int rows = size == 0 ? 0 : (int)(xTensor.ElementCount / size);
        float epsilon = context.Node.GetFloat("epsilon", 1e-5f);

        // Scale and B expanded to the full normalized shape, so the inner loop indexes them directly.
        var scale = Expand(context.Input(1), normalized);
        var bias = context.OptionalInput(2) is { } b ? Expand(b, normalized) : null;

        var y = new float[x.Length];
        var means = new float[rows];
        var inverseDeviations = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(x, r * size, size);
            double sum = 0;
            foreach (var v in row) sum += v;
            double mean = sum / size;
            double squares = 0;
            foreach (var v in row) squares += (v - mean) * (v - mean);
            double inverseDeviation = 1 / Math.Sqrt(squares / size + epsilon);
            means[r] = (float)mean;
            inverseDeviations[r] = (float)inverseDeviation;

            var output = y.AsSpan(r * size, size);
            for (int i = 0; i < size; i++)
                output[i] = (float)((row[i] - mean) * inverseDeviation * scale[i] + (bias?[i] ?? 0f));
        }

        context.SetOutput(0, Tensor.Create(xTensor.Shape, y));
        var statisticsShape = StatisticsShape(xTensor.Shape, axis);
        if (context.HasOutput(1)) context.SetOutput(1, Tensor.Create(statisticsShape, means));
        if (context.HasOutput(2)) context.SetOutput(2, Tensor.Create(statisticsShape, inverseDeviations));
    }

    private static float[] Expand(Tensor tensor, Shape target)
    {
        var source = tensor.As<float>();
        // Leading unit dims beyond the normalized rank carry nothing; drop them.
        var shape = tensor.Shape.Rank > target.Rank ? new Shape(tensor.Shape.Skip(tensor.Shape.Rank - target.Rank).ToArray()) : tensor.Shape;
        var map = Broadcasting.SourceIndices(shape, target);
        var result = new float[map.Length];
        for (int i = 0; i < map.Length; i++) result[i] = source[map[i]];
        return result;
    }
}
