using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Octet.Runtime.Int8;

namespace Octet.Runtime.Int16;

/// <summary>
/// The fixed-point QAdd of two same-shaped tensors when an operand or the output is int16 (the residual stream):
/// <c>y[i] = Requantization.FixedPoint(a'[i] + b'[i], M0, shift, zp, min, max)</c> with
/// <c>a' = MultiplyByFixedPoint((a − a_zp) &lt;&lt; left_shift, a_M0, a_shift)</c> and likewise b' — the compiler's QAdd,
/// whose attributes are checked to keep every step inside int32 (for an int16 operand <c>left_shift</c> ≤ 15). The 8-bit
/// kernel tabulates the rescaling for the 256 values of each operand; 65,536 int16 values make that a poor trade, so
/// here the rescaling is computed: the scalar loop is the specification (<see cref="FixedPointScalar{TA, TB, TY}"/>), the
/// AVX2 path rescales eight values at a time with the exact 64-bit products and the rounding of
/// <see cref="WideRequantizeRow"/> (same integers), and each block of sums is requantized by the row kernels
/// (<see cref="WideRequantizeRow"/> for int16, <c>RequantizeRow</c> for 8-bit outputs). A block is read completely
/// before its outputs are written, so y may share a's or b's bytes (in place).
/// </summary>
public static class WideRescaledAdd
{
    private const int Block = 256;

    /// <summary>
    /// The kernel for any mix of element types (each of <typeparamref name="TA"/>, <typeparamref name="TB"/>,
    /// <typeparamref name="TY"/> is <see cref="sbyte"/>, <see cref="byte"/> or <see cref="short"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FixedPoint<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aZeroPoint, int bZeroPoint, int leftShift,
        int aMultiplier, int aShift, int bMultiplier, int bShift, int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check<TA, TB, TY>(a.Length, b.Length, y.Length, leftShift);
        if (Avx2.IsSupported && FusedShifts(aShift, bShift, shift))
        {
            int done = FusedAvx2(a, b, aZeroPoint, bZeroPoint, leftShift, aMultiplier, aShift, bMultiplier, bShift, multiplier, shift, zeroPoint, min, max, y);
            FixedPointScalar(a[done..], b[done..], aZeroPoint, bZeroPoint, leftShift, aMultiplier, aShift, bMultiplier, bShift, multiplier, shift, zeroPoint, min, max, y[done..]);
            return;
        }
        FixedPointBlocks(a, b, aZeroPoint, bZeroPoint, leftShift, aMultiplier, aShift, bMultiplier, bShift, multiplier, shift, zeroPoint, min, max, y);
    }

    /// <summary>Whether the fused AVX2 loop applies: all three rescalings are right shifts of 1 to 62 bits (lowering's shifts are).</summary>
    internal static bool FusedShifts(int aShift, int bShift, int shift) =>
        (uint)(30 - aShift) < 62u && (uint)(30 - bShift) < 62u && (uint)(30 - shift) < 62u;

    /// <summary>
    /// The AVX2 loop, eight elements per step with every intermediate in registers: widen, subtract the zero points and shift
    /// left in int32 lanes (wrapping as the specification's unchecked int32 does), rescale both operands and requantize the
    /// sum with <see cref="LaneRescale"/>, clamp, narrow. Returns the number of elements done (a multiple of 8); the
    /// caller finishes the tail with the specification. Each group is read before it is written (in place is fine).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int FusedAvx2<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aZeroPoint, int bZeroPoint, int leftShift,
        int aMultiplier, int aShift, int bMultiplier, int bShift, int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check<TA, TB, TY>(a.Length, b.Length, y.Length, leftShift);
        if (!Avx2.IsSupported || !FusedShifts(aShift, bShift, shift))
            throw new InvalidOperationException("WideRescaledAdd.FusedAvx2: AVX2 or right shifts of 1 to 62 bits missing");
        ref TA aFirst = ref MemoryMarshal.GetReference(a);
        ref TB bFirst = ref MemoryMarshal.GetReference(b);
        ref TY yFirst = ref MemoryMarshal.GetReference(y);
        var aRescale = new LaneRescale(aMultiplier, aShift);
        var bRescale = new LaneRescale(bMultiplier, bShift);
        var outRescale = new LaneRescale(multiplier, shift);
        var aOffset = Vector256.Create(aZeroPoint);
        var bOffset = Vector256.Create(bZeroPoint);
        var count = Vector128.CreateScalar(leftShift);
        // The specification saturates the requantized sum to int32, then clamps to [min, max] after adding zp: with zp a
        // 16-bit value, clamping the saturated int32 to [min − zp, max − zp] and adding zp is the same.
        var low = Vector256.Create(min - zeroPoint);
        var high = Vector256.Create(max - zeroPoint);
        var outOffset = Vector256.Create(zeroPoint);
        int i = 0;
        for (; i + 8 <= y.Length; i += 8)
        {
            var av = Avx2.ShiftLeftLogical(EightLanes.Load(ref Unsafe.Add(ref aFirst, i)) - aOffset, count);
            var bv = Avx2.ShiftLeftLogical(EightLanes.Load(ref Unsafe.Add(ref bFirst, i)) - bOffset, count);
            var sum = aRescale.Apply(av) + bRescale.Apply(bv);
            var result = Vector256.Min(Vector256.Max(outRescale.Apply(sum), low), high) + outOffset;
            EightLanes.Store(result, ref Unsafe.Add(ref yFirst, i));
        }
        return i;
    }

    /// <summary>
    /// <c>FixedPoint.MultiplyByFixedPoint(v, M0, shift)</c> on eight int32 lanes for a right shift r = 31 − shift in [1, 62]:
    /// even and odd lanes multiplied separately by <c>vpmuldq</c> (exact: |v · M0| &lt; 2^62), rounded half up by a logical
    /// shift of the product biased by 2^62 (positive, below 2^64), saturated to int32 when the factor M0 · 2^(shift − 31)
    /// can reach 1 in magnitude (shift &gt; 0, or M0 = −2^31; otherwise |v · M0| / 2^31 &lt; 2^31 rounds into int32 and needs no
    /// clamp), and the two halves interleaved back.
    /// </summary>
    private readonly struct LaneRescale
    {
        private readonly Vector256<int> _multiplier;
        private readonly Vector128<ulong> _right;
        private readonly Vector256<long> _halfPlusBias, _unbias;
        private readonly bool _saturate;

        public LaneRescale(int multiplier, int shift)
        {
            int right = 31 - shift;
            _multiplier = Vector256.Create(multiplier);
            _right = Vector128.CreateScalar((ulong)right);
            _halfPlusBias = Vector256.Create((1L << (right - 1)) + (1L << 62));
            _unbias = Vector256.Create((1L << 62) >>> right);
            _saturate = shift > 0 || multiplier == int.MinValue;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Apply(Vector256<int> values)
        {
            var even = Avx2.Multiply(values, _multiplier);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(values.AsInt64(), 32).AsInt32(), _multiplier);
            even = Avx2.ShiftRightLogical((even + _halfPlusBias).AsUInt64(), _right).AsInt64() - _unbias;
            odd = Avx2.ShiftRightLogical((odd + _halfPlusBias).AsUInt64(), _right).AsInt64() - _unbias;
            if (_saturate)
            {
                var lowest = Vector256.Create((long)int.MinValue);
                var highest = Vector256.Create((long)int.MaxValue);
                even = Vector256.Min(Vector256.Max(even, lowest), highest);
                odd = Vector256.Min(Vector256.Max(odd, lowest), highest);
            }
            return Avx2.Blend(even.AsInt32(), Avx2.ShiftLeftLogical(odd, 32).AsInt32(), 0b1010_1010);
        }
    }

    /// <summary>
    /// The general path (any shifts): blocks of <see cref="Block"/> values rescaled into int32 buffers (AVX2 where the shift
    /// allows), summed, and requantized by the row kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FixedPointBlocks<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aZeroPoint, int bZeroPoint, int leftShift,
        int aMultiplier, int aShift, int bMultiplier, int bShift, int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check<TA, TB, TY>(a.Length, b.Length, y.Length, leftShift);
        ReadOnlySpan<int> multipliers = [multiplier];
        ReadOnlySpan<int> shifts = [shift];
        Span<int> aValues = stackalloc int[Block];
        Span<int> bValues = stackalloc int[Block];
        for (int start = 0; start < y.Length; start += Block)
        {
            int count = Math.Min(Block, y.Length - start);
            var av = aValues.Slice(0, count);
            var bv = bValues.Slice(0, count);
            for (int j = 0; j < count; j++)
            {
                av[j] = unchecked((ToInt(a[start + j]) - aZeroPoint) << leftShift);
                bv[j] = unchecked((ToInt(b[start + j]) - bZeroPoint) << leftShift);
            }
            Rescale(av, aMultiplier, aShift);
            Rescale(bv, bMultiplier, bShift);
            for (int j = 0; j < count; j++) av[j] = unchecked(av[j] + bv[j]);
            Requantize(av, multipliers, shifts, zeroPoint, min, max, y.Slice(start, count));
        }
    }

    /// <summary>The specification: the reference operator's loop, element by element.</summary>
    internal static void FixedPointScalar<TA, TB, TY>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, int aZeroPoint, int bZeroPoint, int leftShift,
        int aMultiplier, int aShift, int bMultiplier, int bShift, int multiplier, int shift, int zeroPoint, int min, int max, Span<TY> y)
        where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        Check<TA, TB, TY>(a.Length, b.Length, y.Length, leftShift);
        for (int i = 0; i < y.Length; i++)
        {
            int aRescaled = Int8.FixedPoint.MultiplyByFixedPoint(unchecked((ToInt(a[i]) - aZeroPoint) << leftShift), aMultiplier, aShift);
            int bRescaled = Int8.FixedPoint.MultiplyByFixedPoint(unchecked((ToInt(b[i]) - bZeroPoint) << leftShift), bMultiplier, bShift);
            y[i] = FromInt<TY>(Requantization.FixedPoint(unchecked(aRescaled + bRescaled), multiplier, shift, zeroPoint, min, max));
        }
    }

    /// <summary>values[j] = MultiplyByFixedPoint(values[j], M0, shift), in place: eight at a time on AVX2 for right shifts of 1 to 62 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rescale(Span<int> values, int multiplier, int shift)
    {
        int j = 0;
        int r = 31 - shift;
        if (Avx2.IsSupported && r >= 1 && r <= 62)
        {
            var m = Vector256.Create((long)multiplier);
            var rv = Vector256.Create((ulong)r);
            var bias62 = Vector256.Create(1L << 62);
            var low = Vector256.Create((long)int.MinValue);
            var high = Vector256.Create((long)int.MaxValue);
            for (; j + 8 <= values.Length; j += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create((ReadOnlySpan<int>)values.Slice(j, 8)));
                // |value · M0| < 2^62: the product is exact; the rounded result saturates to int32 as the scalar rule does.
                lo = Vector256.Min(Vector256.Max(WideRequantizeRow.Round(lo * m, rv, bias62), low), high);
                hi = Vector256.Min(Vector256.Max(WideRequantizeRow.Round(hi * m, rv, bias62), low), high);
                Vector256.Narrow(lo, hi).CopyTo(values.Slice(j, 8));
            }
        }
        for (; j < values.Length; j++) values[j] = Int8.FixedPoint.MultiplyByFixedPoint(values[j], multiplier, shift);
    }

    private static void Requantize<TY>(ReadOnlySpan<int> sums, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        int zeroPoint, int min, int max, Span<TY> y) where TY : unmanaged
    {
        if (typeof(TY) == typeof(short))
            WideRequantizeRow.FixedPoint(sums, default, multipliers, shifts, zeroPoint, min, max, System.Runtime.InteropServices.MemoryMarshal.Cast<TY, short>(y));
        else if (typeof(TY) == typeof(sbyte))
            RequantizeRow.FixedPoint(sums, default, multipliers, shifts, zeroPoint, min, max, System.Runtime.InteropServices.MemoryMarshal.Cast<TY, sbyte>(y));
        else
            RequantizeRow.FixedPoint(sums, default, multipliers, shifts, zeroPoint, min, max, System.Runtime.InteropServices.MemoryMarshal.Cast<TY, byte>(y));
    }

    private static void Check<TA, TB, TY>(int a, int b, int y, int leftShift)
    {
        if (!IsElement<TA>() || !IsElement<TB>() || !IsElement<TY>())
            throw new NotSupportedException($"WideRescaledAdd: {typeof(TA).Name} + {typeof(TB).Name} -> {typeof(TY).Name}; only sbyte, byte and short");
        if (a != y || b != y) throw new ArgumentException($"WideRescaledAdd: operands of {a} and {b} values for an output of {y}");
        if ((uint)leftShift > 30) throw new ArgumentOutOfRangeException(nameof(leftShift), leftShift, "left_shift is in [0, 30]");
    }

    private static bool IsElement<T>() => typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte) || typeof(T) == typeof(short);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ToInt<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref value)
        : typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
        : Unsafe.As<T, short>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromInt<T>(int value) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) { sbyte v = (sbyte)value; return Unsafe.As<sbyte, T>(ref v); }
        if (typeof(T) == typeof(byte)) { byte v = (byte)value; return Unsafe.As<byte, T>(ref v); }
        short s = (short)value;
        return Unsafe.As<short, T>(ref s);
    }
}
