using System.Numerics;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Calibration;

/// <summary>
/// Collects statistics of the activation tensors while the float reference executor runs calibration
/// samples: every float tensor a node produces, and the float graph inputs; never constants. Pass
/// <see cref="Observe"/> as the executor's observer (and call it for the graph inputs yourself: the
/// executor only reports node outputs).
/// <para>
/// Histograms are made in a second pass over the same samples (<see cref="StartHistogramPass"/>): the first
/// pass finds each tensor's minimum and maximum, the second bins the values into
/// <see cref="HistogramBins"/> bins over exactly that range. Two passes cost a second run of the executor
/// but make each histogram independent of the order of the samples and give every tensor its full 2048
/// bins, where a histogram that grows as larger values arrive (ONNX Runtime appends bins of the first
/// batch's width) ends with a bin count and resolution that depend on which sample came first.
/// </para>
/// </summary>
public sealed class ActivationObserver
{
    public const int HistogramBins = 2048;

    private readonly Dictionary<string, TensorStatistics> _statistics;

    /// <summary>Observes the activations of <paramref name="graph"/>: float graph inputs and float node outputs.</summary>
    public ActivationObserver(ModelGraph graph) : this(ActivationTensors(graph)) { }

    public ActivationObserver(IEnumerable<string> tensors)
    {
        _statistics = new Dictionary<string, TensorStatistics>(StringComparer.Ordinal);
        foreach (var name in tensors) _statistics.TryAdd(name, new TensorStatistics(name));
    }

    /// <summary>The tensors calibration gives ranges to, in graph order: float graph inputs, then float node outputs.</summary>
    public static List<string> ActivationTensors(ModelGraph graph)
    {
        var result = new List<string>();
        bool IsActivation(string name) =>
            name.Length > 0 && graph.Tensors.TryGetValue(name, out var info) && info.ElementType == ElementType.Float32 && !info.IsConstant;
        result.AddRange(graph.Inputs.Where(IsActivation));
        foreach (var node in graph.Nodes) result.AddRange(node.Outputs.Where(IsActivation));
        return result.Distinct(StringComparer.Ordinal).ToList();
    }

    public IReadOnlyDictionary<string, TensorStatistics> Statistics => _statistics;

    /// <summary>True once <see cref="StartHistogramPass"/> has been called.</summary>
    public bool InHistogramPass { get; private set; }

    /// <summary>Records one value of a tensor; tensors that are not activations are ignored.</summary>
    public void Observe(string name, Tensor value)
    {
        if (!_statistics.TryGetValue(name, out var statistics) || value.ElementType != ElementType.Float32) return;
        var values = value.As<float>().AsSpan();
        if (InHistogramPass)
        {
            if (statistics.HasValues) statistics.AddToHistograms(values);
            return;
        }
        if (values.Length == 0) return;
        var (min, max, finite) = Scan(values);
        if (!finite) throw OctetException.AtTensor(name, "holds NaN or infinite values; calibration needs finite activations");
        statistics.AddRange(min, max, values.Length);
    }

    /// <summary>
    /// Fixes every tensor's histogram range from the minimum and maximum seen so far; from now on
    /// <see cref="Observe"/> fills histograms. Feed it the same samples again.
    /// </summary>
    public void StartHistogramPass()
    {
        if (InHistogramPass) throw new InvalidOperationException("the histogram pass has already started");
        var empty = _statistics.Values.Where(s => !s.HasValues).Select(s => s.Name).ToList();
        if (empty.Count > 0)
            throw new OctetException($"no values were observed for {string.Join(", ", empty.Select(n => $"'{n}'"))}; nothing to make a histogram of");
        foreach (var statistics in _statistics.Values) statistics.StartHistograms(HistogramBins);
        InHistogramPass = true;
    }

    /// <summary>Minimum, maximum, and whether every value is finite (x − x is 0 for finite x, NaN otherwise).</summary>
    private static (float Min, float Max, bool Finite) Scan(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity, probe = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= 2 * Vector<float>.Count)
        {
            var vmin = new Vector<float>(float.PositiveInfinity);
            var vmax = new Vector<float>(float.NegativeInfinity);
            var vprobe = Vector<float>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values[i..]);
                vmin = Vector.Min(vmin, v);
                vmax = Vector.Max(vmax, v);
                vprobe += v - v;
            }
            for (int k = 0; k < Vector<float>.Count; k++)
            {
                min = MathF.Min(min, vmin[k]);
                max = MathF.Max(max, vmax[k]);
                probe += vprobe[k];
            }
        }
        for (; i < values.Length; i++)
        {
            float v = values[i];
            if (v < min) min = v;
            if (v > max) max = v;
            probe += v - v;
        }
        return (min, max, probe == 0);
    }
}
