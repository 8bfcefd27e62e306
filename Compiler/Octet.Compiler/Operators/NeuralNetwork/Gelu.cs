using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX Gelu: <c>0.5 x (1 + erf(x / sqrt 2))</c>, or with <c>approximate="tanh"</c>
/// <c>0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))</c>. Evaluated in double precision.
/// </summary>
public sealed class Gelu : OperatorDefinition
{
    public override string OpType => "Gelu";
    public override IReadOnlyList<int> SinceVersions { get; } = [20];

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32);
        ReadTanhApproximation(context.Node);
        context.SetOutput(0, ElementType.Float32, context.InputShape(0));
    }

    private static bool ReadTanhApproximation(Node node) => node.GetString("approximate", "none") switch
    {
        "none" => false,
        "tanh" => true,
        var other => throw Diagnostics.OctetException.AtNode(node, $"approximate=\"{other}\"; expected \"none\" or \"tanh\""),
    };

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.As<float>();
        bool tanh = ReadTanhApproximation(context.Node);
        var y = new float[x.Length];
        double sqrtTwoOverPi = Math.Sqrt(2 / Math.PI);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double gate = tanh
                ? 1 + Math.Tanh(sqrtTwoOverPi * (v + 0.044715 * v * v * v))
                // 1 + erf(t) = erfc(-t), which stays accurate where 1 + erf(t) is tiny (large negative x).
                : ErrorFunction.Complement(-v / Math.Sqrt(2));
            y[i] = (float)(0.5 * v * gate);
        }
        context.SetOutput(0, Tensor.Create(xTensor.Shape, y));
    }
}
