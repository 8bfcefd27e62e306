using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Operators.Elementwise;

/// <summary>
/// Runs one operator the way the loader and the reference executor do — shape inference, then the kernel —
/// on tensors built in the test, and checks that the kernel's results have the types and shapes inference
/// promised.
/// </summary>
internal static class OperatorHarness
{
    /// <summary>
    /// Infers and executes <paramref name="opType"/> at <paramref name="opset"/> (resolved to the op's
    /// version as the loader does). Inputs are constants unless listed in <paramref name="runtimeInputs"/>;
    /// a null input is an omitted optional input. Attribute values: float, int/long, string, float[],
    /// long[]/int[], Tensor.
    /// </summary>
    public static Tensor[] Run(string opType, int opset, Tensor?[] inputs, int outputs = 1,
        (string Name, object Value)[]? attributes = null, int[]? runtimeInputs = null)
    {
        var (definition, node) = Prepare(opType, opset, inputs.Length, outputs, attributes);
        var infos = inputs.Select((t, i) => t is null ? null
            : runtimeInputs?.Contains(i) == true ? new TensorInfo(node.Inputs[i], t.ElementType, t.Shape)
            : TensorInfo.ForConstant(node.Inputs[i], t)).ToList();
        var inference = new InferenceContext(node, infos);
        definition.InferOutputs(inference);

        var kernel = new KernelContext(node, inputs);
        definition.Execute(kernel);
        var results = new Tensor[outputs];
        for (int k = 0; k < outputs; k++)
        {
            var value = kernel.Output(k) ?? throw new Xunit.Sdk.XunitException($"output {k} was not set");
            var (type, shape) = inference.Output(k) ?? throw new Xunit.Sdk.XunitException($"output {k} was not inferred");
            Assert.Equal(type, value.ElementType);
            Assert.Equal(shape, value.Shape);
            results[k] = value;
        }
        return results;
    }

    /// <summary>Shape inference only, with every input a runtime (non-constant) tensor of the given type and shape.</summary>
    public static (ElementType Type, Shape Shape)[] Infer(string opType, int opset, (ElementType Type, Shape Shape)?[] inputs,
        int outputs = 1, (string Name, object Value)[]? attributes = null)
    {
        var (definition, node) = Prepare(opType, opset, inputs.Length, outputs, attributes);
        var infos = inputs.Select((t, i) => t is null ? null : new TensorInfo(node.Inputs[i], t.Value.Type, t.Value.Shape)).ToList();
        var inference = new InferenceContext(node, infos);
        definition.InferOutputs(inference);
        return Enumerable.Range(0, outputs).Select(k => inference.Output(k)!.Value).ToArray();
    }

    private static (OperatorDefinition, Node) Prepare(string opType, int opset, int inputCount, int outputs, (string Name, object Value)[]? attributes)
    {
        var registry = OperatorRegistry.Default;
        var definition = registry.Find("", opType) ?? throw new Xunit.Sdk.XunitException($"{opType} is not registered");
        int version = registry.ResolveVersion("", opType, opset) ?? throw new Xunit.Sdk.XunitException($"{opType} does not exist in opset {opset}");
        var attributeMap = (attributes ?? []).ToDictionary(a => a.Name, a => ToAttribute(a.Name, a.Value));
        var node = new Node("n", opType, "", version,
            Enumerable.Range(0, inputCount).Select(i => $"in{i}").ToArray(),
            Enumerable.Range(0, outputs).Select(k => $"out{k}").ToArray(),
            attributeMap);
        return (definition, node);
    }

    private static Attribute ToAttribute(string name, object value) => value switch
    {
        float f => new Attribute(name, AttributeKind.Float, f),
        int i => new Attribute(name, AttributeKind.Int, (long)i),
        long l => new Attribute(name, AttributeKind.Int, l),
        string s => new Attribute(name, AttributeKind.String, s),
        float[] fs => new Attribute(name, AttributeKind.Floats, fs),
        long[] ls => new Attribute(name, AttributeKind.Ints, ls),
        int[] ints => new Attribute(name, AttributeKind.Ints, Array.ConvertAll(ints, v => (long)v)),
        string[] ss => new Attribute(name, AttributeKind.Strings, ss),
        Tensor t => new Attribute(name, AttributeKind.Tensor, t),
        _ => throw new ArgumentException($"no attribute kind for {value.GetType()}"),
    };

    public static Tensor T(float[] values, params int[] dims) => Tensor.Create(new Shape(dims), values);
    public static Tensor T(sbyte[] values, params int[] dims) => Tensor.Create(new Shape(dims), values);
    public static Tensor T(byte[] values, params int[] dims) => Tensor.Create(new Shape(dims), values);
    public static Tensor T(int[] values, params int[] dims) => Tensor.Create(new Shape(dims), values);
    public static Tensor T(long[] values, params int[] dims) => Tensor.Create(new Shape(dims), values);
    public static Tensor T(bool[] values, params int[] dims) => Tensor.Create(new Shape(dims), values);

    /// <summary>A 1-D tensor of the given values.</summary>
    public static Tensor V(params float[] values) => T(values, values.Length);
    public static Tensor V(params long[] values) => T(values, values.Length);

    /// <summary>Float values within 1e-6 relative (the kernels compute in float32 what was worked out by hand).</summary>
    public static void AssertClose(float[] expected, Tensor actual, double tolerance = 1e-6)
    {
        var values = actual.As<float>();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i])) { Assert.True(float.IsNaN(values[i]), $"[{i}] {values[i]}, expected NaN"); continue; }
            if (values[i] == expected[i]) continue;
            Assert.True(Math.Abs(values[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"[{i}] {values[i]}, expected {expected[i]}");
        }
    }
}
