using Octet.Compiler.Graph;

namespace Octet.Compiler.Verification;

/// <summary>
/// How closely one output agrees with a reference output: the figures <c>octet verify</c> reports.
/// </summary>
/// <param name="MaxAbsDiff">max |actual − reference|.</param>
/// <param name="MaxRelDiff">max |actual − reference| / |reference| over elements with a non-zero reference.</param>
/// <param name="ReferenceRange">max |reference|: the scale that absolute differences are judged against.</param>
/// <param name="CosineSimilarity">of the two tensors as vectors (1 when both are all zero).</param>
/// <param name="FractionBitExact">elements whose bits are identical.</param>
/// <param name="ArgmaxAgreement">fraction of positions (all axes but the last) whose argmax over the last axis agrees
/// (trailing axes of size 1 are ignored, so [1,1000,1,1] is judged over its 1000 classes).</param>
/// <param name="Top5Agreement">fraction of those positions whose five largest entries are the same, in the same order.</param>
/// <param name="WithinTolerance">every element satisfies the <see cref="Tolerance"/>.</param>
public sealed record TensorAgreement(
    string Name, long Elements, double MaxAbsDiff, double MaxRelDiff, double ReferenceRange, double CosineSimilarity,
    double FractionBitExact, double ArgmaxAgreement, bool WithinTolerance, double Top5Agreement = 1)
{
    public static TensorAgreement Measure(string name, Tensor actual, Tensor reference, Tolerance tolerance)
    {
        if (actual.Shape != reference.Shape || actual.ElementType != reference.ElementType)
            return new TensorAgreement(name, reference.ElementCount, double.PositiveInfinity, double.PositiveInfinity,
                0, 0, 0, 0, false, 0);

        long n = reference.ElementCount;
        double range = 0;
        for (long i = 0; i < n; i++) range = Math.Max(range, Math.Abs(reference.GetAsDouble(i)));
        double atol = tolerance.AbsoluteFloor + tolerance.RangeRelative * range;

        double maxAbs = 0, maxRel = 0, dot = 0, normA = 0, normR = 0;
        long exact = 0;
        bool within = true;
        for (long i = 0; i < n; i++)
        {
            double a = actual.GetAsDouble(i), r = reference.GetAsDouble(i);
            if (BitsEqual(actual, reference, i)) exact++;
            double diff = double.IsNaN(a) && double.IsNaN(r) ? 0 : a == r ? 0 : Math.Abs(a - r);
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, diff);
            if (r != 0) maxRel = Math.Max(maxRel, diff / Math.Abs(r));
            if (!(diff <= atol + tolerance.Relative * Math.Abs(r))) within = false;
            dot += a * r; normA += a * a; normR += r * r;
        }
        double cosine = normA == 0 && normR == 0 ? 1 : dot / Math.Sqrt(normA * normR);
        return new TensorAgreement(name, n, maxAbs, maxRel, range, cosine, n == 0 ? 1 : (double)exact / n,
            TopKAgreementOverLastAxis(actual, reference, 1), within, TopKAgreementOverLastAxis(actual, reference, 5));
    }

    private static bool BitsEqual(Tensor a, Tensor b, long i) => a.Data switch
    {
        float[] fa => BitConverter.SingleToInt32Bits(fa[i]) == BitConverter.SingleToInt32Bits(((float[])b.Data)[i]),
        _ => a.GetAsDouble(i) == b.GetAsDouble(i),
    };

    /// <summary>
    /// Fraction of rows (all axes but the class axis — the last axis of size above 1) whose <paramref name="k"/>
    /// largest entries agree in order; ties take the lower index.
    /// </summary>
    public static double TopKAgreementOverLastAxis(Tensor actual, Tensor reference, int k)
    {
        var dims = reference.Shape.ToArray();
        int classAxis = dims.Length - 1;
        while (classAxis > 0 && dims[classAxis] == 1) classAxis--;
        int classes = dims.Length == 0 ? 1 : dims[classAxis];
        if (classes == 0) return 1;
        int inner = 1;
        for (int d = classAxis + 1; d < dims.Length; d++) inner *= dims[d];
        long rows = reference.ElementCount / classes;
        if (rows == 0) return 1;
        k = Math.Min(k, classes);
        long agree = 0;
        for (long row = 0; row < rows; row++)
        {
            long start = row / inner * classes * inner + row % inner;
            if (Top(actual, start, classes, inner, k).SequenceEqual(Top(reference, start, classes, inner, k))) agree++;
        }
        return (double)agree / rows;
    }

    private static int[] Top(Tensor t, long start, int count, int stride, int k) =>
        Enumerable.Range(0, count)
            .OrderByDescending(c => t.GetAsDouble(start + (long)c * stride))
            .ThenBy(c => c)
            .Take(k)
            .ToArray();
}

/// <summary>
/// Per element: |actual − reference| ≤ <see cref="AbsoluteFloor"/> + <see cref="RangeRelative"/>·max|reference|
/// + <see cref="Relative"/>·|reference|. The range term is there because float32 accumulation in a different
/// order (ONNX Runtime's blocked kernels vs Octet's) perturbs each result by a few units in the last place of
/// the largest partial sums, which scale with the tensor's magnitude rather than with each element.
/// </summary>
public sealed record Tolerance(double Relative, double RangeRelative, double AbsoluteFloor)
{
    /// <summary>Float32 plans against a float32 reference.</summary>
    public static Tolerance Float32 { get; } = new(1e-3, 1e-4, 1e-6);

    public override string ToString() =>
        $"|octet - ref| <= {AbsoluteFloor:G3} + {RangeRelative:G3}*max|ref| + {Relative:G3}*|ref|";
}
