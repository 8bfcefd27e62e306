using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Octet.Runtime;

/// <summary>
/// Float32 element-wise arithmetic over contiguous runs: what generated Add/Sub/Mul/Div kernels call for their
/// innermost axis (both operands running, or one of them broadcast as a single value), and the
/// multiply-accumulate that MatMul's row updates use.
/// </summary>
/// <remarks>
/// Every element is computed on its own by one IEEE operation, so the SIMD paths are bit-identical to the
/// scalar ones (and to the reference executor): vectorizing changes nothing but speed. The output may be the
/// same memory as an input (in-place ops): each element is read before it is written, and no element is read
/// after another one at a higher index was written (the tail is finished element by element, never by an
/// overlapping vector that would re-read outputs).
/// </remarks>
public static class FloatElementwise
{
    /// <summary><c>y[i] = a[i] + b[i]</c>.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary(new AddOp(), a, b, y);
    /// <summary><c>y[i] = a[i] + b</c>.</summary>
    public static void Add(ReadOnlySpan<float> a, float b, Span<float> y) => BinaryRight(new AddOp(), a, b, y);
    /// <summary><c>y[i] = a + b[i]</c>.</summary>
    public static void Add(float a, ReadOnlySpan<float> b, Span<float> y) => BinaryLeft(new AddOp(), a, b, y);

    /// <summary><c>y[i] = a[i] − b[i]</c>.</summary>
    public static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary(new SubtractOp(), a, b, y);
    /// <summary><c>y[i] = a[i] − b</c>.</summary>
    public static void Subtract(ReadOnlySpan<float> a, float b, Span<float> y) => BinaryRight(new SubtractOp(), a, b, y);
    /// <summary><c>y[i] = a − b[i]</c>.</summary>
    public static void Subtract(float a, ReadOnlySpan<float> b, Span<float> y) => BinaryLeft(new SubtractOp(), a, b, y);

    /// <summary><c>y[i] = a[i] · b[i]</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary(new MultiplyOp(), a, b, y);
    /// <summary><c>y[i] = a[i] · b</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, float b, Span<float> y) => BinaryRight(new MultiplyOp(), a, b, y);
    /// <summary><c>y[i] = a · b[i]</c>.</summary>
    public static void Multiply(float a, ReadOnlySpan<float> b, Span<float> y) => BinaryLeft(new MultiplyOp(), a, b, y);

    /// <summary><c>y[i] = a[i] / b[i]</c>.</summary>
    public static void Divide(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary(new DivideOp(), a, b, y);
    /// <summary><c>y[i] = a[i] / b</c>.</summary>
    public static void Divide(ReadOnlySpan<float> a, float b, Span<float> y) => BinaryRight(new DivideOp(), a, b, y);
    /// <summary><c>y[i] = a / b[i]</c>.</summary>
    public static void Divide(float a, ReadOnlySpan<float> b, Span<float> y) => BinaryLeft(new DivideOp(), a, b, y);

    /// <summary><c>y[i] += scale · x[i]</c> (multiply, then add: no fused multiply-add, so it rounds like the scalar expression).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, float scale, Span<float> y)
    {
        x = x[..y.Length];
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref py, (nuint)i) + Vector512.LoadUnsafe(ref px, (nuint)i) * vs).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref py, (nuint)i) + Vector256.LoadUnsafe(ref px, (nuint)i) * vs).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vs = Vector128.Create(scale);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                (Vector128.LoadUnsafe(ref py, (nuint)i) + Vector128.LoadUnsafe(ref px, (nuint)i) * vs).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) += scale * Unsafe.Add(ref px, i);
    }

    /// <summary>The scalar specification of <see cref="MultiplyAdd"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyAddScalar(ReadOnlySpan<float> x, float scale, Span<float> y)
    {
        x = x[..y.Length];
        for (int i = 0; i < y.Length; i++) y[i] += scale * x[i];
    }

    /// <summary>The scalar specification of every binary entry point: <c>y[i] = op(a[i], b[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BinaryScalar<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IFloatBinary
    {
        a = a[..y.Length];
        b = b[..y.Length];
        for (int i = 0; i < y.Length; i++) y[i] = op.Apply(a[i], b[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binary<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IFloatBinary
    {
        // Length checks up front: the vector loop below reads through refs without bounds checks.
        a = a[..y.Length];
        b = b[..y.Length];
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Apply(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Apply(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                op.Apply(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref py, i) = op.Apply(Unsafe.Add(ref pa, i), Unsafe.Add(ref pb, i));
    }

    /// <summary><c>y[i] = op(a[i], b)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinaryRight<TOp>(TOp op, ReadOnlySpan<float> a, float b, Span<float> y) where TOp : struct, IFloatBinary
    {
        a = a[..y.Length];
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vb = Vector512.Create(b);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Apply(Vector512.LoadUnsafe(ref pa, (nuint)i), vb).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vb = Vector256.Create(b);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Apply(Vector256.LoadUnsafe(ref pa, (nuint)i), vb).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vb = Vector128.Create(b);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                op.Apply(Vector128.LoadUnsafe(ref pa, (nuint)i), vb).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = op.Apply(Unsafe.Add(ref pa, i), b);
    }

    /// <summary><c>y[i] = op(a, b[i])</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinaryLeft<TOp>(TOp op, float a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IFloatBinary
    {
        b = b[..y.Length];
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                op.Apply(va, Vector512.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                op.Apply(va, Vector256.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                op.Apply(va, Vector128.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = op.Apply(a, Unsafe.Add(ref pb, i));
    }

    /// <summary>One binary operation at every width (struct implementations, so generic calls inline).</summary>
    internal interface IFloatBinary
    {
        float Apply(float a, float b);
        Vector128<float> Apply(Vector128<float> a, Vector128<float> b);
        Vector256<float> Apply(Vector256<float> a, Vector256<float> b);
        Vector512<float> Apply(Vector512<float> a, Vector512<float> b);
    }

    internal readonly struct AddOp : IFloatBinary
    {
        public float Apply(float a, float b) => a + b;
        public Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a + b;
        public Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a + b;
        public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a + b;
    }

    internal readonly struct SubtractOp : IFloatBinary
    {
        public float Apply(float a, float b) => a - b;
        public Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a - b;
        public Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a - b;
        public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a - b;
    }

    internal readonly struct MultiplyOp : IFloatBinary
    {
        public float Apply(float a, float b) => a * b;
        public Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a * b;
        public Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a * b;
        public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a * b;
    }

    internal readonly struct DivideOp : IFloatBinary
    {
        public float Apply(float a, float b) => a / b;
        public Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a / b;
        public Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a / b;
        public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a / b;
    }
}
