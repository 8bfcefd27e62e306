using Octet.Compiler.Graph;

namespace Octet.Tests.TestSupport;

/// <summary>
/// Compares an actual tensor with an expected one: integer and bool tensors bit for bit, float tensors
/// element-wise within <c>|a − e| ≤ atol + rtol·|e|</c> (NaN matches NaN, infinities must be equal).
/// Returns null on agreement, else a description of the first mismatches.
/// </summary>
public static class TensorComparison
{
    public static string? Compare(Tensor expected, Tensor actual, double rtol, double atol)
    {
        if (expected.ElementType != actual.ElementType)
            return $"element type {actual.ElementType.OnnxName()}, expected {expected.ElementType.OnnxName()}";
        if (expected.Shape != actual.Shape)
            return $"shape {actual.Shape}, expected {expected.Shape}";

        var problems = new List<string>();
        int mismatches = 0;
        for (long i = 0; i < expected.ElementCount; i++)
        {
            double e = expected.GetAsDouble(i), a = actual.GetAsDouble(i);
            bool ok = expected.ElementType == ElementType.Float32
                ? (double.IsNaN(e) && double.IsNaN(a)) || e == a || Math.Abs(a - e) <= atol + rtol * Math.Abs(e)
                : e == a;
            if (ok) continue;
            if (++mismatches <= 5) problems.Add($"[{i}] {a} vs expected {e}");
        }
        return mismatches == 0 ? null : $"{mismatches} of {expected.ElementCount} elements differ: {string.Join("; ", problems)}";
    }
}
