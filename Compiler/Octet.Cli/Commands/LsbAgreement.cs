using Octet.Compiler.Graph;

namespace Octet.Cli.Commands;

/// <summary>
/// Agreement of two dequantized int8 outputs in units of their quantization step: both sides are
/// (q − zp) · step, so |a − b| / step is the integer difference of the underlying int8 values.
/// </summary>
public sealed record LsbAgreement(float Step, double FractionExact, double FractionWithin1, long MaxLsb)
{
    public static LsbAgreement Measure(Tensor actual, Tensor reference, float step)
    {
        long n = reference.ElementCount, exact = 0, within1 = 0, max = 0;
        for (long i = 0; i < n; i++)
        {
            long d = (long)Math.Round(Math.Abs(actual.GetAsDouble(i) - reference.GetAsDouble(i)) / step);
            if (d == 0) exact++;
            if (d <= 1) within1++;
            max = Math.Max(max, d);
        }
        return new LsbAgreement(step, n == 0 ? 1 : (double)exact / n, n == 0 ? 1 : (double)within1 / n, max);
    }
}
