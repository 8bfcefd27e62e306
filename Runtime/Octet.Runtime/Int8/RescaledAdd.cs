using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Octet.Runtime.Int8;

/// <summary>
/// The fixed-point QAdd of two same-shaped 8-bit tensors, <c>y[i] = Requantization.FixedPoint(A[a[i]] + B[b[i]], M0, shift, zp, min, max)</c>,
/// where A and B are the operands' rescaled values tabulated by the caller for the 256 values of each operand's type
/// (entry k for the k-th smallest value: x + 128 for int8, x for uint8; the generated code fills them with the op's own
/// <c>MultiplyByFixedPoint((v − zp) &lt;&lt; left_shift, M0, shift)</c>). Each rescaled value is a function of one 8-bit value,
/// so looking it up gives exactly what computing it per element gives; the sums (wrapping, as the per-element
/// <c>int</c> addition) are formed a block at a time and requantized by <see cref="RequantizeRow"/>, whose vector paths
/// equal its scalar specification. A block is read entirely before its outputs are written, so y may share a's or b's
/// bytes (in place).
/// </summary>
public static class RescaledAdd
{
    private const int Block = 256;

    /// <summary>
    /// The kernel for any mix of 8-bit types (each of <typeparamref name="TA"/>, <typeparamref name="TB"/>,
    /// <typeparamref name="TY"/> is <see cref="byte"/> or <see cref="sbyte"/>).
    /// </summary>
    public static void FixedPoint<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, ReadOnlySpan<int> aTable, ReadOnlySpan<int> bTable,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        if (!IsEightBit<TA>() || !IsEightBit<TB>() || !IsEightBit<TY>())
            throw new NotSupportedException($"RescaledAdd: {typeof(TA).Name} + {typeof(TB).Name} -> {typeof(TY).Name}; only byte and sbyte");
        Add(a, b, aTable, bTable, multiplier, shift, zeroPoint, min, max, y);
    }

    private static bool IsEightBit<T>() => typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, ReadOnlySpan<int> aTable, ReadOnlySpan<int> bTable,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        int n = y.Length;
        if (a.Length != n || b.Length != n)
            throw new ArgumentException($"RescaledAdd: operands of {a.Length} and {b.Length} values for an output of {n}");
        if (aTable.Length != 256 || bTable.Length != 256)
            throw new ArgumentException($"RescaledAdd: tables of {aTable.Length} and {bTable.Length} entries; expected 256 each");
        ReadOnlySpan<int> multipliers = [multiplier];
        ReadOnlySpan<int> shifts = [shift];
        Span<int> sums = stackalloc int[Block];
        ref int ta = ref MemoryMarshal.GetReference(aTable);
        ref int tb = ref MemoryMarshal.GetReference(bTable);
        for (int start = 0; start < n; start += Block)
        {
            int count = Math.Min(Block, n - start);
            var aBlock = a.Slice(start, count);
            var bBlock = b.Slice(start, count);
            var block = sums.Slice(0, count);
            // Indices are 0..255 by construction, so the table reads need no bounds checks.
            for (int j = 0; j < block.Length; j++)
                block[j] = unchecked(Unsafe.Add(ref ta, Rank(aBlock[j])) + Unsafe.Add(ref tb, Rank(bBlock[j])));
            RequantizeRow.FixedPointChecked(block, default, multipliers, shifts, zeroPoint, min, max, y.Slice(start, count));
        }
    }

    /// <summary>The value's rank among its type's 256 values: x + 128 for int8, x for uint8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Rank<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value) + 128 : Unsafe.As<T, byte>(ref value);
}
