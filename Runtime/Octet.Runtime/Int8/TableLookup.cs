using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// <c>y[i] = table[index(x[i])]</c> for a 256-entry table, index being the value's rank among the 8-bit values
/// (x + 128 for int8, x for uint8): any function of one 8-bit value — Table, and per-tensor Requantize, whose table
/// the kernel fills with the scalar requantization of each of the 256 inputs, so the lookup is that same function.
/// The scalar loop is the specification; the AVX-512 VBMI path looks up 64 values at once with two 128-byte
/// permutes (<c>vpermi2b</c>) and picks between them by the index's top bit. Each block is read before it is written,
/// so x and y may be the same bytes (in place).
/// </summary>
public static class TableLookup
{
    /// <summary>Looks up every value of <paramref name="x"/> in <paramref name="table"/> (256 entries).</summary>
    public static void Apply(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> table, Span<sbyte> y) => Apply<sbyte, sbyte>(x, table, y);

    /// <inheritdoc cref="Apply(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte}, Span{sbyte})"/>
    public static void Apply(ReadOnlySpan<sbyte> x, ReadOnlySpan<byte> table, Span<byte> y) => Apply<sbyte, byte>(x, table, y);

    /// <inheritdoc cref="Apply(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte}, Span{sbyte})"/>
    public static void Apply(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> table, Span<sbyte> y) => Apply<byte, sbyte>(x, table, y);

    /// <inheritdoc cref="Apply(ReadOnlySpan{sbyte}, ReadOnlySpan{sbyte}, Span{sbyte})"/>
    public static void Apply(ReadOnlySpan<byte> x, ReadOnlySpan<byte> table, Span<byte> y) => Apply<byte, byte>(x, table, y);

    internal static void Apply<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TY> table, Span<TY> y) where TX : unmanaged where TY : unmanaged
    {
        if (table.Length != 256 || x.Length != y.Length)
            throw new ArgumentException($"TableLookup: a table of 256 entries (got {table.Length}) and as many outputs ({y.Length}) as inputs ({x.Length})");
        int start = Avx512Vbmi.IsSupported ? ApplyAvx512(x, table, y) : 0;
        ApplyScalar(x, table, y, start);
    }

    /// <summary>The specification, from element <paramref name="start"/> on.</summary>
    internal static void ApplyScalar<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TY> table, Span<TY> y, int start) where TX : unmanaged where TY : unmanaged
    {
        for (int i = start; i < x.Length; i++) y[i] = table[Index(x[i])];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Index<T>(T value) where T : unmanaged => typeof(T) == typeof(sbyte) ? Int8Dot.ToInt(value) + 128 : Int8Dot.ToInt(value);

    /// <summary>Whole blocks of 64 values; returns where the scalar tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int ApplyAvx512<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<TY> table, Span<TY> y) where TX : unmanaged where TY : unmanaged
    {
        ref byte pt = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(table));
        var t0 = Vector512.LoadUnsafe(ref pt);
        var t1 = Vector512.LoadUnsafe(ref pt, 64);
        var t2 = Vector512.LoadUnsafe(ref pt, 128);
        var t3 = Vector512.LoadUnsafe(ref pt, 192);
        ref byte px = ref Unsafe.As<TX, byte>(ref MemoryMarshal.GetReference(x));
        ref byte py = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(y));
        var flip = Vector512.Create((byte)(typeof(TX) == typeof(sbyte) ? 0x80 : 0));
        int i = 0;
        for (; i <= x.Length - 64; i += 64)
        {
            var index = Vector512.LoadUnsafe(ref px, (nuint)i) ^ flip;
            // vpermi2b uses the low 7 bits: entries 0-127 from (t0, t1), 128-255 from (t2, t3); bit 7 chooses.
            var low = Avx512Vbmi.PermuteVar64x8x2(t0, index, t1);
            var high = Avx512Vbmi.PermuteVar64x8x2(t2, index, t3);
            var upper = Vector512.LessThan(index.AsSByte(), Vector512<sbyte>.Zero).AsByte();
            Vector512.ConditionalSelect(upper, high, low).StoreUnsafe(ref py, (nuint)i);
        }
        return i;
    }
}
