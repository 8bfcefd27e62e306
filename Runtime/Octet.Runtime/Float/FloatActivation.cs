using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 activation functions over contiguous runs. <c>y</c> may be the same memory as <c>x</c> (in-place ops).
/// </summary>
/// <remarks>
/// Relu, LeakyRelu and Clip are comparisons and at most one multiplication per element: their SIMD paths are
/// bit-identical to the scalar ones, including NaN (passed through: every comparison with NaN is false) and
/// −0 (kept: −0 &lt; 0 is false). Exp, Sigmoid and Tanh call <see cref="MathF"/> per element, exactly as the
/// compiler's reference operators do, so generated code gives the reference's bits; a vectorized polynomial
/// would be faster but would differ in the last bits, and these functions are rare in the float models.
/// </remarks>
public static class FloatActivation
{
    /// <summary><c>y = x &lt; 0 ? 0 : x</c>.</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Unary(new ReluOp(), x, y);

    /// <summary><c>y = x &lt; 0 ? alpha·x : x</c>.</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, float alpha, Span<float> y) => Unary(new LeakyReluOp(alpha), x, y);

    /// <summary><c>y = min(high, max(low, x))</c> written as two comparisons (NaN passes through; low &gt; high gives high).</summary>
    public static void Clip(ReadOnlySpan<float> x, float low, float high, Span<float> y) => Unary(new ClipOp(low, high), x, y);

    /// <summary>One clipped value: the scalar form of <see cref="Clip(ReadOnlySpan{float}, float, float, Span{float})"/>.</summary>
    public static float Clip(float x, float low, float high) => new ClipOp(low, high).Apply(x);

    /// <summary><c>y = eˣ</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        x = x[..y.Length];
        for (int i = 0; i < y.Length; i++) y[i] = MathF.Exp(x[i]);
    }

    /// <summary><c>y = 1 / (1 + e⁻ˣ)</c>, evaluated as eˣ / (1 + eˣ) for negative x so that nothing overflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        x = x[..y.Length];
        for (int i = 0; i < y.Length; i++) y[i] = Sigmoid(x[i]);
    }

    /// <summary>One sigmoid, with the same expression as the reference operator (so the same bits).</summary>
    public static float Sigmoid(float x)
    {
        if (x >= 0) return 1f / (1f + MathF.Exp(-x));
        float e = MathF.Exp(x);
        return e / (1f + e);
    }

    /// <summary><c>y = tanh(x)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        x = x[..y.Length];
        for (int i = 0; i < y.Length; i++) y[i] = MathF.Tanh(x[i]);
    }

    /// <summary>The scalar specification of the vectorized activations: <c>y[i] = op(x[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void UnaryScalar<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IFloatUnary
    {
        x = x[..y.Length];
        for (int i = 0; i < y.Length; i++) y[i] = op.Apply(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Unary<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IFloatUnary
    {
        x = x[..y.Length];
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Apply(Vector512.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Apply(Vector256.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                op.Apply(Vector128.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref py, i) = op.Apply(Unsafe.Add(ref px, i));
    }

    internal interface IFloatUnary
    {
        float Apply(float x);
        Vector128<float> Apply(Vector128<float> x);
        Vector256<float> Apply(Vector256<float> x);
        Vector512<float> Apply(Vector512<float> x);
    }

    internal readonly struct ReluOp : IFloatUnary
    {
        public float Apply(float x) => x < 0 ? 0 : x;
        public Vector128<float> Apply(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);
        public Vector256<float> Apply(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
        public Vector512<float> Apply(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
    }

    internal readonly struct LeakyReluOp(float alpha) : IFloatUnary
    {
        public float Apply(float x) => x < 0 ? alpha * x : x;
        public Vector128<float> Apply(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), x * alpha, x);
        public Vector256<float> Apply(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * alpha, x);
        public Vector512<float> Apply(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), x * alpha, x);
    }

    internal readonly struct ClipOp(float low, float high) : IFloatUnary
    {
        public float Apply(float x)
        {
            if (x < low) x = low;
            if (x > high) x = high;
            return x;
        }

        public Vector128<float> Apply(Vector128<float> x)
        {
            x = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(low)), Vector128.Create(low), x);
            return Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(high)), Vector128.Create(high), x);
        }

        public Vector256<float> Apply(Vector256<float> x)
        {
            x = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(low)), Vector256.Create(low), x);
            return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(high)), Vector256.Create(high), x);
        }

        public Vector512<float> Apply(Vector512<float> x)
        {
            x = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(low)), Vector512.Create(low), x);
            return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(high)), Vector512.Create(high), x);
        }
    }
}
