using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// What Softmax and LogSoftmax share: which elements are normalized together, and the numerically stable
/// evaluation (subtract the group's maximum before exponentiating).
/// </summary>
/// <remarks>
/// The grouping changed at version 13. Versions 1 and 11 coerce the input to 2-D at <c>axis</c> (default 1):
/// every element of <c>X[i0, ..., i(axis-1), ...]</c> is one group. From version 13 a group is the 1-D slice
/// along the single axis <c>axis</c> (default -1). The two agree only when <c>axis</c> is the last axis.
/// </remarks>
public abstract class SoftmaxFamily : OperatorDefinition
{
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 11, 13];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        var x = context.InputShape(0);
        if (x.Rank == 0) throw context.Error("input is a scalar; expected rank 1 or more");
        Grouping(context.Node, x);
        context.SetOutput(0, ElementType.Float32, x);
    }

    /// <summary>
    /// The input viewed as <c>outer x length x inner</c>, where each group is the <c>length</c> elements at
    /// stride <c>inner</c>.
    /// </summary>
    private static (int Outer, int Length, int Inner) Grouping(Node node, Shape x)
    {
        bool flattened = node.OpsetVersion < 13;
        long axisAttribute = node.GetInt("axis", flattened ? 1 : -1);
        if (axisAttribute < -x.Rank || axisAttribute >= x.Rank)
            throw Diagnostics.OctetException.AtNode(node, $"axis={axisAttribute} is out of range for input of shape {x} (rank {x.Rank})");
        int axis = (int)(axisAttribute < 0 ? axisAttribute + x.Rank : axisAttribute);

        long outer = 1, length = 1, inner = 1;
        for (int i = 0; i < x.Rank; i++)
        {
            if (i < axis) outer *= x[i];
            else if (i == axis || flattened) length *= x[i];
            else inner *= x[i];
        }
        return ((int)outer, (int)length, (int)inner);
    }

    /// <summary>One output element from its input minus the group maximum, and the group's sum of exp(shifted).</summary>
    protected abstract float Output(float shifted, double sumOfExponentials);

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.As<float>();
        var (outer, length, inner) = Grouping(context.Node, xTensor.Shape);
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = o * length * inner + i;
                int end = start + length * inner;
                float max = float.NegativeInfinity;
                for (int j = start; j < end; j += inner) max = MathF.Max(max, x[j]);
                double sum = 0;
                for (int j = start; j < end; j += inner) sum += Math.Exp(x[j] - max);
                for (int j = start; j < end; j += inner) y[j] = Output(x[j] - max, sum);
            }
        }
        context.SetOutput(0, Tensor.Create(xTensor.Shape, y));
    }
}
