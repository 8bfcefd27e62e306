namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>ONNX Softmax: <c>exp(x) / sum(exp(x))</c> over each group (see <see cref="SoftmaxFamily"/> for the grouping by version).</summary>
public sealed class Softmax : SoftmaxFamily
{
    public override string OpType => "Softmax";

    protected override float Output(float shifted, double sumOfExponentials) =>
        (float)(Math.Exp(shifted) / sumOfExponentials);
}
