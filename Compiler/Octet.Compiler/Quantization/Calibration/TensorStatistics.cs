namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// What calibration has seen of one activation tensor: its minimum and maximum over every element of every
/// sample, and (after the histogram pass) a histogram of its values over [<see cref="Min"/>, <see cref="Max"/>]
/// and one of its absolute values over [0, <see cref="AbsMax"/>].
/// </summary>
public sealed class TensorStatistics
{
    public TensorStatistics(string name) => Name = name;

    public string Name { get; }
    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;
    /// <summary>Elements seen in the range pass.</summary>
    public long Count { get; private set; }
    public bool HasValues => Count > 0;
    public float AbsMax => MathF.Max(MathF.Abs(Min), MathF.Abs(Max));

    /// <summary>Values over [Min, Max], for the percentile (asymmetric) and MSE methods.</summary>
    public Histogram? Signed { get; private set; }
    /// <summary>|values| over [0, AbsMax], for the percentile (symmetric) and entropy methods.</summary>
    public Histogram? Absolute { get; private set; }

    /// <summary>Folds a range seen elsewhere (a minimum and maximum over <paramref name="count"/> values) into this one.</summary>
    public void AddRange(float min, float max, long count)
    {
        Min = MathF.Min(Min, min);
        Max = MathF.Max(Max, max);
        Count += count;
    }

    internal void StartHistograms(int bins)
    {
        if (!HasValues) throw new InvalidOperationException($"tensor '{Name}' has no values to make a histogram of");
        Signed = new Histogram(Min, Max, bins);
        Absolute = new Histogram(0, AbsMax, bins);
    }

    internal void AddToHistograms(ReadOnlySpan<float> values)
    {
        Signed!.Add(values);
        Absolute!.AddAbsolute(values);
    }
}
