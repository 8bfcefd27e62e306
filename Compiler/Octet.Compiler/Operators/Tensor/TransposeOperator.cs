using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Transpose: output axis i is input axis <c>perm[i]</c>; without <c>perm</c> the axes are reversed.
/// </summary>
public sealed class TransposeOperator : OperatorDefinition
{
    public override string OpType => "Transpose";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 13, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        var input = context.InputShape(0);
        var perm = Permutation(context.Node, input.Rank, message => context.Error(message));
        context.SetOutput(0, context.InputType(0), Permute(input, perm));
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var perm = Permutation(context.Node, input.Shape.Rank, message => context.Error(message));
        var inputStrides = input.Shape.Strides();
        var strides = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) strides[i] = inputStrides[perm[i]];
        context.SetOutput(0, StridedCopy.View(input, 0, strides, Permute(input.Shape, perm)));
    }

    private static Shape Permute(Shape input, int[] perm)
    {
        var dims = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) dims[i] = input[perm[i]];
        return new Shape(dims);
    }

    /// <summary>The validated <c>perm</c> attribute, or the reversal of the axes when it is absent.</summary>
    private static int[] Permutation(Node node, int rank, Func<string, Exception> error)
    {
        var attribute = node.GetInts("perm");
        if (attribute is null) return Enumerable.Range(0, rank).Reverse().ToArray();
        if (attribute.Length != rank)
            throw error($"perm [{string.Join(",", attribute)}] has {attribute.Length} entries but the input has rank {rank}");
        var perm = new int[rank];
        var seen = new bool[rank];
        for (int i = 0; i < rank; i++)
        {
            long axis = attribute[i];
            if (axis < 0 || axis >= rank || seen[axis])
                throw error($"perm [{string.Join(",", attribute)}] is not a permutation of the axes 0..{rank - 1}");
            seen[axis] = true;
            perm[i] = (int)axis;
        }
        return perm;
    }
}
