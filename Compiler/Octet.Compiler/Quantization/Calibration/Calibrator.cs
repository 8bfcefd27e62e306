using System.Collections.Immutable;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Reference;

namespace Octet.Compiler.Quantization.Calibration;

/// <summary>What to calibrate with: the method, its parameters, and the activation type the ranges are for.</summary>
public sealed record CalibrationOptions
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;
    public double Percentile { get; init; } = ActivationSettings.DefaultPercentile;
    public double BnK { get; init; } = ActivationSettings.DefaultBnK;
    public ElementType ActivationType { get; init; } = ElementType.Int8;
    public bool SymmetricActivations { get; init; }
}

/// <summary>Progress of a calibration run: sample <see cref="Done"/> of <see cref="Total"/> in pass <see cref="Pass"/> of <see cref="Passes"/>.</summary>
public readonly record struct CalibrationProgress(int Pass, int Passes, int Done, int Total);

/// <summary>
/// One activation's calibration: the range the method was given (the observed minimum and maximum, or the
/// BatchNormalization-derived range), the range it chose, and the quantization parameters of that range.
/// </summary>
public sealed record TensorCalibration(string Name, float ObservedMin, float ObservedMax, float Min, float Max,
    QuantizationParameters Parameters, bool FromBatchNorm);

/// <summary>The calibration of every activation of a model, in graph order.</summary>
public sealed record CalibrationResult(CalibrationOptions Options, int Samples, IReadOnlyList<TensorCalibration> Tensors)
{
    /// <summary>
    /// A config holding every activation's observed range (min, max) and chosen scale and zero point (which
    /// win when lowering reads it), with the given weight settings and numerics mode.
    /// </summary>
    public QuantizationConfig ToConfig(WeightSettings? weights = null, NumericsMode numerics = NumericsMode.IntegerOnly,
        string? data = null, double? inputScale = null)
    {
        var tensors = ImmutableSortedDictionary.CreateBuilder<string, TensorSettings>(StringComparer.Ordinal);
        foreach (var t in Tensors)
            tensors[t.Name] = new TensorSettings { Min = t.ObservedMin, Max = t.ObservedMax, Scale = t.Parameters.Scale, ZeroPoint = t.Parameters.ZeroPoint };
        return new QuantizationConfig
        {
            Numerics = numerics,
            Weights = weights ?? new WeightSettings(),
            Activations = new ActivationSettings
            {
                Type = Options.ActivationType,
                Symmetric = Options.SymmetricActivations,
                Method = Options.Method,
                Percentile = Options.Percentile,
                BnK = Options.BnK,
            },
            Tensors = tensors.ToImmutable(),
            Calibration = new CalibrationRecord { Method = Options.Method, Samples = Samples, Data = data, InputScale = inputScale },
        };
    }
}

/// <summary>
/// Calibration: runs the float reference executor over the samples, observing every activation
/// (<see cref="ActivationObserver"/>), chooses each activation's range with the configured method, and
/// gives it scale and zero point with <see cref="QuantizationMath.FromRange"/>.
/// <list type="bullet">
/// <item><c>minmax</c>: one pass; the observed range.</item>
/// <item><c>percentile</c>, <c>entropy</c>, <c>mse</c>: two passes over the same samples — ranges, then
/// 2048-bin histograms over exactly those ranges (see <see cref="ActivationObserver"/>).</item>
/// <item><c>bn-stats</c>: the ranges <see cref="BatchNormRanges"/> derives without data; the remaining
/// activations get their observed range (one pass) when samples are given, and are reported by name when
/// they are not.</item>
/// </list>
/// </summary>
public static class Calibrator
{
    public static CalibrationResult Run(ModelGraph graph, CalibrationSamples? samples, CalibrationOptions options,
        Action<CalibrationProgress>? progress = null)
    {
        if (options.ActivationType is not (ElementType.Int8 or ElementType.UInt8))
            throw new OctetException($"activations are quantized to int8 or uint8, not {options.ActivationType.OnnxName()}");
        if (options.Method == CalibrationMethod.Percentile && !(options.Percentile > 0 && options.Percentile <= 100))
            throw new OctetException($"the percentile must be greater than 0 and at most 100, got {options.Percentile}");
        if (options.Method == CalibrationMethod.BnStats && !(options.BnK > 0 && double.IsFinite(options.BnK)))
            throw new OctetException($"k for bn-stats must be positive, got {options.BnK}");

        var activations = ActivationObserver.ActivationTensors(graph);
        var batchNorm = options.Method == CalibrationMethod.BnStats
            ? BatchNormRanges.Compute(graph, options.BnK)
            : new Dictionary<string, (float Min, float Max)>();

        bool needsData = activations.Any(a => !batchNorm.ContainsKey(a));
        if (needsData && (samples is null || samples.Count == 0))
        {
            var missing = activations.Where(a => !batchNorm.ContainsKey(a)).ToList();
            throw new OctetException(options.Method == CalibrationMethod.BnStats
                ? $"bn-stats derives ranges only for Conv → BatchNormalization (→ Relu) tensors; these {missing.Count} activations need calibration data: {string.Join(", ", missing)}"
                : $"calibration method {options.Method.Name()} needs calibration samples, and none were given");
        }

        var observer = new ActivationObserver(activations.Where(a => !batchNorm.ContainsKey(a)));
        int sampleCount = 0;
        if (needsData)
        {
            bool histograms = options.Method is CalibrationMethod.Percentile or CalibrationMethod.Entropy or CalibrationMethod.Mse;
            int passes = histograms ? 2 : 1;
            var executor = new ReferenceExecutor(graph);
            sampleCount = samples!.Count;
            RunPass(executor, graph, samples, observer, 1, passes, progress);
            if (histograms)
            {
                observer.StartHistogramPass();
                RunPass(executor, graph, samples, observer, 2, passes, progress);
            }
        }

        var results = new List<TensorCalibration>();
        foreach (var name in activations)
        {
            float observedMin, observedMax, min, max;
            bool fromBatchNorm = batchNorm.TryGetValue(name, out var bnRange);
            if (fromBatchNorm)
            {
                (observedMin, observedMax) = bnRange;
                (min, max) = bnRange;
            }
            else
            {
                var statistics = observer.Statistics[name];
                if (!statistics.HasValues) throw OctetException.AtTensor(name, "was never computed while calibrating (no values observed)");
                (observedMin, observedMax) = (statistics.Min, statistics.Max);
                (min, max) = options.Method switch
                {
                    CalibrationMethod.Percentile => PercentileCalibration.Range(statistics, options.Percentile, options.SymmetricActivations),
                    CalibrationMethod.Entropy => EntropyCalibration.Range(statistics),
                    CalibrationMethod.Mse => MseCalibration.Range(statistics, options.ActivationType, options.SymmetricActivations),
                    _ => (statistics.Min, statistics.Max),
                };
            }
            var parameters = QuantizationMath.FromRange(min, max, options.ActivationType, options.SymmetricActivations);
            results.Add(new TensorCalibration(name, observedMin, observedMax, min, max, parameters, fromBatchNorm));
        }
        return new CalibrationResult(options, sampleCount, results);
    }

    private static void RunPass(ReferenceExecutor executor, ModelGraph graph, CalibrationSamples samples, ActivationObserver observer,
        int pass, int passes, Action<CalibrationProgress>? progress)
    {
        for (int i = 0; i < samples.Count; i++)
        {
            var inputs = samples.Get(i);
            try
            {
                // The executor reports node outputs; graph inputs are activations too.
                foreach (var input in graph.Inputs)
                    if (inputs.TryGetValue(input, out var value)) observer.Observe(input, value);
                executor.Run(inputs, observer.Observe);
            }
            catch (OctetException e)
            {
                throw new OctetException($"calibration sample {i}: {e.Message}", e);
            }
            progress?.Invoke(new CalibrationProgress(pass, passes, i + 1, samples.Count));
        }
    }
}
