using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Int8;

/// <summary>
/// The fixed-point QAdd of two same-shaped 8-bit tensors, <c>y[i] = Requantization.FixedPoint(A[a[i]] + B[b[i]], M0, shift, zp, min, max)</c>,
/// where A and B are the operands' rescaled values tabulated by the caller for the 256 values of each operand's type
/// (entry k for the k-th smallest value: x + 128 for int8, x for uint8; the generated code fills them with the op's own
/// <c>MultiplyByFixedPoint((v − zp) &lt;&lt; left_shift, M0, shift)</c>). Each rescaled value is a function of one 8-bit value,
/// so looking it up gives exactly what computing it per element gives. The sum is the wrapping <c>int</c> addition.
/// <see cref="AddScalar"/> (one element at a time) is the specification; the other paths give the same integers:
/// <list type="bullet">
/// <item><see cref="AddBlocks"/>: the table sums a block at a time, requantized by <see cref="RequantizeRow"/> (whose vector
/// paths equal its scalar specification). Any CPU, any tables.</item>
/// <item><see cref="AddAvx512"/> (AVX-512 VBMI): 64 elements per step without a memory table. A rescaling table is the
/// rounding of a linear function of the rank, so it splits as <c>T[k] = T[0] + k · step + residual[k]</c> with residuals
/// in [0, 255] (<see cref="TrySplit"/> checks that for the tables it is given; others take <see cref="AddBlocks"/>). The
/// residuals are bytes, looked up 64 at a time with two 128-byte permutes (<c>vpermi2b</c>), and
/// <c>T[0] + k · step</c> is one <c>vpmulld</c> and an add: all of it modulo 2^32, like the wrapping sum, so the int32 sum is
/// the same. When the output shift allows it (<see cref="Int8Gemm.HighWordRequantizable"/>: right shift ≥ 33, the usual
/// case with QAdd's 2^20 left shift), the sums are requantized in registers by the high word of the exact product (see
/// <see cref="Int8Gemm"/>'s high-word epilogue for why that is exact); otherwise they go through <see cref="RequantizeRow"/>.</item>
/// </list>
/// Every path reads a block entirely before writing its outputs, so y may share a's or b's bytes (in place).
/// </summary>
public static class RescaledAdd
{
    private const int Block = 256;

    /// <summary>Elements per step of the AVX-512 path.</summary>
    private const int Step = 64;

    /// <summary>
    /// The kernel for any mix of 8-bit types (each of <typeparamref name="TA"/>, <typeparamref name="TB"/>,
    /// <typeparamref name="TY"/> is <see cref="byte"/> or <see cref="sbyte"/>).
    /// </summary>
    public static void FixedPoint<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, ReadOnlySpan<int> aTable, ReadOnlySpan<int> bTable,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        if (!IsEightBit<TA>() || !IsEightBit<TB>() || !IsEightBit<TY>())
            throw new NotSupportedException($"RescaledAdd: {typeof(TA).Name} + {typeof(TB).Name} -> {typeof(TY).Name}; only byte and sbyte");
        Check(a.Length, b.Length, aTable.Length, bTable.Length, y.Length);
        int start = 0;
        if (Avx512Vbmi.IsSupported && Avx512BW.IsSupported && y.Length >= Step)
            start = AddAvx512(a, b, aTable, bTable, multiplier, shift, zeroPoint, min, max, y);
        if (start < y.Length)
            AddBlocks(a.Slice(start), b.Slice(start), aTable, bTable, multiplier, shift, zeroPoint, min, max, y.Slice(start));
    }

    /// <summary>
    /// The kernel on tables made once by <see cref="RescaledAddTables.Create"/> (the generated constructor does that), which
    /// also holds their split for the AVX-512 path: nothing is tabulated or checked per call but the lengths.
    /// </summary>
    public static void FixedPoint<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, RescaledAddTables tables,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        if (!IsEightBit<TA>() || !IsEightBit<TB>() || !IsEightBit<TY>())
            throw new NotSupportedException($"RescaledAdd: {typeof(TA).Name} + {typeof(TB).Name} -> {typeof(TY).Name}; only byte and sbyte");
        if (tables.ASigned != (typeof(TA) == typeof(sbyte)) || tables.BSigned != (typeof(TB) == typeof(sbyte)))
            throw new ArgumentException($"RescaledAdd: tables made for {(tables.ASigned ? "int8" : "uint8")} + {(tables.BSigned ? "int8" : "uint8")} operands, " +
                $"called with {typeof(TA).Name} + {typeof(TB).Name}");
        Check(a.Length, b.Length, 256, 256, y.Length);
        int start = 0;
        if (Avx512Vbmi.IsSupported && Avx512BW.IsSupported && y.Length >= Step && tables.Splits)
            start = AddSplitAvx512(a, b, tables.A[0], tables.AStep, tables.B[0], tables.BStep, tables.Residuals, multiplier, shift, zeroPoint, min, max, y);
        if (start < y.Length)
            AddBlocks(a.Slice(start), b.Slice(start), tables.A, tables.B, multiplier, shift, zeroPoint, min, max, y.Slice(start));
    }

    private static bool IsEightBit<T>() => typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte);

    private static void Check(int a, int b, int aTable, int bTable, int n)
    {
        if (a != n || b != n)
            throw new ArgumentException($"RescaledAdd: operands of {a} and {b} values for an output of {n}");
        if (aTable != 256 || bTable != 256)
            throw new ArgumentException($"RescaledAdd: tables of {aTable} and {bTable} entries; expected 256 each");
    }

    /// <summary>The specification: one element at a time, from element <paramref name="start"/> on.</summary>
    internal static void AddScalar<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, ReadOnlySpan<int> aTable, ReadOnlySpan<int> bTable,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y, int start) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check(a.Length, b.Length, aTable.Length, bTable.Length, y.Length);
        for (int i = start; i < y.Length; i++)
        {
            int sum = unchecked(aTable[Rank(a[i])] + bTable[Rank(b[i])]);
            int value = Requantization.FixedPoint(sum, multiplier, shift, zeroPoint, min, max);
            if (typeof(TY) == typeof(sbyte)) { sbyte s = (sbyte)value; y[i] = Unsafe.As<sbyte, TY>(ref s); }
            else { byte u = (byte)value; y[i] = Unsafe.As<byte, TY>(ref u); }
        }
    }

    /// <summary>The table sums a block at a time, requantized by <see cref="RequantizeRow"/> (any CPU, any tables).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddBlocks<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, ReadOnlySpan<int> aTable, ReadOnlySpan<int> bTable,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        int n = y.Length;
        Check(a.Length, b.Length, aTable.Length, bTable.Length, n);
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

    /// <summary>
    /// Splits a rescaling table as <c>table[k] = table[0] + k · step + residual[k]</c> (exact integers) with every residual in
    /// [0, 255], step being the smallest difference of neighbouring entries. A table that rounds a nondecreasing linear
    /// function of k has neighbouring differences of ⌊slope⌋ and ⌊slope⌋ + 1 only, so its residuals count the larger steps
    /// (at most 255); false for any table that does not split so (the caller then uses the memory tables).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TrySplit(ReadOnlySpan<int> table, out int step, Span<byte> residual)
    {
        step = 0;
        if (table.Length != 256 || residual.Length < 256) return false;
        long smallest = long.MaxValue;
        for (int k = 1; k < 256; k++) smallest = Math.Min(smallest, (long)table[k] - table[k - 1]);
        if (smallest < int.MinValue || smallest > int.MaxValue) return false;
        for (int k = 0; k < 256; k++)
        {
            long rest = (long)table[k] - table[0] - k * smallest;
            if (rest < 0 || rest > 255) return false;
            residual[k] = (byte)rest;
        }
        step = (int)smallest;
        return true;
    }

    /// <summary>
    /// Whole steps of 64 elements on AVX-512 VBMI (see the class summary); returns where the rest starts (0 when a table
    /// does not split, which leaves everything to <see cref="AddBlocks"/>).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int AddAvx512<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, ReadOnlySpan<int> aTable, ReadOnlySpan<int> bTable,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check(a.Length, b.Length, aTable.Length, bTable.Length, y.Length);
        Span<byte> residuals = stackalloc byte[512];
        if (!TrySplit(aTable, out int aStep, residuals.Slice(0, 256)) || !TrySplit(bTable, out int bStep, residuals.Slice(256, 256)))
            return 0;
        return AddSplitAvx512(a, b, aTable[0], aStep, bTable[0], bStep, residuals, multiplier, shift, zeroPoint, min, max, y);
    }

    /// <summary>
    /// <see cref="AddAvx512"/> on tables already split: <c>T_a[k] = aFirst + k · aStep + residuals[k]</c>,
    /// <c>T_b[k] = bFirst + k · bStep + residuals[256 + k]</c>.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int AddSplitAvx512<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aFirst, int aStep, int bFirst, int bStep, ReadOnlySpan<byte> residuals,
        int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        int n = y.Length;
        if (a.Length != n || b.Length != n || residuals.Length != 512)
            throw new ArgumentException($"RescaledAdd: operands of {a.Length} and {b.Length} values for an output of {n}, {residuals.Length} residuals (expected 512)");
        // T[rank] = T[0] + rank · step + residual: for int8 the rank is x + 128, so 128 · step joins the constant and
        // the sign-extended x multiplies the step. Everything modulo 2^32, as the specification's wrapping sum.
        int constant = unchecked(aFirst + bFirst + (typeof(TA) == typeof(sbyte) ? aStep << 7 : 0) + (typeof(TB) == typeof(sbyte) ? bStep << 7 : 0));
        ref byte pr = ref MemoryMarshal.GetReference(residuals);
        var operands = new Operands(
            Vector512.LoadUnsafe(ref pr), Vector512.LoadUnsafe(ref pr, 64), Vector512.LoadUnsafe(ref pr, 128), Vector512.LoadUnsafe(ref pr, 192),
            Vector512.LoadUnsafe(ref pr, 256), Vector512.LoadUnsafe(ref pr, 320), Vector512.LoadUnsafe(ref pr, 384), Vector512.LoadUnsafe(ref pr, 448),
            Vector512.Create(constant), Vector512.Create(aStep), Vector512.Create(bStep));
        ref byte pa = ref Unsafe.As<TA, byte>(ref MemoryMarshal.GetReference(a));
        ref byte pb = ref Unsafe.As<TB, byte>(ref MemoryMarshal.GetReference(b));
        ref byte py = ref Unsafe.As<TY, byte>(ref MemoryMarshal.GetReference(y));
        int whole = n - n % Step;
        long rightShift = 31L - shift;
        if (Int8Gemm.HighWordRequantizable([shift], zeroPoint))
        {
            // Right shifts of 63 or more round every product to 0: multiplier 0 with s = 1 gives exactly zp.
            bool vanishing = rightShift > 62;
            int s = vanishing ? 1 : (int)rightShift - 32;
            var m = Vector512.Create(vanishing ? 0 : multiplier);
            var offset = Vector512.Create((int)((1L << (s - 1)) + ((long)zeroPoint << s)));
            var low = Vector512.Create(min);
            var high = Vector512.Create(max);
            // Lane 2i takes the high word of the even product i, lane 2i + 1 that of the odd product i.
            var gather = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
            for (int i = 0; i < whole; i += Step)
            {
                Sums<TA, TB>(ref Unsafe.Add(ref pa, i), ref Unsafe.Add(ref pb, i), operands, out var s0, out var s1, out var s2, out var s3);
                // All 64 inputs are read: the stores below may overwrite them (in place).
                HighWord(s0, m, gather, offset, s, low, high).StoreUnsafe(ref Unsafe.Add(ref py, i));
                HighWord(s1, m, gather, offset, s, low, high).StoreUnsafe(ref Unsafe.Add(ref py, i + 16));
                HighWord(s2, m, gather, offset, s, low, high).StoreUnsafe(ref Unsafe.Add(ref py, i + 32));
                HighWord(s3, m, gather, offset, s, low, high).StoreUnsafe(ref Unsafe.Add(ref py, i + 48));
            }
            return whole;
        }
        ReadOnlySpan<int> multipliers = [multiplier];
        ReadOnlySpan<int> shifts = [shift];
        Span<int> sums = stackalloc int[Block];
        ref int ps = ref MemoryMarshal.GetReference(sums);
        for (int start = 0; start < whole; start += Block)
        {
            int count = Math.Min(Block, whole - start);
            for (int i = 0; i < count; i += Step)
            {
                Sums<TA, TB>(ref Unsafe.Add(ref pa, start + i), ref Unsafe.Add(ref pb, start + i), operands, out var s0, out var s1, out var s2, out var s3);
                s0.StoreUnsafe(ref ps, (nuint)i);
                s1.StoreUnsafe(ref ps, (nuint)(i + 16));
                s2.StoreUnsafe(ref ps, (nuint)(i + 32));
                s3.StoreUnsafe(ref ps, (nuint)(i + 48));
            }
            RequantizeRow.FixedPointChecked(sums.Slice(0, count), default, multipliers, shifts, zeroPoint, min, max, y.Slice(start, count));
        }
        return whole;
    }

    /// <summary>The residual tables (two 128-byte halves per operand) and the linear parts' constants.</summary>
    private readonly struct Operands(Vector512<byte> a0, Vector512<byte> a1, Vector512<byte> a2, Vector512<byte> a3,
        Vector512<byte> b0, Vector512<byte> b1, Vector512<byte> b2, Vector512<byte> b3, Vector512<int> constant, Vector512<int> aStep, Vector512<int> bStep)
    {
        public readonly Vector512<byte> A0 = a0, A1 = a1, A2 = a2, A3 = a3, B0 = b0, B1 = b1, B2 = b2, B3 = b3;
        public readonly Vector512<int> Constant = constant, AStep = aStep, BStep = bStep;
    }

    /// <summary>The 64 wrapping sums T_a[rank a] + T_b[rank b] of elements [0, 64) at the given bytes, 16 per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sums<TA, TB>(ref byte pa, ref byte pb, in Operands t,
        out Vector512<int> s0, out Vector512<int> s1, out Vector512<int> s2, out Vector512<int> s3) where TA : unmanaged where TB : unmanaged
    {
        var aBytes = Vector512.LoadUnsafe(ref pa);
        var bBytes = Vector512.LoadUnsafe(ref pb);
        var aResidual = Lookup(aBytes, typeof(TA) == typeof(sbyte), t.A0, t.A1, t.A2, t.A3);
        var bResidual = Lookup(bBytes, typeof(TB) == typeof(sbyte), t.B0, t.B1, t.B2, t.B3);
        s0 = Sum<TA, TB>(aBytes.GetLower().GetLower(), bBytes.GetLower().GetLower(), aResidual.GetLower().GetLower(), bResidual.GetLower().GetLower(), t);
        s1 = Sum<TA, TB>(aBytes.GetLower().GetUpper(), bBytes.GetLower().GetUpper(), aResidual.GetLower().GetUpper(), bResidual.GetLower().GetUpper(), t);
        s2 = Sum<TA, TB>(aBytes.GetUpper().GetLower(), bBytes.GetUpper().GetLower(), aResidual.GetUpper().GetLower(), bResidual.GetUpper().GetLower(), t);
        s3 = Sum<TA, TB>(aBytes.GetUpper().GetUpper(), bBytes.GetUpper().GetUpper(), aResidual.GetUpper().GetUpper(), bResidual.GetUpper().GetUpper(), t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Sum<TA, TB>(Vector128<byte> a, Vector128<byte> b, Vector128<byte> aResidual, Vector128<byte> bResidual, in Operands t)
        where TA : unmanaged where TB : unmanaged
    {
        var aWide = typeof(TA) == typeof(sbyte) ? Avx512F.ConvertToVector512Int32(a.AsSByte()) : Avx512F.ConvertToVector512Int32(a);
        var bWide = typeof(TB) == typeof(sbyte) ? Avx512F.ConvertToVector512Int32(b.AsSByte()) : Avx512F.ConvertToVector512Int32(b);
        return t.Constant + aWide * t.AStep + bWide * t.BStep + Avx512F.ConvertToVector512Int32(aResidual) + Avx512F.ConvertToVector512Int32(bResidual);
    }

    /// <summary>Residual bytes of 64 values: entries 0–127 from (t0, t1), 128–255 from (t2, t3); the rank's top bit chooses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup(Vector512<byte> values, bool signed, Vector512<byte> t0, Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3)
    {
        var rank = signed ? values ^ Vector512.Create((byte)0x80) : values;
        var lower = Avx512Vbmi.PermuteVar64x8x2(t0, rank, t1);
        var upper = Avx512Vbmi.PermuteVar64x8x2(t2, rank, t3);
        return Vector512.ConditionalSelect(Vector512.LessThan(rank.AsSByte(), Vector512<sbyte>.Zero).AsByte(), upper, lower);
    }

    /// <summary>
    /// Requantizes 16 sums by the high word of the exact product sum · M0: <c>clamp((hi + C) &gt;&gt; s, min, max)</c>, the
    /// scalar result plus zp (<see cref="Int8Gemm"/>'s high-word epilogue, which <see cref="Int8Gemm.HighWordRequantizable"/>
    /// admits), as 16 bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> HighWord(Vector512<int> sum, Vector512<int> m, Vector512<int> gather, Vector512<int> offset, int s,
        Vector512<int> low, Vector512<int> high)
    {
        var even = Avx512F.Multiply(sum, m).AsInt32();
        var odd = Avx512F.Multiply(Vector512.ShiftRightLogical(sum.AsInt64(), 32).AsInt32(), m).AsInt32();
        var hi = Avx512F.PermuteVar16x32x2(even, gather, odd);
        var value = Vector512.Min(Vector512.Max(Vector512.ShiftRightArithmetic(hi + offset, s), low), high);
        // Every value is inside the 8-bit type's range: truncating to bytes (vpmovdb) keeps it.
        return Avx512F.ConvertToVector128Byte(value.AsUInt32());
    }

    /// <summary>The value's rank among its type's 256 values: x + 128 for int8, x for uint8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Rank<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value) + 128 : Unsafe.As<T, byte>(ref value);
}
