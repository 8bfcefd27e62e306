using System.Runtime.CompilerServices;

namespace Octet.Runtime.Transformer;

/// <summary>
/// The element types the transformer kernels read and write, chosen by the generic argument: int8 or uint8, and
/// int16 for the kernels that take the 16-bit residual stream (ILayerNorm; <see cref="Index{T}"/> and
/// <see cref="ValueAt{T}"/>, the 256-entry table helpers, stay 8-bit). The JIT specializes each instantiation, so
/// the type tests below cost nothing at run time.
/// </summary>
internal static class EightBit
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value)
        : typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
        : typeof(T) == typeof(short) ? Unsafe.As<T, short>(ref value)
        : throw new NotSupportedException($"{typeof(T)} is not an 8-bit or int16 element type");

    /// <summary>An in-range value as the element type (the caller has clamped it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FromInt<T>(int value) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) { sbyte v = (sbyte)value; return Unsafe.As<sbyte, T>(ref v); }
        if (typeof(T) == typeof(byte)) { byte v = (byte)value; return Unsafe.As<byte, T>(ref v); }
        if (typeof(T) == typeof(short)) { short v = (short)value; return Unsafe.As<short, T>(ref v); }
        throw new NotSupportedException($"{typeof(T)} is not an 8-bit or int16 element type");
    }

    public static (int Min, int Max) Range<T>() where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? (-128, 127) : typeof(T) == typeof(short) ? (short.MinValue, short.MaxValue) : (0, 255);

    /// <summary>The rank of a value among the 256 values of its type: the index into a 256-entry table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Index<T>(T value) where T : unmanaged => typeof(T) == typeof(sbyte) ? ToInt(value) + 128 : ToInt(value);

    /// <summary>The value whose <see cref="Index{T}"/> is <paramref name="index"/>.</summary>
    public static int ValueAt<T>(int index) where T : unmanaged => typeof(T) == typeof(sbyte) ? index - 128 : index;
}
