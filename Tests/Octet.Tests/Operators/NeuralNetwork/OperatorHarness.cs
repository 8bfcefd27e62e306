using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.NeuralNetwork;

/// <summary>
/// Runs one operator on one node the way the executor does — shape inference first, then the kernel — and
/// checks that the kernel produced exactly the types and shapes inference promised.
/// </summary>
internal static class OperatorHarness
{
    public static Attribute Int(string name, long value) => new(name, AttributeKind.Int, value);
    public static Attribute Float(string name, float value) => new(name, AttributeKind.Float, value);
    public static Attribute String(string name, string value) => new(name, AttributeKind.String, value);
    public static Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints, values);

    public static Tensor F(int[] shape, params float[] values) => Tensor.Create(new Shape(shape), values);
    public static Tensor I64(int[] shape, params long[] values) => Tensor.Create(new Shape(shape), values);

    /// <summary>A node named "n" with inputs "in0".. (null: omitted) and <paramref name="outputs"/> outputs "out0"...</summary>
    public static Node Node(string opType, int opset, int inputCount, int outputs, params Attribute[] attributes) =>
        new("n", opType, "", opset,
            Enumerable.Range(0, inputCount).Select(i => $"in{i}").ToList(),
            Enumerable.Range(0, outputs).Select(i => $"out{i}").ToList(),
            attributes.ToDictionary(a => a.Name));

    /// <summary>
    /// Infers and executes <paramref name="op"/> on <paramref name="inputs"/> (null: an omitted optional input).
    /// Inputs are presented to inference as constants when <paramref name="constantInputs"/>, else as values
    /// known only by type and shape.
    /// </summary>
    public static Tensor[] Run(OperatorDefinition op, Node node, Tensor?[] inputs, bool constantInputs = true)
    {
        var inferred = Infer(op, node, inputs, constantInputs);
        var kernel = new KernelContext(node, inputs);
        op.Execute(kernel);
        var outputs = new Tensor[node.Outputs.Count];
        for (int i = 0; i < outputs.Length; i++)
        {
            if (inferred[i] is not { } expected) continue;
            var actual = kernel.Output(i) ?? throw new Xunit.Sdk.XunitException($"output {i} was inferred but not produced");
            Assert.Equal(expected.Type, actual.ElementType);
            Assert.Equal(expected.Shape, actual.Shape);
            outputs[i] = actual;
        }
        return outputs;
    }

    public static (ElementType Type, Shape Shape)?[] Infer(OperatorDefinition op, Node node, Tensor?[] inputs, bool constantInputs = true)
    {
        var infos = inputs.Select((t, i) => t is null ? null
            : new TensorInfo($"in{i}", t.ElementType, t.Shape, constantInputs ? t : null)).ToList();
        var context = new InferenceContext(node, infos);
        op.InferOutputs(context);
        return Enumerable.Range(0, node.Outputs.Count).Select(context.Output).ToArray();
    }

    /// <summary>The first output of a run, as floats.</summary>
    public static float[] RunFloat(OperatorDefinition op, Node node, params Tensor?[] inputs) => Run(op, node, inputs)[0].As<float>();

    /// <summary>Asserts that inference rejects the node with an <see cref="OctetException"/> naming it and mentioning <paramref name="fragment"/>.</summary>
    public static void AssertRejected(OperatorDefinition op, Node node, Tensor?[] inputs, string fragment, bool constantInputs = true)
    {
        var e = Assert.Throws<OctetException>(() => Infer(op, node, inputs, constantInputs));
        Assert.Contains("node 'n'", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    public static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]} (all: [{string.Join(", ", actual)}])");
    }
}
