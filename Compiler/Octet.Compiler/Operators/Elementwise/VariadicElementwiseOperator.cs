using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// Sum, Min, Max: one or more inputs of one type combined element-wise, folded left to right. From opset 8
/// the inputs broadcast numpy-style (pairwise broadcasting gives the same shape as broadcasting all at
/// once); before, they must all have the same shape.
/// </summary>
public abstract class VariadicElementwiseOperator : OperatorDefinition
{
    /// <summary>The element types the node's version admits.</summary>
    protected abstract ElementType[] AllowedTypes(int version);

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, int.MaxValue);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        for (int i = 0; i < context.InputCount; i++)
            if (!context.HasInput(i)) throw context.Error($"input {i} is empty; every input of {OpType} is required");
        context.ExpectType(0, AllowedTypes(context.Node.OpsetVersion));
        OperatorChecks.ExpectSameType(context, 0, context.InputCount - 1);

        var indices = Enumerable.Range(0, context.InputCount).ToArray();
        Shape shape;
        if (context.Node.OpsetVersion >= 8)
        {
            shape = Broadcasting.Broadcast(context, indices);
        }
        else
        {
            shape = context.InputShape(0);
            foreach (var i in indices)
                if (context.InputShape(i) != shape)
                    throw context.Error($"input {i} has shape {context.InputShape(i)} but input 0 has {shape}; " +
                                        $"{OpType} before opset 8 does not broadcast");
        }
        context.SetOutput(0, context.InputType(0), shape);
    }

    public override void Execute(KernelContext context)
    {
        var result = context.Input(0);
        for (int i = 1; i < context.InputCount; i++)
        {
            var next = context.Input(i);
            var shape = Broadcasting.TryBroadcast(result.Shape, next.Shape)
                ?? throw context.Error($"input shapes {result.Shape} and {next.Shape} cannot be broadcast together");
            result = Combine(result, next, shape);
        }
        // A single input is passed through: tensors are immutable once shared.
        context.SetOutput(0, result);
    }

    /// <summary>The element-wise combination of two tensors of one type, of shape <paramref name="output"/>.</summary>
    protected abstract Tensor Combine(Tensor a, Tensor b, Shape output);
}
