namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// A histogram of equal-width bins over a fixed range [<see cref="Low"/>, <see cref="High"/>]. Values
/// outside the range are counted in the first or last bin (the calibration passes fix the range from the
/// observed minimum and maximum before any value is binned, so none should be). Values exactly 0 are also
/// counted separately in <see cref="Zeros"/>: 0 is exactly representable by every range the calibration
/// methods choose, so the methods that measure quantization error leave those values out.
/// </summary>
public sealed class Histogram
{
    private readonly double _binsPerUnit;

    public Histogram(double low, double high, int binCount)
    {
        if (binCount < 1) throw new ArgumentOutOfRangeException(nameof(binCount), binCount, "a histogram needs at least one bin");
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high) throw new ArgumentException($"invalid histogram range [{low}, {high}]");
        Low = low;
        High = high;
        Counts = new long[binCount];
        // A zero-width range puts everything in bin 0.
        _binsPerUnit = high > low ? binCount / (high - low) : 0;
    }

    public double Low { get; }
    public double High { get; }
    public long[] Counts { get; }
    public int BinCount => Counts.Length;
    public long Total { get; private set; }
    public long Zeros { get; private set; }
    public double BinWidth => (High - Low) / BinCount;

    /// <summary>The lower edge of bin <paramref name="index"/>; <c>Edge(BinCount)</c> is <see cref="High"/>.</summary>
    public double Edge(int index) => index == BinCount ? High : Low + (High - Low) * index / BinCount;

    public double Center(int index) => (Edge(index) + Edge(index + 1)) / 2;

    /// <summary>The bin <paramref name="value"/> falls in (clamped to the first and last bin).</summary>
    public int BinOf(double value)
    {
        double position = (value - Low) * _binsPerUnit;
        if (!(position > 0)) return 0;
        return position >= BinCount ? BinCount - 1 : (int)position;
    }

    /// <summary>Counts the values.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        var counts = Counts;
        int last = counts.Length - 1;
        long zeros = 0;
        foreach (float v in values)
        {
            if (v == 0) zeros++;
            double position = (v - Low) * _binsPerUnit;
            int bin = position > 0 ? (position >= last ? last : (int)position) : 0;
            counts[bin]++;
        }
        Total += values.Length;
        Zeros += zeros;
    }

    /// <summary>Counts the absolute values |v| (for histograms over [0, max |v|]).</summary>
    public void AddAbsolute(ReadOnlySpan<float> values)
    {
        var counts = Counts;
        int last = counts.Length - 1;
        long zeros = 0;
        foreach (float v in values)
        {
            if (v == 0) zeros++;
            double position = (Math.Abs(v) - Low) * _binsPerUnit;
            int bin = position > 0 ? (position >= last ? last : (int)position) : 0;
            counts[bin]++;
        }
        Total += values.Length;
        Zeros += zeros;
    }
}
