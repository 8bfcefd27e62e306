namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// The Gauss error function in double precision (.NET has none). Relative error well below float32's
/// resolution over the whole real line, which is all a float32 reference kernel needs.
/// </summary>
internal static class ErrorFunction
{
    private static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI);

    /// <summary>erf(x).</summary>
    public static double Erf(double x) => Math.Abs(x) < SeriesLimit ? Series(x) : Math.CopySign(1 - Tail(Math.Abs(x)), x);

    /// <summary>erfc(x) = 1 - erf(x), accurate also where it is tiny (large positive x).</summary>
    public static double Complement(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (Math.Abs(x) < SeriesLimit) return 1 - Series(x);
        return x > 0 ? Tail(x) : 2 - Tail(-x);
    }

    // Below this the Maclaurin series converges fast and loses at most a few bits to cancellation
    // (its largest term is under 100); above it the continued fraction converges fast.
    private const double SeriesLimit = 2.5;

    /// <summary>erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)).</summary>
    private static double Series(double x)
    {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 100; n++)
        {
            term *= -x2 / n;
            double contribution = term / (2 * n + 1);
            sum += contribution;
            if (Math.Abs(contribution) < 1e-17 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * sum;
    }

    /// <summary>
    /// erfc(x) for x >= <see cref="SeriesLimit"/> from Laplace's continued fraction
    /// erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from the tail.
    /// </summary>
    private static double Tail(double x)
    {
        if (x > 27) return 0; // below the smallest double
        double fraction = x;
        for (int n = 120; n >= 1; n--) fraction = x + n / 2.0 / fraction;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }
}
