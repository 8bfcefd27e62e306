using Octet.Compiler.Graph;
using Octet.Compiler.Quantization;
using Xunit.Abstractions;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>
/// The float definitions the integer transformer operators are measured against — dequantize, the real
/// function in double precision, quantize (round half to even, saturate) — and error bookkeeping per case.
/// </summary>
internal static class TransformerReference
{
    /// <summary>
    /// erf in double precision: the Maclaurin series for |z| ≤ 3 (terms stay below e^9, so cancellation costs
    /// under 1e−12), the asymptotic series of erfc beyond (truncation error below 1e−8 at z = 3, smaller further).
    /// </summary>
    public static double Erf(double z)
    {
        double a = Math.Abs(z);
        double result;
        if (a <= 3)
        {
            double sum = 0, term = a; // term_n = (−1)^n a^(2n+1) / n!
            for (int n = 0; n < 200; n++)
            {
                double contribution = term / (2 * n + 1);
                sum += contribution;
                if (Math.Abs(contribution) < 1e-17) break;
                term *= -a * a / (n + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double inverse = 1 / (2 * a * a), series = 1, term = 1;
            for (int n = 1; n <= 5; n++) { term *= -(2 * n - 1) * inverse; series += term; }
            result = 1 - Math.Exp(-a * a) / (a * Math.Sqrt(Math.PI)) * series;
        }
        return z < 0 ? -result : result;
    }

    public static double Gelu(double x) => x * 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    public static int Quantize(double real, double scale, int zeroPoint, ElementType type)
    {
        var (min, max) = IntegerHarness.Range(type);
        return (int)Math.Clamp(Math.Round(real / scale, MidpointRounding.ToEven) + zeroPoint, min, max);
    }

    public static QuantizationParameters Parameters(ElementType type, float scale, int zeroPoint) =>
        QuantizationParameters.PerTensor(type, scale, zeroPoint);
}

/// <summary>Errors of one operator configuration, logged as a line of the test output.</summary>
internal sealed class ErrorLog(ITestOutputHelper output)
{
    private readonly List<(string Case, LsbErrors Errors)> _cases = [];

    public LsbErrors For(string name)
    {
        var errors = new LsbErrors();
        _cases.Add((name, errors));
        return errors;
    }

    public int Max => _cases.Count == 0 ? 0 : _cases.Max(c => c.Errors.Max);

    public void Write(string title)
    {
        output.WriteLine($"{title}: max {Max} LSB over {_cases.Sum(c => c.Errors.Count)} outputs");
        foreach (var (name, errors) in _cases) output.WriteLine($"  {name}: {errors}");
    }
}
