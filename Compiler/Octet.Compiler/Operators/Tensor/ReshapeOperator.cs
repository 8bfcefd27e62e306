using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Reshape: same values, new shape. The shape is the <c>shape</c> attribute in version 1 and a
/// compile-time-constant int64 input from version 5. In it, −1 (at most once) is inferred from the element
/// count, and 0 copies the input's dimension at that index — unless <c>allowzero</c> (opset 14) is set,
/// in which case 0 is a zero-sized dimension and may not be combined with −1.
/// </summary>
public sealed class ReshapeOperator : OperatorDefinition
{
    public override string OpType => "Reshape";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 5, 13, 14, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectOutputs(context, 1, 1);
        long[] requested;
        if (context.Node.OpsetVersion < 5)
        {
            OperatorChecks.ExpectInputs(context, 1, 1);
            requested = context.Node.GetInts("shape") ?? throw context.Error("required attribute 'shape' is missing");
        }
        else
        {
            OperatorChecks.ExpectInputs(context, 2, 2);
            context.ExpectType(1, ElementType.Int64);
            context.ExpectRank(1, 1);
            requested = context.RequireConstantInput(1, "the target shape").ToInt64Array();
        }
        var shape = Resolve(context.Node, context.InputShape(0), requested, message => context.Error(message));
        context.SetOutput(0, context.InputType(0), shape);
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        var requested = context.Node.OpsetVersion < 5 ? context.Node.GetInts("shape")! : context.Input(1).ToInt64Array();
        context.SetOutput(0, input.Reshape(Resolve(context.Node, input.Shape, requested, message => context.Error(message))));
    }

    private static Shape Resolve(Node node, Shape input, long[] requested, Func<string, Exception> error)
    {
        bool allowZero = node.OpsetVersion >= 14 && node.GetInt("allowzero", 0) != 0;
        string Requested() => $"[{string.Join(",", requested)}]";
        var dims = new int[requested.Length];
        int inferred = -1;
        long known = 1;
        bool hasZero = false;
        for (int i = 0; i < requested.Length; i++)
        {
            long d = requested[i];
            if (d == -1)
            {
                if (inferred >= 0) throw error($"target shape {Requested()} has more than one -1");
                inferred = i;
                continue;
            }
            if (d < -1) throw error($"target shape {Requested()} has the invalid dimension {d}");
            if (d == 0 && !allowZero)
            {
                if (i >= input.Rank)
                    throw error($"target shape {Requested()} has 0 at index {i}, which copies an input dimension, but the input {input} has rank {input.Rank}");
                d = input[i];
            }
            if (d == 0) hasZero = true;
            if (d > int.MaxValue || (d > 0 && known > Shape.MaxElements * 2 / d))
                throw error($"target shape {Requested()} is far larger than the input {input}");
            dims[i] = (int)d;
            known *= d;
        }
        if (inferred >= 0)
        {
            if (allowZero && hasZero)
                throw error($"target shape {Requested()} has both 0 and -1, which allowzero=1 makes ambiguous");
            if (known == 0 || input.ElementCount % known != 0)
                throw error($"cannot reshape {input} ({input.ElementCount} elements) to {Requested()}: " +
                            $"the other dimensions ({known} elements) do not divide the element count");
            dims[inferred] = (int)(input.ElementCount / known);
            known *= dims[inferred];
        }
        if (known != input.ElementCount)
            throw error($"cannot reshape {input} ({input.ElementCount} elements) to {Requested()} ({known} elements)");
        return new Shape(dims);
    }
}
