using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Shape: the input's dimensions as a 1-D int64 tensor. From opset 15, <c>start</c> and <c>end</c> select
/// a range of axes (negative counts from the back; both clamped to [0, r]; empty when start ≥ end).
/// </summary>
public sealed class ShapeOperator : OperatorDefinition
{
    public override string OpType => "Shape";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 13, 15, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        var (start, end) = Range(context.Node, context.InputShape(0).Rank);
        context.SetOutput(0, ElementType.Int64, new Shape(end - start));
    }

    public override void Execute(KernelContext context) => context.SetOutput(0, Dimensions(context.Node, context.Input(0).Shape));

    /// <summary>Static shapes make Shape a compile-time constant even when its input is computed at run time.</summary>
    public override IReadOnlyList<Tensor> FoldFromShapes(InferenceContext context) => [Dimensions(context.Node, context.InputShape(0))];

    private static Tensor Dimensions(Node node, Shape shape)
    {
        var (start, end) = Range(node, shape.Rank);
        var dims = new long[end - start];
        for (int i = start; i < end; i++) dims[i - start] = shape[i];
        return Tensor.Create(new Shape(dims.Length), dims);
    }

    private static (int Start, int End) Range(Node node, int rank)
    {
        if (node.OpsetVersion < 15) return (0, rank);
        long start = node.GetInt("start", 0), end = node.GetInt("end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = Math.Clamp(start, 0, rank);
        end = Math.Clamp(end, 0, rank);
        return ((int)start, (int)Math.Max(start, end));
    }
}
