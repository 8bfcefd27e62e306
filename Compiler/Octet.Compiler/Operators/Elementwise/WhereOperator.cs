using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// ONNX Where: <c>condition ? X : Y</c> element-wise, the three inputs broadcast together numpy-style.
/// X and Y may be of any type, condition is bool.
/// </summary>
public sealed class WhereOperator : OperatorDefinition
{
    public override string OpType => "Where";
    public override IReadOnlyList<int> SinceVersions { get; } = [9, 16];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 3, 3);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, ElementType.Bool);
        context.ExpectType(1, ElementTypeSets.All);
        OperatorChecks.ExpectSameType(context, 1, 2);
        context.SetOutput(0, context.InputType(1), Broadcasting.Broadcast(context, 0, 1, 2));
    }

    public override void Execute(KernelContext context)
    {
        var condition = context.Input(0);
        var x = context.Input(1);
        var y = context.Input(2);
        var output = Broadcasting.TryBroadcast(condition.Shape, x.Shape, y.Shape)
            ?? throw context.Error($"input shapes {condition.Shape}, {x.Shape} and {y.Shape} cannot be broadcast together");
        var c = condition.As<bool>();
        Array result = x.Data switch
        {
            float[] a => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<float>(), y.Shape, output),
            // The guard matters: a byte[] also passes a type test for sbyte[] (CLR array variance).
            sbyte[] a when x.ElementType == ElementType.Int8 => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<sbyte>(), y.Shape, output),
            byte[] a => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<byte>(), y.Shape, output),
            short[] a => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<short>(), y.Shape, output),
            int[] a => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<int>(), y.Shape, output),
            long[] a => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<long>(), y.Shape, output),
            bool[] a => BroadcastLoops.Select(c, condition.Shape, a, x.Shape, y.As<bool>(), y.Shape, output),
            _ => throw context.Error($"element type {x.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, Tensor.Create(x.ElementType, output, result));
    }
}
