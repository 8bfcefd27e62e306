using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Octet.Runtime.Transformer;

/// <summary>
/// The AVX2 path of <see cref="IntegerLayerNorm.Rows{TX, TY}"/>: the same integers as the scalar specification, eight
/// channels at a time. Why it is exact, step by step:
/// <list type="bullet">
/// <item>Row sums: Σx with <c>vpmaddwd</c> against ones (int32 lanes gain at most 2^16 per step, at most 2^11 steps), Σx²
/// with <c>vpmaddwd</c> of x with itself (a pair of squares is at most 2^31: read as uint32, widened to int64). The sums of d
/// = x − zp follow exactly: Σd = Σx − C·zp, Σd² = Σx² − 2·zp·Σx + C·zp² (all far inside int64).</item>
/// <item>The standardized value n = ⌊(c·2^s + R/2) / R⌋ (s = F + k + p, c = C·d − Σd fits int32, R the row's root in
/// [1, 2^31)): a double estimate ⌊c · (2^s / R) + 1/2⌋ — c converts exactly, |n| ≤ 2^F + 1 because R ≥ |c|·2^(p+k), so the
/// three roundings move the estimate by less than 2^−25 and it is n, n − 1 or n + 1 — then one exact correction in int64:
/// e = 2(c·2^s − q·R) + R must lie in [0, 2R) (q·R by <c>vpmuldq</c>, both factors int32; |c·2^s| ≤ 2^F·R &lt; 2^56).</item>
/// <item>The affine step t = round(n · M_c / 2^r_c) + bias_c, then round(t / 2^16) + zp, clamped: |n · M_c| &lt; 2^56 is
/// exact from <c>vpmuldq</c>; the arithmetic right shifts AVX2 lacks for 64-bit lanes are logical shifts of the value
/// biased by 2^62 (positive, below 2^63), the bias removed after; the clamp is done on the biased value, which is
/// monotone.</item>
/// </list>
/// Rows whose root is 0 (constant without ε) or at least 2^31 (a variance sum beyond 2^62, which the channel limits make
/// possible only with extreme epsilon terms) and the last C mod 8 channels take the scalar per-element steps.
/// </summary>
public static partial class IntegerLayerNorm
{
    /// <summary>
    /// Whether the affine constants suit the vector path: every r_c = 31 − shift_c + F − 16 in [1, 62] and |bias_c| ≤ 2^40
    /// (what the emitter allows; lowering gives shifts near 8). Otherwise the scalar path runs.
    /// </summary>
    internal static bool AffineVectorizable<TX, TY>(ReadOnlySpan<int> shifts, ReadOnlySpan<long> biases) where TX : unmanaged where TY : unmanaged
    {
        var (fractionBits, _) = Precision<TX, TY>(shifts.Length);
        for (int c = 0; c < shifts.Length; c++)
        {
            long right = 31L - shifts[c] + fractionBits - FractionBits;
            if (right < 1 || right > 62 || biases[c] > 1L << 40 || biases[c] < -(1L << 40)) return false;
        }
        return true;
    }

    /// <summary>The AVX2 path (the caller has checked <see cref="AffineVectorizable{TX, TY}"/> and <see cref="Avx2.IsSupported"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowsAvx2<TX, TY>(ReadOnlySpan<TX> x, Span<TY> y, int xZeroPoint, long epsilonTerm,
        ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, ReadOnlySpan<long> biases, int yZeroPoint)
        where TX : unmanaged where TY : unmanaged
    {
        int channels = Check(x.Length, y.Length, multipliers.Length, shifts.Length, biases.Length);
        CheckInt16<TX>(channels);
        if (!Avx2.IsSupported || !AffineVectorizable<TX, TY>(shifts, biases))
            throw new InvalidOperationException("IntegerLayerNorm.RowsAvx2: AVX2 or vectorizable affine constants missing");
        var (min, max) = EightBit.Range<TY>();
        var (fractionBits, varianceBits) = Precision<TX, TY>(channels);
        int vectorEnd = channels & ~7;
        for (int start = 0; start < x.Length; start += channels)
        {
            var row = x.Slice(start, channels);
            var output = y.Slice(start, channels);
            var (sumX, sumSquaresX) = RowSums(row);
            long sum = sumX - (long)channels * xZeroPoint;
            long squares = sumSquaresX - 2L * xZeroPoint * sumX + (long)channels * xZeroPoint * xZeroPoint;
            long total = (((long)channels * channels * squares - channels * sum * sum) << (2 * varianceBits)) + epsilonTerm;
            var (root, k) = Root(total);
            int done = 0;
            if (root > 0 && root <= int.MaxValue && vectorEnd > 0)
            {
                VectorChannels(row, output, channels, xZeroPoint, sum, root, fractionBits + k + varianceBits, fractionBits,
                    multipliers, shifts, biases, yZeroPoint, min, max, vectorEnd);
                done = vectorEnd;
            }
            var divisor = new RowDivisor(root);
            for (int c = done; c < channels; c++)
            {
                long standardized = divisor.Standardized((long)channels * (EightBit.ToInt(row[c]) - xZeroPoint) - sum, k, fractionBits, varianceBits);
                output[c] = EightBit.FromInt<TY>(Affine(standardized, multipliers[c], shifts[c], fractionBits, biases[c], yZeroPoint, min, max));
            }
        }
    }

    /// <summary>(Σx, Σx²) of the raw values of one row, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (long Sum, long Squares) RowSums<TX>(ReadOnlySpan<TX> row) where TX : unmanaged
    {
        ref TX first = ref MemoryMarshal.GetReference(row);
        var ones = Vector256.Create((short)1);
        var sums = Vector256<int>.Zero;
        var squares = Vector256<long>.Zero;
        int c = 0;
        for (; c + 16 <= row.Length; c += 16)
        {
            var v = Load16(ref Unsafe.Add(ref first, c));
            sums += Avx2.MultiplyAddAdjacent(v, ones);
            // A pair of squares is at most 2 · 2^30 = 2^31: exact as uint32, zero-extended into int64 lanes.
            var pairs = Avx2.MultiplyAddAdjacent(v, v).AsUInt32();
            squares += Avx2.ConvertToVector256Int64(pairs.GetLower()) + Avx2.ConvertToVector256Int64(pairs.GetUpper());
        }
        long sum = Vector256.Sum(Vector256.WidenLower(sums) + Vector256.WidenUpper(sums));
        long sumSquares = Vector256.Sum(squares);
        for (; c < row.Length; c++)
        {
            long value = EightBit.ToInt(row[c]);
            sum += value;
            sumSquares += value * value;
        }
        return (sum, sumSquares);
    }

    /// <summary>Channels [0, <paramref name="end"/>) of one row, eight at a time (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VectorChannels<TX, TY>(ReadOnlySpan<TX> row, Span<TY> output, int channels, int xZeroPoint, long sum, long root,
        int scaleBits, int fractionBits, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, ReadOnlySpan<long> biases,
        int yZeroPoint, int min, int max, int end) where TX : unmanaged where TY : unmanaged
    {
        ref TX xFirst = ref MemoryMarshal.GetReference(row);
        ref TY yFirst = ref MemoryMarshal.GetReference(output);
        ref int mFirst = ref MemoryMarshal.GetReference(multipliers);
        ref int sFirst = ref MemoryMarshal.GetReference(shifts);
        ref long bFirst = ref MemoryMarshal.GetReference(biases);

        // c = C·x − (C·zp + Σd): |c| < 2^28 and C·x, C·zp + Σd = C·x − c are below 2^28 too (C·2^16 ≤ 2^27 for int16 rows).
        var channelCount = Vector256.Create(channels);
        var offset = Vector256.Create((int)((long)channels * xZeroPoint + sum));
        var scale = Vector256.Create(Math.ScaleB(1.0, scaleBits) / root);
        var halfDouble = Vector256.Create(0.5);
        var shiftCount = Vector128.CreateScalar((long)scaleBits);
        var rootLanes = Vector256.Create(root);
        var twiceRootMinusOne = Vector256.Create(2 * root - 1);
        var rightBase = Vector256.Create(31L + fractionBits - FractionBits);
        var bias62 = Vector256.Create(1L << 62);
        // + 2^15 rounds the final shift by 16 half up; + 2^62 keeps the value positive for the logical shift.
        var finalOffset = Vector256.Create((1L << 15) + (1L << 62));
        var low = Vector256.Create((long)min - yZeroPoint + (1L << 46));
        var high = Vector256.Create((long)max - yZeroPoint + (1L << 46));
        var unbias = Vector256.Create((long)yZeroPoint - (1L << 46));

        for (int c = 0; c < end; c += 8)
        {
            var centered = Avx2.MultiplyLow(Int16.EightLanes.Load(ref Unsafe.Add(ref xFirst, c)), channelCount) - offset;
            var lower = Lanes(centered.GetLower(), scale, halfDouble, shiftCount, rootLanes, twiceRootMinusOne,
                Vector128.LoadUnsafe(ref mFirst, (nuint)c), Vector128.LoadUnsafe(ref sFirst, (nuint)c), Vector256.LoadUnsafe(ref bFirst, (nuint)c),
                rightBase, bias62, finalOffset, low, high, unbias);
            var upper = Lanes(centered.GetUpper(), scale, halfDouble, shiftCount, rootLanes, twiceRootMinusOne,
                Vector128.LoadUnsafe(ref mFirst, (nuint)c + 4), Vector128.LoadUnsafe(ref sFirst, (nuint)c + 4), Vector256.LoadUnsafe(ref bFirst, (nuint)c + 4),
                rightBase, bias62, finalOffset, low, high, unbias);
            Int16.EightLanes.Store(Vector256.Narrow(lower, upper), ref Unsafe.Add(ref yFirst, c));
        }
    }

    /// <summary>Four channels: standardized value, affine step, clamp (see the class summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> Lanes(Vector128<int> centered, Vector256<double> scale, Vector256<double> halfDouble, Vector128<long> shiftCount,
        Vector256<long> root, Vector256<long> twiceRootMinusOne, Vector128<int> multipliers, Vector128<int> shifts, Vector256<long> biases,
        Vector256<long> rightBase, Vector256<long> bias62, Vector256<long> finalOffset, Vector256<long> low, Vector256<long> high, Vector256<long> unbias)
    {
        var n = Standardized(centered, scale, halfDouble, shiftCount, root, twiceRootMinusOne);

        // t = round(n · M_c / 2^r_c) + bias_c; out = round(t / 2^16) + zp, every shift of a value biased positive.
        var product = Avx2.Multiply(n.AsInt32(), Avx2.ConvertToVector256Int64(multipliers).AsInt32());
        var right = (rightBase - Avx2.ConvertToVector256Int64(shifts)).AsUInt64();
        var half = Avx2.ShiftLeftLogicalVariable(Vector256<ulong>.One, right - Vector256<ulong>.One).AsInt64();
        var rounded = Avx2.ShiftRightLogicalVariable((product + half + bias62).AsUInt64(), right).AsInt64()
                      - Avx2.ShiftRightLogicalVariable(bias62.AsUInt64(), right).AsInt64();
        var biased = Avx2.ShiftRightLogical((rounded + biases + finalOffset).AsUInt64(), 16).AsInt64();
        return Vector256.Min(Vector256.Max(biased, low), high) + unbias;
    }

    /// <summary>
    /// n = ⌊(c·2^s + R/2) / R⌋ on four lanes (<c>TransformerMath.DivideHalfUp(c &lt;&lt; s, R)</c>), for R in [1, 2^31), |n| &lt; 2^30
    /// and |c·2^s| &lt; 2^60; <paramref name="scale"/> is 2^s / R in double. The estimate ⌊c·scale + 1/2⌋ is within one of n
    /// (three roundings of relative size 2^−53 on a value below 2^30), then e = 2(c·2^s − q·R) + R ∈ [0, 2R) exactly when
    /// q = n, and one step in either direction corrects it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<long> Standardized(Vector128<int> centered, Vector256<double> scale, Vector256<double> halfDouble, Vector128<long> shiftCount,
        Vector256<long> root, Vector256<long> twiceRootMinusOne)
    {
        var estimate = Avx.Floor(Avx.ConvertToVector256Double(centered) * scale + halfDouble);
        var q = Avx2.ConvertToVector256Int64(Avx.ConvertToVector128Int32WithTruncation(estimate));
        var numerator = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int64(centered), shiftCount);
        var e = ((numerator - Avx2.Multiply(q.AsInt32(), root.AsInt32())) << 1) + root;
        // Comparison masks are −1 where true: one step down where e < 0, one up where e ≥ 2R.
        return q + Vector256.LessThan(e, Vector256<long>.Zero) - Vector256.GreaterThan(e, twiceRootMinusOne);
    }

    /// <summary>Sixteen values of the row widened to int16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Load16<TX>(ref TX source) where TX : unmanaged
    {
        if (typeof(TX) == typeof(short)) return Vector256.LoadUnsafe(ref Unsafe.As<TX, short>(ref source));
        var bytes = Vector128.LoadUnsafe(ref Unsafe.As<TX, byte>(ref source));
        return typeof(TX) == typeof(sbyte) ? Avx2.ConvertToVector256Int16(bytes.AsSByte()) : Avx2.ConvertToVector256Int16(bytes);
    }
}
