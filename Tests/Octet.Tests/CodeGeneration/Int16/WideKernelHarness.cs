using Octet.Compiler.Graph;
using Octet.Generator.Emit;
using Octet.Tests.CodeGeneration.Int8;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int16;

/// <summary>
/// <see cref="Int8KernelHarness"/> with compiler <see cref="Tensor"/>s in and out, for plans whose tensors may be int16:
/// row-major tensors are given as values (their type and shape taken from them), the emitter is found by op type, and
/// the output comes back as a tensor for a bit-for-bit comparison with the reference operator.
/// </summary>
internal sealed class WideKernelHarness
{
    private readonly Int8KernelHarness _harness = new();

    public static string TypeName(ElementType type) => Int8KernelHarness.TypeName(type);

    /// <summary>An arena tensor holding <paramref name="value"/>'s bytes, or a zero-filled output of <paramref name="type"/> and <paramref name="shape"/>.</summary>
    public string Arena(string name, Tensor? value, ElementType type = ElementType.Int8, int[]? shape = null) =>
        _harness.Arena(name, value?.ElementType ?? type, value?.Shape.ToArray() ?? shape!, "rowmajor", value is null ? null : Int8KernelHarness.Bytes(value));

    /// <summary>A constant in the weights blob (its values in <paramref name="layout"/> order).</summary>
    public string Weights(string name, Tensor packed, string layout = "rowmajor") =>
        _harness.Weights(name, packed.ElementType, packed.Shape.ToArray(), layout, Int8KernelHarness.Bytes(packed));

    /// <summary>A small constant written into the plan (and the class) as values.</summary>
    public string Inline(string name, Tensor value) => _harness.Inline(name, value);

    public static Tensor FromBytes(byte[] bytes, ElementType type, int[] shape) => Int8KernelHarness.FromBytes(bytes, type, shape);

    /// <summary>Emits the op's body into the test class source; returns it with the emitter's problems.</summary>
    public (string Source, IReadOnlyList<string> Problems) Emit(string opType, string[] inputs, string output, IEnumerable<Attribute> attributes)
    {
        var emitted = _harness.Emit(EmitterFor(opType), opType, inputs, [output], attributes);
        return (emitted.Source, emitted.Problems);
    }

    /// <summary>Emits, compiles and runs the op; returns the output tensor and the kernel's source.</summary>
    public (Tensor Output, string Source) Run(string opType, string[] inputs, string output, IEnumerable<Attribute> attributes)
    {
        var (bytes, source) = _harness.Run(EmitterFor(opType), opType, inputs, output, attributes);
        var y = _harness.PlanTensorNamed(output);
        var type = y.ElementType switch { "int8" => ElementType.Int8, "uint8" => ElementType.UInt8, "int16" => ElementType.Int16, _ => ElementType.Float32 };
        return (FromBytes(bytes, type, [.. y.Shape]), source);
    }

    /// <summary>Same type, shape and bits; on a difference, names the element and shows the kernel's source.</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual, string source) => Int8KernelHarness.AssertIdentical(expected, actual, source);

    private static IOpEmitter EmitterFor(string opType) => OpEmitterRegistry.Find(opType) ?? throw new ArgumentException($"no emitter for {opType}");
}
