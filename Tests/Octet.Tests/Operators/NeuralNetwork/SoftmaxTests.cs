using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class SoftmaxTests
{
    private static readonly float Ln3 = MathF.Log(3);
    // Shape [1, 2, 2]: rows [0, ln 3] and [0, 0]; exponentials [1, 3] and [1, 1].
    private static readonly Compiler.Graph.Tensor X = F([1, 2, 2], 0, Ln3, 0, 0);

    [Fact]
    public void Version_13_normalizes_along_the_single_axis_default_last()
    {
        AssertClose([0.25f, 0.75f, 0.5f, 0.5f], RunFloat(new Softmax(), Node("Softmax", 13, 1, 1), X));
    }

    [Fact]
    public void Version_13_with_axis_1_normalizes_columns()
    {
        // Columns: [0, 0] -> 0.5 each; [ln 3, 0] -> 0.75, 0.25.
        AssertClose([0.5f, 0.75f, 0.5f, 0.25f], RunFloat(new Softmax(), Node("Softmax", 13, 1, 1, Int("axis", 1)), X));
    }

    [Fact]
    public void Versions_before_13_flatten_from_the_axis_default_1()
    {
        // All four elements form one group: exponentials [1, 3, 1, 1] over 6.
        AssertClose([1 / 6f, 0.5f, 1 / 6f, 1 / 6f], RunFloat(new Softmax(), Node("Softmax", 11, 1, 1), X));
        AssertClose([1 / 6f, 0.5f, 1 / 6f, 1 / 6f], RunFloat(new Softmax(), Node("Softmax", 1, 1, 1), X));
        // Flattening at the last axis is the same as version 13's single axis.
        AssertClose([0.25f, 0.75f, 0.5f, 0.5f], RunFloat(new Softmax(), Node("Softmax", 11, 1, 1, Int("axis", -1)), X));
    }

    [Fact]
    public void Log_softmax_by_version()
    {
        AssertClose([MathF.Log(0.25f), MathF.Log(0.75f), MathF.Log(0.5f), MathF.Log(0.5f)], RunFloat(new LogSoftmax(), Node("LogSoftmax", 13, 1, 1), X));
        AssertClose([-MathF.Log(6), Ln3 - MathF.Log(6), -MathF.Log(6), -MathF.Log(6)], RunFloat(new LogSoftmax(), Node("LogSoftmax", 11, 1, 1), X));
    }

    [Fact]
    public void Large_inputs_do_not_overflow()
    {
        AssertClose([0.5f, 0.5f], RunFloat(new Softmax(), Node("Softmax", 13, 1, 1), F([2], 10000, 10000)));
        AssertClose([-MathF.Log(2), -MathF.Log(2)], RunFloat(new LogSoftmax(), Node("LogSoftmax", 13, 1, 1), F([2], -10000, -10000)));
    }

    [Fact]
    public void Bad_axis_is_rejected_naming_the_node()
    {
        AssertRejected(new Softmax(), Node("Softmax", 13, 1, 1, Int("axis", 3)), [X], "axis=3");
        AssertRejected(new LogSoftmax(), Node("LogSoftmax", 11, 1, 1, Int("axis", -4)), [X], "axis=-4");
        AssertRejected(new Softmax(), Node("Softmax", 13, 1, 1), [F([], 1)], "scalar");
    }
}
