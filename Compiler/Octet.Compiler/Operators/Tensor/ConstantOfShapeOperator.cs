using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX ConstantOfShape: a tensor of the shape given by a constant 1-D int64 input (empty: a scalar),
/// filled with the one-element <c>value</c> attribute, whose type it takes; float 0 by default.
/// </summary>
public sealed class ConstantOfShapeOperator : OperatorDefinition
{
    public override string OpType => "ConstantOfShape";
    public override IReadOnlyList<int> SinceVersions { get; } = [9, 20, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 1, 1);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, ElementType.Int64);
        context.ExpectRank(0, 1);
        var value = Value(context.Node, message => context.Error(message));
        var shape = OperatorChecks.ShapeFromValues(context.RequireConstantInput(0, "the output shape").ToInt64Array(),
            "output shape", message => context.Error(message));
        context.SetOutput(0, value.ElementType, shape);
    }

    public override void Execute(KernelContext context)
    {
        var value = Value(context.Node, message => context.Error(message));
        var shape = OperatorChecks.ShapeFromValues(context.Input(0).ToInt64Array(), "output shape", message => context.Error(message));
        Array data = value.Data switch
        {
            float[] v => Filled(v[0], shape),
            // The guard matters: a byte[] also passes a type test for sbyte[] (CLR array variance).
            sbyte[] v when value.ElementType == ElementType.Int8 => Filled(v[0], shape),
            byte[] v => Filled(v[0], shape),
            int[] v => Filled(v[0], shape),
            long[] v => Filled(v[0], shape),
            bool[] v => Filled(v[0], shape),
            _ => throw context.Error($"attribute 'value' has element type {value.ElementType.OnnxName()}, which Octet does not hold"),
        };
        context.SetOutput(0, Tensor.Create(value.ElementType, shape, data));
    }

    private static T[] Filled<T>(T value, Shape shape)
    {
        var data = new T[shape.ElementCount];
        Array.Fill(data, value);
        return data;
    }

    private static Tensor Value(Node node, Func<string, Exception> error)
    {
        var value = node.GetTensor("value");
        if (value is null) return Tensor.Scalar(0f);
        if (value.ElementCount != 1)
            throw error($"attribute 'value' must hold exactly one element, but is {value}");
        return value;
    }
}
