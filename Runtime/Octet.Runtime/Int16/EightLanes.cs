using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int16;

/// <summary>
/// Loads and stores of eight elements of an 8-bit or int16 tensor as int32 lanes, for the AVX2 paths of the kernels that
/// take both widths (<c>WideRescaledAdd</c>, <c>IntegerLayerNorm</c>). Each reads or writes exactly eight elements, so a
/// loop over whole groups of eight never touches bytes past its span.
/// </summary>
internal static class EightLanes
{
    /// <summary>Eight values widened to int32 (sign-extended for sbyte and short, zero-extended for byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load<T>(ref T source) where T : unmanaged
    {
        if (typeof(T) == typeof(short)) return Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref Unsafe.As<T, short>(ref source)));
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<T, byte>(ref source))).AsByte();
        return typeof(T) == typeof(sbyte) ? Avx2.ConvertToVector256Int32(bytes.AsSByte()) : Avx2.ConvertToVector256Int32(bytes);
    }

    /// <summary>
    /// Eight values already inside the element type's range, narrowed (truncation keeps them: a uint8 value of 200 is the
    /// byte 200 whether read as signed or not).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(Vector256<int> values, ref T target) where T : unmanaged
    {
        var shorts = Vector128.Narrow(values.GetLower(), values.GetUpper());
        if (typeof(T) == typeof(short))
        {
            shorts.StoreUnsafe(ref Unsafe.As<T, short>(ref target));
            return;
        }
        var bytes = Vector128.Narrow(shorts, shorts);
        Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref target), bytes.AsInt64().ToScalar());
    }
}
