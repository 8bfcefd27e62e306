namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>ONNX GlobalMaxPool: the largest of each channel's spatial values.</summary>
public sealed class GlobalMaxPool : GlobalPooling
{
    public override string OpType => "GlobalMaxPool";

    protected override float Reduce(ReadOnlySpan<float> plane)
    {
        float best = float.NegativeInfinity;
        foreach (var v in plane) if (v > best) best = v;
        return best;
    }
}
