namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>ONNX GlobalAveragePool: the mean of each channel's spatial values.</summary>
public sealed class GlobalAveragePool : GlobalPooling
{
    public override string OpType => "GlobalAveragePool";

    protected override float Reduce(ReadOnlySpan<float> plane)
    {
        double sum = 0;
        foreach (var v in plane) sum += v;
        return (float)(sum / plane.Length);
    }
}
