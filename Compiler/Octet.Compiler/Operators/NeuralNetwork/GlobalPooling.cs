using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// What GlobalAveragePool and GlobalMaxPool share: X is <c>N x C x D1 x ... x Dn</c> (float32), Y is
/// <c>N x C x 1 x ... x 1</c>, and each output element reduces one channel's spatial plane.
/// </summary>
public abstract class GlobalPooling : OperatorDefinition
{
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 22];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        var x = context.InputShape(0);
        if (x.Rank < 3) throw context.Error($"input X has shape {x}; expected N x C x D1 x ... (rank 3 or more)");
        context.SetOutput(0, ElementType.Float32, OutputShape(x));
    }

    private static Shape OutputShape(Shape x)
    {
        var dims = x.ToArray();
        for (int i = 2; i < dims.Length; i++) dims[i] = 1;
        return new Shape(dims);
    }

    /// <summary>Reduces one channel's spatial values (never empty unless a spatial dim is 0).</summary>
    protected abstract float Reduce(ReadOnlySpan<float> plane);

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.As<float>();
        int planes = xTensor.Shape[0] * xTensor.Shape[1];
        int planeSize = planes == 0 ? 0 : (int)(xTensor.ElementCount / planes);
        var y = new float[planes];
        for (int p = 0; p < planes; p++) y[p] = Reduce(new ReadOnlySpan<float>(x, p * planeSize, planeSize));
        context.SetOutput(0, Tensor.Create(OutputShape(xTensor.Shape), y));
    }
}
