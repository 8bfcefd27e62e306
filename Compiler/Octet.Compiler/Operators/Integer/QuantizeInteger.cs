using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Quantization;
using Octet.Compiler.Quantization;

namespace Octet.Compiler.Operators.Integer;

/// <summary>
/// QuantizeInteger(X): QuantizeLinear of the values of an integer tensor (BERT's attention mask, int64 token flags
/// that the model casts to float and the quantizer quantizes), computed by comparisons instead of float division.
/// X is int8, uint8, int16, int32 or int64. Attributes <c>thresholds</c> (ints, strictly increasing), <c>levels</c>
/// (ints, one per threshold, strictly increasing), <c>y_min</c> (int, below the first level) and <c>y_type</c>
/// (2 = uint8, 3 = int8, 5 = int16), every level inside the output type:
/// <c>y = y_min</c> for x below <c>thresholds[0]</c>, else <c>levels[j]</c> for the last j with <c>thresholds[j] ≤ x</c>.
/// <para>Why this is exact: for a positive scale, <c>x ↦ QuantizeLinear(float(x))</c> is a non-decreasing step
/// function of the integer x (each of float conversion, division by the scale, rounding, adding the zero point and
/// saturating is non-decreasing), so it is determined by its value at X's smallest value and by the x at which it
/// steps up, with the level it steps to. <see cref="Steps"/> finds those at compile time with the float
/// definition itself, so every x of X's type gives the same integer as Cast followed by QuantizeLinear.</para>
/// </summary>
public sealed class QuantizeInteger : IntegerOperator
{
    public override string OpType => "QuantizeInteger";

    protected override IEnumerable<string> AllowedAttributes(Node node) => ["levels", "thresholds", "y_min", "y_type"];

    /// <summary>The integer types X may have, with their value ranges.</summary>
    public static (long Min, long Max)? InputRange(ElementType type) => type switch
    {
        ElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        ElementType.UInt8 => (byte.MinValue, byte.MaxValue),
        ElementType.Int16 => (short.MinValue, short.MaxValue),
        ElementType.Int32 => (int.MinValue, int.MaxValue),
        ElementType.Int64 => (long.MinValue, long.MaxValue),
        _ => null,
    };

    public override void InferOutputs(InferenceContext context)
    {
        QuantizedValues.ExpectInputCount(context, 1, 1);
        if (InputRange(context.InputType(0)) is null)
            throw context.Error($"input X is {context.InputType(0).OnnxName()}; expected int8, uint8, int16, int32 or int64");
        ExpectKnownAttributes(context);
        var outputType = Requantizer.ReadOutputType(context.Node);
        Read(context.Node, outputType);
        context.SetOutput(0, outputType, context.InputShape(0));
    }

    private static (long[] Thresholds, int[] Levels, int YMin) Read(Node node, ElementType outputType)
    {
        var thresholds = node.GetInts("thresholds") ?? throw Diagnostics.OctetException.AtNode(node, "required attribute 'thresholds' is missing");
        var levels = node.GetInts("levels") ?? throw Diagnostics.OctetException.AtNode(node, "required attribute 'levels' is missing");
        if (!node.HasAttribute("y_min")) throw Diagnostics.OctetException.AtNode(node, "required attribute 'y_min' is missing");
        if (levels.Length != thresholds.Length)
            throw Diagnostics.OctetException.AtNode(node, $"attribute 'levels' has {levels.Length} values; expected one per threshold ({thresholds.Length})");
        long yMin = node.GetInt("y_min");
        IntegerAttributes.CheckInRange(node, "y_min", yMin, outputType);
        for (int k = 0; k < thresholds.Length; k++)
        {
            IntegerAttributes.CheckInRange(node, $"levels[{k}]", levels[k], outputType);
            if (k > 0 && thresholds[k] <= thresholds[k - 1])
                throw Diagnostics.OctetException.AtNode(node, $"attribute 'thresholds' does not increase at index {k} ({thresholds[k - 1]} then {thresholds[k]})");
            if (levels[k] <= (k == 0 ? yMin : levels[k - 1]))
                throw Diagnostics.OctetException.AtNode(node, $"attribute 'levels' does not increase at index {k} (from y_min and the levels before it)");
        }
        return (thresholds, levels.Select(v => (int)v).ToArray(), (int)yMin);
    }

    /// <summary>The level of the last threshold at or below <paramref name="x"/> (binary search), or <paramref name="yMin"/>.</summary>
    public static int Evaluate(long x, long[] thresholds, int[] levels, int yMin)
    {
        int low = 0, high = thresholds.Length;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (thresholds[middle] <= x) low = middle + 1; else high = middle;
        }
        return low == 0 ? yMin : levels[low - 1];
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var outputType = Requantizer.ReadOutputType(context.Node);
        var (thresholds, levels, yMin) = Read(context.Node, outputType);
        var values = x.ToInt64Array();
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = Evaluate(values[i], thresholds, levels, yMin);
        context.SetOutput(0, IntegerAttributes.ToTensor(outputType, x.Shape, result));
    }

    /// <summary>
    /// The attributes that make QuantizeInteger equal QuantizeLinear(Cast(x, float32), scale, zero point) for every
    /// x of <paramref name="inputType"/>: <c>y_min</c> is the output at the type's smallest value, and each
    /// (threshold, level) pair is an x at which the output steps up and the level it steps to — found by bisection on
    /// the float definition itself, one output level at a time. Requires a positive, finite scale.
    /// </summary>
    public static (long[] Thresholds, long[] Levels, int YMin) Steps(ElementType inputType, QuantizationParameters output)
    {
        var (min, max) = InputRange(inputType) ?? throw new ArgumentOutOfRangeException(nameof(inputType), inputType, "not an integer type QuantizeInteger takes");
        if (!output.IsPerTensor) throw new ArgumentException("per-tensor output parameters expected", nameof(output));
        float scale = output.Scale;
        if (!(scale > 0) || !float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(output), scale, "the scale must be positive and finite");
        int Level(long x) => QuantizationMath.Quantize((float)x, scale, output.ZeroPoint, output.QMin, output.QMax);

        int yMin = Level(min), yMax = Level(max);
        var thresholds = new List<long>();
        var levels = new List<long>();
        int level = yMin;
        while (level < yMax)
        {
            // The smallest x with Level(x) > level: Level(min) ≤ level < Level(max), and Level never decreases.
            long low = min, high = max; // invariant: Level(low) ≤ level < Level(high)
            // The distance as ulong: high − low may not fit in a long (int64's whole range).
            while ((ulong)high - (ulong)low > 1)
            {
                long middle = low + (long)(((ulong)high - (ulong)low) / 2);
                if (Level(middle) > level) high = middle; else low = middle;
            }
            level = Level(high);
            thresholds.Add(high);
            levels.Add(level);
        }
        return (thresholds.ToArray(), levels.ToArray(), yMin);
    }
}
