using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Quantization;

/// <summary>
/// Runs one quantization operator on one node the way the executor does — shape inference first, then the
/// kernel — and checks that the kernel produced exactly the types and shapes inference promised.
/// </summary>
internal static class QuantizationHarness
{
    public static Attribute Int(string name, long value) => new(name, AttributeKind.Int, value);
    public static Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints, values);
    public static Attribute String(string name, string value) => new(name, AttributeKind.String, value);

    public static Tensor F(int[] shape, params float[] values) => Tensor.Create(new Shape(shape), values);
    public static Tensor U8(int[] shape, params byte[] values) => Tensor.Create(new Shape(shape), values);
    public static Tensor I8(int[] shape, params sbyte[] values) => Tensor.Create(new Shape(shape), values);
    public static Tensor I32(int[] shape, params int[] values) => Tensor.Create(new Shape(shape), values);
    public static Tensor Scalar(float value) => Tensor.Scalar(value);
    public static Tensor Scalar(byte value) => Tensor.Scalar(value);
    public static Tensor Scalar(sbyte value) => Tensor.Scalar(value);

    /// <summary>A node named "n" with inputs "in0".. and <paramref name="outputs"/> outputs "out0"...</summary>
    public static Node Node(string opType, int opset, int inputCount, int outputs, params Attribute[] attributes) =>
        NeuralNetwork.OperatorHarness.Node(opType, opset, inputCount, outputs, attributes);

    public static Node NodeIn(string domain, string opType, int opset, int inputCount, int outputs, params Attribute[] attributes) =>
        new("n", opType, domain, opset,
            Enumerable.Range(0, inputCount).Select(i => $"in{i}").ToList(),
            Enumerable.Range(0, outputs).Select(i => $"out{i}").ToList(),
            attributes.ToDictionary(a => a.Name));

    // Running, inferring and rejection checks are the NeuralNetwork harness's, with every input presented to
    // inference as a runtime value (known by type and shape only), as quantized activations are.

    /// <summary>Infers and executes <paramref name="op"/> on <paramref name="inputs"/> (null: an omitted optional input).</summary>
    public static Tensor[] Run(OperatorDefinition op, Node node, params Tensor?[] inputs) =>
        NeuralNetwork.OperatorHarness.Run(op, node, inputs, constantInputs: false);

    /// <summary>Inference on inputs known only by type and shape (as for graph inputs).</summary>
    public static (ElementType Type, Shape Shape)?[] Infer(OperatorDefinition op, Node node, params Tensor?[] inputs) =>
        NeuralNetwork.OperatorHarness.Infer(op, node, inputs, constantInputs: false);

    /// <summary>Asserts that inference rejects the node with an <see cref="OctetException"/> naming it and mentioning <paramref name="fragment"/>.</summary>
    public static void AssertRejected(OperatorDefinition op, Node node, Tensor?[] inputs, string fragment) =>
        NeuralNetwork.OperatorHarness.AssertRejected(op, node, inputs, fragment, constantInputs: false);
}
