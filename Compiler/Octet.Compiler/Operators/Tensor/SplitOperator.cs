using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Split: cuts a tensor along <c>axis</c> into as many parts as the node has outputs. Part sizes come
/// from <c>split</c> — an attribute (versions 1, 2, 11; version 1 also accepts it as input 1) or a constant
/// int64 input (13, 18) — and must sum to the axis length. Without it the axis is cut into equal parts;
/// from version 18 <c>num_outputs</c> may say how many, the last part being smaller when the length does
/// not divide evenly.
/// </summary>
public sealed class SplitOperator : OperatorDefinition
{
    public override string OpType => "Split";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 2, 11, 13, 18];

    public override void InferOutputs(InferenceContext context)
    {
        int version = context.Node.OpsetVersion;
        OperatorChecks.ExpectInputs(context, 1, version == 1 || version >= 13 ? 2 : 1);
        OperatorChecks.ExpectOutputs(context, 1, int.MaxValue);
        Tensor? split = null;
        if (context.HasInput(1))
        {
            context.ExpectType(1, version == 1 ? ElementTypeSets.Indices : [ElementType.Int64]);
            context.ExpectRank(1, 1);
            split = context.RequireConstantInput(1, "split");
        }
        var input = context.InputShape(0);
        int axis = Axis(context.Node, input.Rank, message => context.Error(message));
        var sizes = Sizes(context.Node, input, axis, context.OutputCount, split, message => context.Error(message));
        for (int k = 0; k < sizes.Length; k++)
            context.SetOutput(k, context.InputType(0), PartShape(input, axis, sizes[k]));
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var shape = input.Shape;
        int axis = Axis(context.Node, shape.Rank, message => context.Error(message));
        var sizes = Sizes(context.Node, shape, axis, context.Node.Outputs.Count, context.OptionalInput(1), message => context.Error(message));

        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Rank; d++) inner *= shape[d];
        long start = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            var partShape = PartShape(shape, axis, sizes[k]);
            var part = Array.CreateInstance(input.ElementType.ClrType(), partShape.ElementCount);
            long block = sizes[k] * inner;
            for (long o = 0; o < outer; o++)
                Array.Copy(input.Data, (o * shape[axis] + start) * inner, part, o * block, block);
            start += sizes[k];
            context.SetOutput(k, Tensor.Create(input.ElementType, partShape, part));
        }
    }

    private static Shape PartShape(Shape input, int axis, int size)
    {
        var dims = input.ToArray();
        dims[axis] = size;
        return new Shape(dims);
    }

    private static int Axis(Node node, int rank, Func<string, Exception> error)
    {
        if (rank == 0) throw error("cannot split a scalar (input of rank 0)");
        long axis = node.GetInt("axis", 0);
        long low = node.OpsetVersion >= 11 ? -rank : 0;
        if (axis < low || axis >= rank) throw error($"axis {axis} is out of range [{low}, {rank - 1}] for input of rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    private static int[] Sizes(Node node, Shape input, int axis, int outputs, Tensor? splitInput, Func<string, Exception> error)
    {
        int version = node.OpsetVersion;
        int length = input[axis];
        long[]? split = splitInput?.ToInt64Array();
        if (version < 13 && node.GetInts("split") is { } attribute)
        {
            if (split is not null) throw error("'split' is given both as attribute and as input");
            split = attribute;
        }
        long? numOutputs = version >= 18 && node.HasAttribute("num_outputs") ? node.GetInt("num_outputs") : null;

        if (split is not null)
        {
            if (numOutputs is not null) throw error("'split' and 'num_outputs' are both given; give one");
            if (split.Length != outputs)
                throw error($"split [{string.Join(",", split)}] has {split.Length} sizes but the node has {outputs} outputs");
            if (split.Any(s => s < 0) || split.Sum() != length)
                throw error($"split [{string.Join(",", split)}] must be non-negative sizes summing to {length}, the length of axis {axis} of {input}");
            return split.Select(s => (int)s).ToArray();
        }
        if (numOutputs is not null)
        {
            if (numOutputs < 1 || numOutputs != outputs)
                throw error($"num_outputs is {numOutputs} but the node has {outputs} outputs");
            // Parts of ceil(length / n); the last takes what is left (possibly less, or nothing).
            int part = (int)((length + numOutputs.Value - 1) / numOutputs.Value);
            var sizes = new int[outputs];
            int left = length;
            for (int k = 0; k < outputs; k++)
            {
                sizes[k] = Math.Min(part, left);
                left -= sizes[k];
            }
            return sizes;
        }
        if (length % outputs != 0)
            throw error($"axis {axis} of {input} has length {length}, which does not split into {outputs} equal parts");
        return Enumerable.Repeat(length / outputs, outputs).ToArray();
    }
}
