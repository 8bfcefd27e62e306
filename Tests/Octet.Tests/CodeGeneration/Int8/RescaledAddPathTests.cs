using System.Runtime.Intrinsics.X86;
using Octet.Compiler.Quantization;
using Octet.Runtime.Int8;
using Xunit;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// QAdd's fixed-point kernel (<see cref="RescaledAdd"/>): each path called directly — the scalar specification
/// (<c>AddScalar</c>), the block path (<c>AddBlocks</c>, table sums + <see cref="RequantizeRow"/>), the AVX-512 VBMI path
/// (<c>AddAvx512</c>, split tables, requantized by the high word or through <see cref="RequantizeRow"/>) and the dispatcher —
/// against a test-side evaluation of the definition with the compiler's <see cref="QuantizationMath.MultiplyByFixedPoint"/>.
/// Tables are made the way the generated code makes them (operand zero points across the range, left shift 20 and
/// smaller, multipliers from tiny to near 1); output requantizations cover the high-word case (right shift ≥ 33), right
/// shifts 1–32 (the RequantizeRow fallback), shifts that round everything to 0 and left shifts; clamps narrower than the
/// type (a fused ReLU). Every type mix, lengths 0–200 and a few long ones (scalar tails after the 64-element steps),
/// extreme and random values, and in-place calls. The AVX-512 half runs only on a CPU with AVX-512 VBMI.
/// </summary>
public sealed class RescaledAddPathTests
{
    public static TheoryData<string, string, string> TypeMixes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var a in new[] { "int8", "uint8" })
            foreach (var b in new[] { "int8", "uint8" })
                foreach (var y in new[] { "int8", "uint8" })
                    data.Add(a, b, y);
        return data;
    }

    private sealed record Case(int[] ATable, int[] BTable, int Multiplier, int Shift, int ZeroPoint, int Min, int Max, RescaledAddTables? Prepared = null);

    [Theory]
    [MemberData(nameof(TypeMixes))]
    public void Every_path_equals_the_definition(string aType, string bType, string yType)
    {
        var random = new Random(aType.Length * 7 + bType.Length * 3 + yType.Length);
        switch ((aType, bType))
        {
            case ("int8", "int8"): CheckOutput<sbyte, sbyte>(yType, random); break;
            case ("int8", _): CheckOutput<sbyte, byte>(yType, random); break;
            case (_, "int8"): CheckOutput<byte, sbyte>(yType, random); break;
            default: CheckOutput<byte, byte>(yType, random); break;
        }
    }

    private static void CheckOutput<TA, TB>(string yType, Random random) where TA : unmanaged where TB : unmanaged
    {
        if (yType == "int8") CheckAll<TA, TB, sbyte>(random); else CheckAll<TA, TB, byte>(random);
    }

    private static void CheckAll<TA, TB, TY>(Random random) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        var lengths = Enumerable.Range(0, 201).Concat([1000, 4099, 89_304]).ToArray();
        int caseIndex = 0;
        foreach (var c in Cases<TA, TB, TY>(random))
        {
            // Long lengths for a few cases only, to keep the test quick.
            foreach (int n in caseIndex++ < 4 ? lengths : lengths.Where(n => n % 13 == 0 || n == 4099))
            {
                var a = Values<TA>(n, random);
                var b = Values<TB>(n, random);
                var expected = Definition<TA, TB>(a, b, c);
                Assert.Equal(expected, Run<TA, TB, TY>(a, b, c, "scalar"));
                Assert.Equal(expected, Run<TA, TB, TY>(a, b, c, "blocks"));
                Assert.Equal(expected, Run<TA, TB, TY>(a, b, c, "dispatch"));
                if (c.Prepared != null) Assert.Equal(expected, Run<TA, TB, TY>(a, b, c, "prepared"));
                if (Avx512Vbmi.IsSupported && Avx512BW.IsSupported)
                    Assert.Equal(expected, Run<TA, TB, TY>(a, b, c, "avx512"));
                // In place: the output over operand a's bytes (same type only).
                if (typeof(TA) == typeof(TY))
                {
                    var inPlace = (TA[])a.Clone();
                    RescaledAdd.FixedPoint<TA, TB, TA>(inPlace, b, c.ATable, c.BTable, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, inPlace);
                    Assert.Equal(expected, inPlace.Select(ToInt).ToArray());
                }
            }
        }
    }

    [Fact]
    public void Prepared_tables_of_other_operand_types_are_refused()
    {
        var tables = RescaledAddTables.Create(true, 0, 1 << 30, 0, false, 128, 1 << 30, 0, 20);
        var a = new byte[8];
        var b = new byte[8];
        var y = new sbyte[8];
        var error = Assert.Throws<ArgumentException>(() => RescaledAdd.FixedPoint<byte, byte, sbyte>(a, b, tables, 1 << 30, -19, 0, -128, 127, y));
        Assert.Contains("int8 + uint8", error.Message);
    }

    /// <summary>Runs one path; "avx512" finishes the elements after its whole steps with the specification.</summary>
    private static int[] Run<TA, TB, TY>(TA[] a, TB[] b, Case c, string path) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        var y = new TY[a.Length];
        switch (path)
        {
            case "scalar":
                RescaledAdd.AddScalar<TA, TB, TY>(a, b, c.ATable, c.BTable, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, y, 0);
                break;
            case "blocks":
                RescaledAdd.AddBlocks<TA, TB, TY>(a, b, c.ATable, c.BTable, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, y);
                break;
            case "dispatch":
                RescaledAdd.FixedPoint<TA, TB, TY>(a, b, c.ATable, c.BTable, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, y);
                break;
            case "prepared":
                RescaledAdd.FixedPoint<TA, TB, TY>(a, b, c.Prepared!, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, y);
                break;
            default:
                int start = RescaledAdd.AddAvx512<TA, TB, TY>(a, b, c.ATable, c.BTable, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, y);
                Assert.Equal(0, start % 64);
                if (a.Length >= 64 && SplitsLinearly(c)) Assert.Equal(a.Length - a.Length % 64, start);
                RescaledAdd.AddScalar<TA, TB, TY>(a, b, c.ATable, c.BTable, c.Multiplier, c.Shift, c.ZeroPoint, c.Min, c.Max, y, start);
                break;
        }
        return y.Select(ToInt).ToArray();
    }

    private static bool SplitsLinearly(Case c) =>
        RescaledAdd.TrySplit(c.ATable, out _, new byte[256]) && RescaledAdd.TrySplit(c.BTable, out _, new byte[256]);

    /// <summary>The definition, evaluated here: clamp(MultiplyByFixedPoint(A[a] + B[b], M0, shift) + zp, min, max).</summary>
    private static int[] Definition<TA, TB>(TA[] a, TB[] b, Case c) where TA : unmanaged where TB : unmanaged
    {
        var y = new int[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            int sum = unchecked(c.ATable[Rank(a[i])] + c.BTable[Rank(b[i])]);
            long value = (long)QuantizationMath.MultiplyByFixedPoint(sum, c.Multiplier, c.Shift) + c.ZeroPoint;
            y[i] = (int)Math.Clamp(value, c.Min, c.Max);
        }
        return y;
    }

    /// <summary>The requantization cases, with operand tables made as the generated code makes them.</summary>
    private static IEnumerable<Case> Cases<TA, TB, TY>(Random random) where TA : unmanaged where TB : unmanaged where TY : unmanaged
    {
        bool signedY = typeof(TY) == typeof(sbyte);
        int typeMin = signedY ? -128 : 0, typeMax = signedY ? 127 : 255;
        // (left shift, a's and b's rescale (M0, shift), the output's (M0, shift)): mobilenet-like (r ≈ 50), small
        // left shifts, output right shifts of 33, 32 (no high word), 20, 1, 70 (everything 0) and a left shift.
        var settings = new (int LeftShift, double AScale, double BScale, int OutMultiplier, int OutShift)[]
        {
            (20, 0.5, 0.37, 1_518_500_250, -19),
            (20, 0.21, 0.5, 1_100_000_000, -21),
            (20, 1.0 / 3, 0.5, 2_000_000_000, -1),
            (20, 0.5, 0.5, 1_900_000_000, -2),
            (0, 0.5, 0.25, 1_300_000_000, 0),
            (7, 0.0003, 0.5, 1_600_000_000, 11),
            (20, 0.5, 0.41, 1_600_000_000, 30),
            (20, 0.5, 0.41, 1_600_000_000, -40),
            (3, 0.5, 0.45, 1_200_000_000, 33),
        };
        foreach (var (leftShift, aScale, bScale, outMultiplier, outShift) in settings)
        {
            int aZero = ZeroPoint<TA>(random), bZero = ZeroPoint<TB>(random);
            var aTable = Table<TA>(aZero, leftShift, aScale);
            var bTable = Table<TB>(bZero, leftShift, bScale);
            // The constructor-made tables (RescaledAddTables) must be the same integers.
            var (aMultiplier, aShift) = QuantizationMath.ToFixedPoint(aScale);
            var (bMultiplier, bShift) = QuantizationMath.ToFixedPoint(bScale);
            var prepared = RescaledAddTables.Create(typeof(TA) == typeof(sbyte), aZero, aMultiplier, aShift, typeof(TB) == typeof(sbyte), bZero, bMultiplier, bShift, leftShift);
            Assert.Equal(aTable, prepared.A.ToArray());
            Assert.Equal(bTable, prepared.B.ToArray());
            int yZero = signedY ? random.Next(-20, 21) : random.Next(100, 156);
            yield return new Case(aTable, bTable, outMultiplier, outShift, yZero, typeMin, typeMax, prepared);
            // A fused ReLU: the lower bound at the zero point.
            yield return new Case(aTable, bTable, outMultiplier, outShift, yZero, yZero, typeMax, prepared);
        }
        // Extreme zero points (whole type range of x − zp) and a table that does not split (random entries).
        var edgeA = Table<TA>(typeof(TA) == typeof(sbyte) ? 127 : 255, 20, 0.5);
        var edgeB = Table<TB>(typeof(TB) == typeof(sbyte) ? -128 : 0, 20, 0.5);
        yield return new Case(edgeA, edgeB, 1_073_741_824, -20, signedY ? 0 : 128, typeMin, typeMax);
        var shuffled = Enumerable.Range(0, 256).Select(_ => random.Next(-(1 << 27), 1 << 27)).ToArray();
        Assert.False(RescaledAdd.TrySplit(shuffled, out _, new byte[256]));
        yield return new Case(shuffled, edgeB, 1_518_500_250, -19, 0, typeMin, typeMax);
    }

    /// <summary>As the emitter: entry k = MultiplyByFixedPoint((value_k − zp) &lt;&lt; leftShift, M0, shift) for the k-th smallest value.</summary>
    private static int[] Table<T>(int zeroPoint, int leftShift, double scale) where T : unmanaged
    {
        var (multiplier, shift) = QuantizationMath.ToFixedPoint(scale);
        var table = new int[256];
        for (int k = 0; k < 256; k++)
        {
            int value = typeof(T) == typeof(sbyte) ? k - 128 : k;
            table[k] = QuantizationMath.MultiplyByFixedPoint((value - zeroPoint) << leftShift, multiplier, shift);
        }
        // The tables the generator makes split into a linear part and byte residuals, so the vector path runs on them.
        Assert.True(RescaledAdd.TrySplit(table, out _, new byte[256]));
        return table;
    }

    private static int ZeroPoint<T>(Random random) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? random.Next(-128, 128) : random.Next(0, 256);

    /// <summary>Random values with runs of the type's extremes.</summary>
    private static T[] Values<T>(int n, Random random) where T : unmanaged
    {
        var values = new T[n];
        for (int i = 0; i < n; i++)
        {
            int rank = ((i / 37) % 5) switch { 0 => 0, 1 => 255, _ => random.Next(256) };
            values[i] = FromRank<T>(rank);
        }
        return values;
    }

    private static T FromRank<T>(int rank) where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? (T)(object)(sbyte)(rank - 128) : (T)(object)(byte)rank;

    private static int Rank<T>(T value) where T : unmanaged => value is sbyte s ? s + 128 : (byte)(object)value;

    private static int ToInt<T>(T value) where T : unmanaged => value is sbyte s ? s : (byte)(object)value;
}
