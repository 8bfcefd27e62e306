using System.Numerics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Range: <c>start, start + delta, …</c> up to (excluding) <c>limit</c>, from three scalars of one type;
/// <c>max(ceil((limit − start) / delta), 0)</c> elements. The scalars must be known at compile time, since
/// they determine the output's length. Element i is <c>start + i·delta</c> computed in the element type.
/// </summary>
public sealed class RangeOperator : OperatorDefinition
{
    public override string OpType => "Range";

    /// <summary>Range-27 lies beyond the opsets Octet reads (up to 25).</summary>
    public override IReadOnlyList<int> SinceVersions { get; } = [11];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 3, 3);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        context.ExpectType(0, ElementTypeSets.FloatAndWideIntegers);
        OperatorChecks.ExpectSameType(context, 0, 2);
        string[] names = ["start", "limit", "delta"];
        var values = new Tensor[3];
        for (int i = 0; i < 3; i++)
        {
            if (context.InputShape(i).ElementCount != 1 || context.InputShape(i).Rank > 1)
                throw context.Error($"{names[i]} (input {i}) must be a scalar, but has shape {context.InputShape(i)}");
            values[i] = context.RequireConstantInput(i, names[i]);
        }
        int count = Count(values[0], values[1], values[2], message => context.Error(message));
        context.SetOutput(0, context.InputType(0), new Shape(count));
    }

    public override void Execute(KernelContext context)
    {
        var start = context.Input(0);
        int count = Count(start, context.Input(1), context.Input(2), message => context.Error(message));
        var result = start.ElementType switch
        {
            ElementType.Float32 => Generate<float>(start, context.Input(2), count),
            ElementType.Int32 => Generate<int>(start, context.Input(2), count),
            ElementType.Int64 => Generate<long>(start, context.Input(2), count),
            _ => throw context.Error($"element type {start.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, result);
    }

    private static int Count(Tensor start, Tensor limit, Tensor delta, Func<string, Exception> error)
    {
        double s = start.GetAsDouble(0), l = limit.GetAsDouble(0), d = delta.GetAsDouble(0);
        if (d == 0) throw error("delta is 0");
        double count = Math.Ceiling((l - s) / d);
        if (double.IsNaN(count)) throw error($"start {s}, limit {l} and delta {d} do not define a range");
        if (count > Shape.MaxElements)
            throw error($"the range from {s} to {l} by {d} has more than {Shape.MaxElements:N0} elements, the most Octet allows in one tensor");
        return (int)Math.Max(count, 0);
    }

    private static Tensor Generate<T>(Tensor start, Tensor delta, int count) where T : unmanaged, INumber<T>
    {
        T first = start.As<T>()[0], step = delta.As<T>()[0];
        var result = new T[count];
        for (int i = 0; i < count; i++) result[i] = first + T.CreateTruncating(i) * step;
        return Tensor.Create(new Shape(count), result);
    }
}
