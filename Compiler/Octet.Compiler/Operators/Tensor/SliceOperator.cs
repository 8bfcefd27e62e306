using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Slice, numpy-style: for each listed axis, elements start, start+step, … up to (excluding) end.
/// Version 1 takes <c>starts</c>/<c>ends</c>/<c>axes</c> attributes (step 1); from version 10 they are
/// inputs, with optional <c>axes</c> and <c>steps</c>, and must be known at compile time. Negative starts and
/// ends count from the back; then starts are clamped to [0, dim] (to [0, dim−1] for negative steps) and
/// ends to [0, dim] (to [−1, dim−1] for negative steps), so out-of-range values (INT_MAX, INT_MIN) mean
/// "to the end".
/// </summary>
public sealed class SliceOperator : OperatorDefinition
{
    public override string OpType => "Slice";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 10, 11, 13];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectOutputs(context, 1, 1);
        SliceParameters parameters;
        if (context.Node.OpsetVersion < 10)
        {
            OperatorChecks.ExpectInputs(context, 1, 1);
            parameters = FromAttributes(context.Node, message => context.Error(message));
        }
        else
        {
            OperatorChecks.ExpectInputs(context, 3, 5);
            string[] names = ["", "starts", "ends", "axes", "steps"];
            var values = new long[]?[5];
            for (int i = 1; i <= 4; i++)
            {
                if (!context.HasInput(i)) continue;
                context.ExpectType(i, ElementTypeSets.Indices);
                context.ExpectRank(i, 1);
                values[i] = context.RequireConstantInput(i, names[i]).ToInt64Array();
            }
            parameters = new SliceParameters(values[1]!, values[2]!, values[3], values[4]);
        }
        var (_, _, output) = Resolve(context.Node, context.InputShape(0), parameters, message => context.Error(message));
        context.SetOutput(0, context.InputType(0), output);
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var parameters = context.Node.OpsetVersion < 10
            ? FromAttributes(context.Node, message => context.Error(message))
            : new SliceParameters(context.Input(1).ToInt64Array(), context.Input(2).ToInt64Array(),
                context.OptionalInput(3)?.ToInt64Array(), context.OptionalInput(4)?.ToInt64Array());
        var (offset, strides, output) = Resolve(context.Node, input.Shape, parameters, message => context.Error(message));
        context.SetOutput(0, StridedCopy.View(input, offset, strides, output));
    }

    private sealed record SliceParameters(long[] Starts, long[] Ends, long[]? Axes, long[]? Steps);

    private static SliceParameters FromAttributes(Node node, Func<string, Exception> error) => new(
        node.GetInts("starts") ?? throw error("required attribute 'starts' is missing"),
        node.GetInts("ends") ?? throw error("required attribute 'ends' is missing"),
        node.GetInts("axes"),
        null);

    /// <summary>
    /// The first element read, the stride per output axis, and the output shape; or an error for
    /// inconsistent lengths, bad or repeated axes, and zero steps.
    /// </summary>
    private static (int Offset, int[] Strides, Shape Output) Resolve(Node node, Shape input, SliceParameters p, Func<string, Exception> error)
    {
        int rank = input.Rank;
        int count = p.Starts.Length;
        if (p.Ends.Length != count)
            throw error($"starts has {count} values but ends has {p.Ends.Length}");
        if (p.Axes is not null && p.Axes.Length != count)
            throw error($"starts has {count} values but axes has {p.Axes.Length}");
        if (p.Steps is not null && p.Steps.Length != count)
            throw error($"starts has {count} values but steps has {p.Steps.Length}");
        if (count > rank && p.Axes is null)
            throw error($"starts has {count} values but the input {input} has rank {rank}");

        var inputStrides = input.Strides();
        var dims = input.ToArray();
        var strides = (int[])inputStrides.Clone();
        var sliced = new bool[rank];
        long offset = 0;
        long lowAxis = node.OpsetVersion >= 10 ? -rank : 0;
        for (int i = 0; i < count; i++)
        {
            long a = p.Axes?[i] ?? i;
            if (a < lowAxis || a >= rank) throw error($"axis {a} is out of range [{lowAxis}, {rank - 1}] for input of shape {input}");
            int axis = (int)(a < 0 ? a + rank : a);
            if (sliced[axis]) throw error($"axis {axis} is sliced twice");
            sliced[axis] = true;

            long step = p.Steps?[i] ?? 1;
            if (step == 0) throw error($"step for axis {axis} is 0");
            long dim = input[axis];
            long start = p.Starts[i], end = p.Ends[i];
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
            }
            // Elements start, start+step, … strictly before end (after, for negative steps).
            long length = step > 0
                ? (end > start ? (end - start + step - 1) / step : 0)
                : (start > end ? (start - end - step - 1) / -step : 0);
            dims[axis] = (int)length;
            if (length > 0) offset += start * inputStrides[axis];
            // A huge step (INT64_MAX) leaves at most one element, whose stride is never used.
            strides[axis] = length > 1 ? (int)(inputStrides[axis] * step) : 0;
        }
        return ((int)offset, strides, new Shape(dims));
    }
}
