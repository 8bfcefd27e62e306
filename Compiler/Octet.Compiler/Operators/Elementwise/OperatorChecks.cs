using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>Arity checks every operator makes before it looks at its inputs.</summary>
internal static class OperatorChecks
{
    /// <summary>
    /// Requires between <paramref name="min"/> and <paramref name="max"/> inputs (trailing omitted optional
    /// inputs count as given by the node), and every required one present.
    /// </summary>
    public static void ExpectInputs(InferenceContext context, int min, int max)
    {
        int count = context.InputCount;
        if (count < min || count > max)
            throw context.Error(min == max
                ? $"takes {min} input{(min == 1 ? "" : "s")}, got {count}"
                : max == int.MaxValue ? $"takes at least {min} input{(min == 1 ? "" : "s")}, got {count}"
                : $"takes {min} to {max} inputs, got {count}");
        for (int i = 0; i < min; i++)
            if (!context.HasInput(i)) throw context.Error($"input {i} is required but missing");
    }

    /// <summary>Requires between <paramref name="min"/> and <paramref name="max"/> outputs, the first present.</summary>
    public static void ExpectOutputs(InferenceContext context, int min, int max)
    {
        int count = context.OutputCount;
        if (count < min || count > max)
            throw context.Error(min == max
                ? $"has {min} output{(min == 1 ? "" : "s")}, but the node declares {count}"
                : max == int.MaxValue ? $"has at least {min} output{(min == 1 ? "" : "s")}, but the node declares {count}"
                : $"has {min} to {max} outputs, but the node declares {count}");
    }

    /// <summary>Requires every present input from <paramref name="first"/> to <paramref name="last"/> to have the same element type.</summary>
    public static void ExpectSameType(InferenceContext context, int first, int last)
    {
        var type = context.InputType(first);
        for (int i = first + 1; i <= last; i++)
        {
            if (!context.HasInput(i)) continue;
            if (context.InputType(i) != type)
                throw context.Error($"input {i} ('{context.Node.Inputs[i]}') has element type {context.InputType(i).OnnxName()}, " +
                                    $"but input {first} ('{context.Node.Inputs[first]}') has {type.OnnxName()}; they must match");
        }
    }

    /// <summary>
    /// A shape from 64-bit values an operator was given (Expand's shape, ConstantOfShape's input), or an
    /// error naming <paramref name="what"/> when a value is negative or the total is beyond what Octet holds.
    /// </summary>
    public static Shape ShapeFromValues(long[] values, string what, Func<string, Exception> error)
    {
        decimal count = 1;
        foreach (var d in values)
        {
            if (d < 0) throw error($"{what} [{string.Join(",", values)}] has the negative dimension {d}");
            count *= d;
            if (count > Shape.MaxElements || d > int.MaxValue)
                throw error($"{what} [{string.Join(",", values)}] has more than {Shape.MaxElements:N0} elements, the most Octet allows in one tensor");
        }
        return new Shape(Array.ConvertAll(values, d => (int)d));
    }
}
