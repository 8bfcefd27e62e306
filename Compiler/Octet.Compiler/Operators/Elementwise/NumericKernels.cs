using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>A binary function written once for every numeric element type (Add, Min, …).</summary>
internal interface INumericFunction
{
    static abstract T Apply<T>(T a, T b) where T : INumber<T>;
}

/// <summary>A comparison written once for every numeric element type (Equal, Less).</summary>
internal interface IComparisonFunction
{
    static abstract bool Apply<T>(T a, T b) where T : INumber<T>;
}

/// <summary>A unary function written once for every numeric element type (Abs, Neg, Relu).</summary>
internal interface IUnaryNumericFunction
{
    static abstract T Apply<T>(T x) where T : INumber<T>;
}

internal readonly struct NumericKernel<T, TFunction> : IBinaryKernel<T, T, T>
    where T : INumber<T>
    where TFunction : struct, INumericFunction
{
    public static T Apply(T a, T b) => TFunction.Apply(a, b);
}

internal readonly struct ComparisonKernel<T, TFunction> : IBinaryKernel<T, T, bool>
    where T : INumber<T>
    where TFunction : struct, IComparisonFunction
{
    public static bool Apply(T a, T b) => TFunction.Apply(a, b);
}

/// <summary>
/// Picks the element type of a tensor and runs a numeric function specialized for it. Integer arithmetic
/// wraps on overflow (C# is unchecked here), as numpy and ONNX Runtime do.
/// </summary>
internal static class NumericDispatch
{
    public static Tensor Binary<TFunction>(Tensor a, Tensor b, Shape output) where TFunction : struct, INumericFunction =>
        a.ElementType switch
        {
            ElementType.Float32 => Binary<float, TFunction>(a, b, output),
            ElementType.Int8 => Binary<sbyte, TFunction>(a, b, output),
            ElementType.UInt8 => Binary<byte, TFunction>(a, b, output),
            ElementType.Int16 => Binary<short, TFunction>(a, b, output),
            ElementType.Int32 => Binary<int, TFunction>(a, b, output),
            ElementType.Int64 => Binary<long, TFunction>(a, b, output),
            _ => throw new NotSupportedException($"numeric operation on {a.ElementType.OnnxName()}"),
        };

    private static Tensor Binary<T, TFunction>(Tensor a, Tensor b, Shape output)
        where T : unmanaged, INumber<T>
        where TFunction : struct, INumericFunction =>
        Tensor.Create(output, BroadcastLoops.Binary<T, T, T, NumericKernel<T, TFunction>>(a.As<T>(), a.Shape, b.As<T>(), b.Shape, output));

    public static Tensor Compare<TFunction>(Tensor a, Tensor b, Shape output) where TFunction : struct, IComparisonFunction =>
        a.ElementType switch
        {
            ElementType.Float32 => Compare<float, TFunction>(a, b, output),
            ElementType.Int8 => Compare<sbyte, TFunction>(a, b, output),
            ElementType.UInt8 => Compare<byte, TFunction>(a, b, output),
            ElementType.Int16 => Compare<short, TFunction>(a, b, output),
            ElementType.Int32 => Compare<int, TFunction>(a, b, output),
            ElementType.Int64 => Compare<long, TFunction>(a, b, output),
            _ => throw new NotSupportedException($"comparison of {a.ElementType.OnnxName()}"),
        };

    private static Tensor Compare<T, TFunction>(Tensor a, Tensor b, Shape output)
        where T : unmanaged, INumber<T>
        where TFunction : struct, IComparisonFunction =>
        Tensor.Create(output, BroadcastLoops.Binary<T, T, bool, ComparisonKernel<T, TFunction>>(a.As<T>(), a.Shape, b.As<T>(), b.Shape, output));

    public static Tensor Unary<TFunction>(Tensor x) where TFunction : struct, IUnaryNumericFunction =>
        x.ElementType switch
        {
            ElementType.Float32 => Unary<float, TFunction>(x),
            ElementType.Int8 => Unary<sbyte, TFunction>(x),
            ElementType.UInt8 => Unary<byte, TFunction>(x),
            ElementType.Int16 => Unary<short, TFunction>(x),
            ElementType.Int32 => Unary<int, TFunction>(x),
            ElementType.Int64 => Unary<long, TFunction>(x),
            _ => throw new NotSupportedException($"numeric operation on {x.ElementType.OnnxName()}"),
        };

    private static Tensor Unary<T, TFunction>(Tensor x)
        where T : unmanaged, INumber<T>
        where TFunction : struct, IUnaryNumericFunction
    {
        var input = x.As<T>();
        var result = new T[input.Length];
        for (int i = 0; i < input.Length; i++) result[i] = TFunction.Apply(input[i]);
        return Tensor.Create(x.Shape, result);
    }
}
