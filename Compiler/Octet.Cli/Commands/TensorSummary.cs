using System.Globalization;
using Octet.Compiler.Graph;

namespace Octet.Cli.Commands;

/// <summary>One line about a tensor's values: range, mean, argmax and the first few values.</summary>
internal static class TensorSummary
{
    public static string Describe(string name, Tensor value)
    {
        long n = value.ElementCount;
        if (n == 0) return $"{name}: {value} (empty)";
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        long argmax = 0;
        for (long i = 0; i < n; i++)
        {
            double v = value.GetAsDouble(i);
            if (v < min) min = v;
            if (v > max) { max = v; argmax = i; }
            sum += v;
        }
        var first = string.Join(", ", Enumerable.Range(0, (int)Math.Min(n, 6)).Select(i => Format(value.GetAsDouble(i))));
        return $"{name}: {value}  min {Format(min)}  max {Format(max)}  mean {Format(sum / n)}  argmax {argmax}  [{first}{(n > 6 ? ", …" : "")}]";
    }

    public static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
