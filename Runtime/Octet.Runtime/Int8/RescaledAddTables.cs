namespace Octet.Runtime.Int8;

/// <summary>
/// The two operands' rescaling tables of one fixed-point QAdd (<see cref="RescaledAdd"/>), made once (the generated
/// constructor does it) instead of on every call: entry k of an operand's table is
/// <c>MultiplyByFixedPoint((v_k − zp) &lt;&lt; left_shift, M0, shift)</c> for the k-th smallest value v_k of its type
/// (k − 128 for int8, k for uint8), the shift wrapping in int32 as the op's definition does. Also holds the tables'
/// split into a linear part and byte residuals (<see cref="RescaledAdd.TrySplit"/>) for the AVX-512 path.
/// </summary>
public sealed class RescaledAddTables
{
    private readonly int[] _a;
    private readonly int[] _b;
    private readonly byte[] _residuals = new byte[512];

    private RescaledAddTables(bool aSigned, int[] a, bool bSigned, int[] b)
    {
        ASigned = aSigned;
        BSigned = bSigned;
        _a = a;
        _b = b;
        bool aSplits = RescaledAdd.TrySplit(a, out int aStep, _residuals.AsSpan(0, 256));
        bool bSplits = RescaledAdd.TrySplit(b, out int bStep, _residuals.AsSpan(256, 256));
        Splits = aSplits && bSplits;
        AStep = aStep;
        BStep = bStep;
    }

    /// <summary>The tables of operands a and b (each: int8 when signed, else uint8) with their zero points and rescaling.</summary>
    public static RescaledAddTables Create(bool aSigned, int aZeroPoint, int aMultiplier, int aShift,
        bool bSigned, int bZeroPoint, int bMultiplier, int bShift, int leftShift)
    {
        if (leftShift < 0 || leftShift > 30) throw new ArgumentOutOfRangeException(nameof(leftShift), leftShift, "RescaledAddTables: left_shift outside [0, 30]");
        return new RescaledAddTables(aSigned, Table(aSigned, aZeroPoint, leftShift, aMultiplier, aShift), bSigned, Table(bSigned, bZeroPoint, leftShift, bMultiplier, bShift));
    }

    /// <summary>One operand's table (see the class summary).</summary>
    public static int[] Table(bool signed, int zeroPoint, int leftShift, int multiplier, int shift)
    {
        var table = new int[256];
        for (int k = 0; k < 256; k++)
        {
            int value = signed ? k - 128 : k;
            table[k] = FixedPoint.MultiplyByFixedPoint(unchecked((value - zeroPoint) << leftShift), multiplier, shift);
        }
        return table;
    }

    /// <summary>True when operand a is int8 (false: uint8).</summary>
    public bool ASigned { get; }

    /// <summary>True when operand b is int8 (false: uint8).</summary>
    public bool BSigned { get; }

    /// <summary>Operand a's 256 rescaled values.</summary>
    public ReadOnlySpan<int> A => _a;

    /// <summary>Operand b's 256 rescaled values.</summary>
    public ReadOnlySpan<int> B => _b;

    /// <summary>True when both tables split into a linear part and byte residuals.</summary>
    internal bool Splits { get; }

    internal int AStep { get; }

    internal int BStep { get; }

    /// <summary>a's residuals, then b's (256 each), when <see cref="Splits"/>.</summary>
    internal ReadOnlySpan<byte> Residuals => _residuals;
}
