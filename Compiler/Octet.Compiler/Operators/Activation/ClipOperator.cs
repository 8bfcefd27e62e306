using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Activation;

/// <summary>
/// ONNX Clip: <c>y = min(max, max(min, x))</c>. Bounds are the <c>min</c>/<c>max</c> attributes before
/// opset 11 and optional scalar inputs from 11 on; a missing bound is the type's lowest / highest value.
/// When min &gt; max every element becomes max, as the specification says (it is what the formula gives).
/// Integer types from opset 12.
/// </summary>
public sealed class ClipOperator : OperatorDefinition
{
    public override string OpType => "Clip";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 11, 12, 13];

    public override void InferOutputs(InferenceContext context)
    {
        int version = context.Node.OpsetVersion;
        OperatorChecks.ExpectOutputs(context, 1, 1);
        if (version < 11)
        {
            OperatorChecks.ExpectInputs(context, 1, 1);
            context.ExpectType(0, ElementTypeSets.Float);
            context.Node.GetFloat("min", float.MinValue);
            context.Node.GetFloat("max", float.MaxValue);
        }
        else
        {
            OperatorChecks.ExpectInputs(context, 1, 3);
            context.ExpectType(0, version >= 12 ? ElementTypeSets.Numeric : ElementTypeSets.Float);
            OperatorChecks.ExpectSameType(context, 0, 2);
            for (int i = 1; i <= 2; i++)
            {
                // The spec asks for a scalar; a one-element tensor of rank 1 is accepted too, as exporters emit it.
                if (context.HasInput(i) && (context.InputShape(i).ElementCount != 1 || context.InputShape(i).Rank > 1))
                    throw context.Error($"{(i == 1 ? "min" : "max")} (input {i}, '{context.Node.Inputs[i]}') must be a scalar, " +
                                        $"but has shape {context.InputShape(i)}");
            }
        }
        context.SetOutput(0, context.InputType(0), context.InputShape(0));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (context.Node.OpsetVersion < 11)
        {
            var result = Clip(x.As<float>(), context.Node.GetFloat("min", float.MinValue), context.Node.GetFloat("max", float.MaxValue));
            context.SetOutput(0, Tensor.Create(x.Shape, result));
            return;
        }
        var min = context.OptionalInput(1);
        var max = context.OptionalInput(2);
        Array data = x.ElementType switch
        {
            ElementType.Float32 => Clip<float>(x, min, max),
            ElementType.Int8 => Clip<sbyte>(x, min, max),
            ElementType.UInt8 => Clip<byte>(x, min, max),
            ElementType.Int16 => Clip<short>(x, min, max),
            ElementType.Int32 => Clip<int>(x, min, max),
            ElementType.Int64 => Clip<long>(x, min, max),
            _ => throw context.Error($"element type {x.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, Tensor.Create(x.ElementType, x.Shape, data));
    }

    private static T[] Clip<T>(Tensor x, Tensor? min, Tensor? max) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        // float's lowest is −FLT_MAX, which differs from −∞ only for ±∞ inputs; numeric_limits::lowest() is what ONNX says.
        var low = min is null ? T.MinValue : min.As<T>()[0];
        var high = max is null ? T.MaxValue : max.As<T>()[0];
        return Clip(x.As<T>(), low, high);
    }

    private static T[] Clip<T>(T[] x, T low, T high) where T : INumber<T>
    {
        var result = new T[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var v = x[i];
            if (v < low) v = low;
            if (v > high) v = high;
            result[i] = v;
        }
        return result;
    }
}
