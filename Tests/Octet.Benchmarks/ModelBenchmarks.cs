using BenchmarkDotNet.Attributes;

namespace Octet.Benchmarks;

/// <summary>
/// Whole generated models, one Run each (batch 1, single-threaded, zero allocation — the memory diagnoser
/// shows it): mnist-8 and squeezenet1.0, float32 plans and the int8 (integer-only) plans of the committed
/// configs. Inputs are fixed-seed random values in [0, 1); the work a model does does not depend on them.
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarks
{
    private readonly Mnist8Float mnistFloat = new();
    private readonly Mnist8Int8 mnistInt8 = new();
    private readonly SqueezeNetFloat squeezeNetFloat = new();
    private readonly SqueezeNetInt8 squeezeNetInt8 = new();
    private readonly float[] mnistInput = RandomInput(Mnist8Float.InputLength);
    private readonly float[] mnistOutput = new float[Mnist8Float.OutputLength];
    private readonly float[] squeezeNetInput = RandomInput(SqueezeNetFloat.InputLength);
    private readonly float[] squeezeNetOutput = new float[SqueezeNetFloat.OutputLength];

    [Benchmark]
    public void Mnist8_Float() => mnistFloat.Run(mnistInput, mnistOutput);

    [Benchmark]
    public void Mnist8_Int8() => mnistInt8.Run(mnistInput, mnistOutput);

    [Benchmark]
    public void SqueezeNet_Float() => squeezeNetFloat.Run(squeezeNetInput, squeezeNetOutput);

    [Benchmark]
    public void SqueezeNet_Int8() => squeezeNetInt8.Run(squeezeNetInput, squeezeNetOutput);

    private static float[] RandomInput(int length)
    {
        var random = new Random(20261122);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle();
        return values;
    }
}
