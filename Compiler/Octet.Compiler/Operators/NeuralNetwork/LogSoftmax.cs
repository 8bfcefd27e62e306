namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>ONNX LogSoftmax: <c>x - log(sum(exp(x)))</c> over each group (see <see cref="SoftmaxFamily"/> for the grouping by version).</summary>
public sealed class LogSoftmax : SoftmaxFamily
{
    public override string OpType => "LogSoftmax";

    protected override float Output(float shifted, double sumOfExponentials) =>
        (float)(shifted - Math.Log(sumOfExponentials));
}
