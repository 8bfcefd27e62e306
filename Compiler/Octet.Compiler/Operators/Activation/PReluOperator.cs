using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>
/// ONNX PRelu: <c>y = x</c> for x ≥ 0, <c>slope·x</c> below, with slope broadcast to X's shape
/// (unidirectional broadcasting: the output always has X's shape). Versions 1 and 6 shaped the slope
/// Caffe2-style and predate the opsets Octet reads, so they are listed but not implemented.
/// </summary>
public sealed class PReluOperator : OperatorDefinition
{
    public override string OpType => "PRelu";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 7, 9, 16];
    public override IReadOnlyList<int> ImplementedVersions { get; } = [7, 9, 16];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, context.Node.OpsetVersion >= 9 ? ElementTypeSets.FloatAndWideIntegers : ElementTypeSets.Float);
        OperatorChecks.ExpectSameType(context, 0, 1);
        var x = context.InputShape(0);
        var slope = context.InputShape(1);
        if (Broadcasting.TryBroadcast(x, slope) != x)
            throw context.Error($"slope of shape {slope} cannot be broadcast to the input's shape {x}");
        context.SetOutput(0, context.InputType(0), x);
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var slope = context.Input(1);
        var result = x.ElementType switch
        {
            ElementType.Float32 => Compute<float>(x, slope),
            ElementType.Int32 => Compute<int>(x, slope),
            ElementType.Int64 => Compute<long>(x, slope),
            _ => throw context.Error($"element type {x.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, result);
    }

    private static Tensor Compute<T>(Tensor x, Tensor slope) where T : unmanaged, INumber<T> =>
        Tensor.Create(x.Shape, BroadcastLoops.Binary<T, T, T, Kernel<T>>(x.As<T>(), x.Shape, slope.As<T>(), slope.Shape, x.Shape));

    private readonly struct Kernel<T> : IBinaryKernel<T, T, T> where T : INumber<T>
    {
        public static T Apply(T x, T slope) => x < T.Zero ? slope * x : x;
    }
}
