using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// Element type conversion as ONNX Cast defines it (and numpy's astype does): float to integer truncates
/// toward zero; integer to narrower integer keeps the low bits (two's complement wrap, e.g. 200 → −56 as
/// int8); anything to bool is "nonzero" (NaN is nonzero); bool to numbers is 1 or 0. Float values beyond
/// the integer range are undefined in ONNX; here they saturate to int64 first and then wrap, which agrees
/// with the common C/numpy behaviour for values within int32.
/// </summary>
internal static class ElementConversion
{
    /// <summary>Throws naming the node if Octet cannot convert to <paramref name="target"/>.</summary>
    public static void CheckTarget(InferenceContext context, ElementType target, string what)
    {
        if (target.IsSupported()) return;
        if (!Enum.IsDefined(target) || target == ElementType.Undefined)
            throw context.Error($"{what} is element type code {(int)target}, which is not an ONNX element type Octet knows");
        if (target is ElementType.Float8E4M3FN or ElementType.Float8E4M3FNUZ or ElementType.Float8E5M2
            or ElementType.Float8E5M2FNUZ or ElementType.Float4E2M1)
            throw context.Error($"{what} is {target.OnnxName()}: Octet does not compute in 8-bit or 4-bit floats " +
                                "(the 'saturate' attribute only concerns those targets)");
        throw context.Error($"{what} is {target.OnnxName()}: Octet tensors hold float, int8, uint8, int16, int32, int64 and bool only");
    }

    /// <summary>The values of <paramref name="source"/> converted to <paramref name="target"/> (the same tensor if already of that type).</summary>
    public static Tensor Convert(Tensor source, ElementType target)
    {
        if (source.ElementType == target) return source;
        var data = source.Data switch
        {
            float[] a => From(a, target),
            // The guard matters: a byte[] also passes a type test for sbyte[] (CLR array variance).
            sbyte[] a when source.ElementType == ElementType.Int8 => From(a, target),
            byte[] a => From(a, target),
            short[] a => From(a, target),
            int[] a => From(a, target),
            long[] a => From(a, target),
            bool[] a => FromBool(a, target),
            _ => throw new NotSupportedException($"conversion from {source.ElementType.OnnxName()}"),
        };
        return Tensor.Create(target, source.Shape, data);
    }

    private static Array From<TFrom>(TFrom[] source, ElementType target) where TFrom : unmanaged, INumber<TFrom> => target switch
    {
        ElementType.Float32 => Numeric<TFrom, float>(source),
        ElementType.Int8 => Numeric<TFrom, sbyte>(source),
        ElementType.UInt8 => Numeric<TFrom, byte>(source),
        ElementType.Int16 => Numeric<TFrom, short>(source),
        ElementType.Int32 => Numeric<TFrom, int>(source),
        ElementType.Int64 => Numeric<TFrom, long>(source),
        ElementType.Bool => ToBool(source),
        _ => throw new NotSupportedException($"conversion to {target.OnnxName()}"),
    };

    private static TTo[] Numeric<TFrom, TTo>(TFrom[] source)
        where TFrom : unmanaged, INumber<TFrom>
        where TTo : unmanaged, INumber<TTo>
    {
        var result = new TTo[source.Length];
        if (typeof(TFrom) == typeof(float) && typeof(TTo) != typeof(float))
        {
            // Truncate toward zero (NaN becomes 0), then keep the low bits like an integer narrowing.
            for (int i = 0; i < source.Length; i++) result[i] = TTo.CreateTruncating(long.CreateSaturating(source[i]));
        }
        else
        {
            for (int i = 0; i < source.Length; i++) result[i] = TTo.CreateTruncating(source[i]);
        }
        return result;
    }

    private static bool[] ToBool<TFrom>(TFrom[] source) where TFrom : unmanaged, INumber<TFrom>
    {
        var result = new bool[source.Length];
        for (int i = 0; i < source.Length; i++) result[i] = source[i] != TFrom.Zero;
        return result;
    }

    private static Array FromBool(bool[] source, ElementType target)
    {
        var ones = Tensor.Create(new Shape(source.Length), Array.ConvertAll(source, b => b ? (byte)1 : (byte)0));
        return Convert(ones, target).Data;
    }
}
