using System.Globalization;
using System.Runtime.InteropServices;
using Octet.Compiler.Graph;
using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int16;

/// <summary>
/// Runs one op emitter on a hand-built one-op plan whose tensors may be int16 (as <c>Int8KernelHarness</c> does for
/// 8-bit plans): tensors in an arena at 64-byte aligned offsets or in the weights blob, the emitted body wrapped in a
/// <see cref="KernelClass"/>, compiled in memory as a checked build (emitted code must wrap only where it says so),
/// run, and the output read back as a compiler <see cref="Tensor"/> for a bit-for-bit comparison with the reference.
/// </summary>
internal sealed class WideKernelHarness
{
    private readonly List<PlanTensor> _tensors = [];
    private readonly Dictionary<string, byte[]> _arenaData = [];
    private readonly List<byte> _weights = [];
    private long _arenaBytes;

    private static int Align(long offset) => (int)((offset + 63) / 64 * 64);

    public static string TypeName(ElementType type) => type switch
    {
        ElementType.Int8 => "int8",
        ElementType.UInt8 => "uint8",
        ElementType.Int16 => "int16",
        ElementType.Int32 => "int32",
        ElementType.Float32 => "float32",
        _ => throw new ArgumentException(type.ToString()),
    };

    /// <summary>An arena tensor holding <paramref name="value"/>'s bytes, or a zero-filled output of <paramref name="type"/> and <paramref name="shape"/>.</summary>
    public string Arena(string name, Tensor? value, ElementType type = ElementType.Int8, int[]? shape = null)
    {
        type = value?.ElementType ?? type;
        shape = value?.Shape.ToArray() ?? shape!;
        long size = new Shape(shape).ElementCount * type.SizeInBytes();
        long offset = Align(_arenaBytes);
        _arenaBytes = offset + size;
        _tensors.Add(new PlanTensor(name, TypeName(type), shape.ToEquatableArray(), "rowmajor", PlanStorage.Arena, offset, size, EquatableArray<string>.Empty));
        if (value != null) _arenaData[name] = Bytes(value);
        return name;
    }

    /// <summary>A constant in the weights blob (its values in <paramref name="layout"/> order).</summary>
    public string Weights(string name, Tensor packed, string layout = "rowmajor")
    {
        int offset = Align(_weights.Count);
        while (_weights.Count < offset) _weights.Add(0);
        var bytes = Bytes(packed);
        _weights.AddRange(bytes);
        _tensors.Add(new PlanTensor(name, TypeName(packed.ElementType), packed.Shape.ToArray().ToEquatableArray(), layout, PlanStorage.Weights, offset, bytes.Length, EquatableArray<string>.Empty));
        return name;
    }

    /// <summary>A small constant written into the plan (and the class) as values.</summary>
    public string Inline(string name, Tensor value)
    {
        var text = value.ElementType == ElementType.Float32
            ? value.As<float>().Select(PlanText.Float).ToArray()
            : value.ToInt64Array().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        _tensors.Add(new PlanTensor(name, TypeName(value.ElementType), value.Shape.ToArray().ToEquatableArray(), "rowmajor", PlanStorage.Inline, 0,
            text.Length * value.ElementType.SizeInBytes(), text.ToEquatableArray()));
        return name;
    }

    public static byte[] Bytes(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Int8 => MemoryMarshal.AsBytes(tensor.As<sbyte>().AsSpan()).ToArray(),
        ElementType.UInt8 => (byte[])tensor.As<byte>().Clone(),
        ElementType.Int16 => MemoryMarshal.AsBytes(tensor.As<short>().AsSpan()).ToArray(),
        ElementType.Int32 => MemoryMarshal.AsBytes(tensor.As<int>().AsSpan()).ToArray(),
        ElementType.Float32 => MemoryMarshal.AsBytes(tensor.As<float>().AsSpan()).ToArray(),
        _ => throw new ArgumentException(tensor.ToString()),
    };

    public static Tensor FromBytes(byte[] bytes, ElementType type, int[] shape) => type switch
    {
        ElementType.Int8 => Tensor.Create(new Shape(shape), MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray()),
        ElementType.UInt8 => Tensor.Create(new Shape(shape), (byte[])bytes.Clone()),
        ElementType.Int16 => Tensor.Create(new Shape(shape), MemoryMarshal.Cast<byte, short>(bytes).ToArray()),
        ElementType.Float32 => Tensor.Create(new Shape(shape), MemoryMarshal.Cast<byte, float>(bytes).ToArray()),
        _ => throw new ArgumentException(type.ToString()),
    };

    /// <summary>Emits the op's body into the test class source; returns it with the emitter's problems.</summary>
    public (string Source, IReadOnlyList<string> Problems) Emit(string opType, string[] inputs, string output, IEnumerable<Attribute> attributes)
    {
        var emitter = OpEmitterRegistry.Find(opType) ?? throw new ArgumentException($"no emitter for {opType}");
        var op = new PlanOp(0, opType, "n", new[] { "Test n" }.ToEquatableArray(), inputs.ToEquatableArray(), new[] { output }.ToEquatableArray(),
            PlanAttributes.Sorted(attributes));
        var plan = new ModelPlan(ModelPlan.CurrentVersion, "test", new PlanSource("test.onnx", new string('0', 64)), ModelPlan.IntegerOnly,
            new PlanMemory(Align(_arenaBytes), 0, 0), new PlanWeights(_weights.Count, new string('0', 64)),
            EquatableArray<PlanEdge>.Empty, EquatableArray<PlanEdge>.Empty, _tensors.ToEquatableArray(), new[] { op }.ToEquatableArray());
        var inlineConstants = new SortedDictionary<string, PlanTensor>(StringComparer.Ordinal);
        var body = new CodeWriter();
        var context = new OpEmitContext(plan, op, _tensors.ToDictionary(t => t.Name), inlineConstants, body);
        emitter.Emit(context);
        return (KernelClass.Source(body.ToString(), inlineConstants), context.Problems);
    }

    /// <summary>Emits, compiles and runs the op; returns the output tensor and the kernel's source.</summary>
    public (Tensor Output, string Source) Run(string opType, string[] inputs, string output, IEnumerable<Attribute> attributes)
    {
        var (source, problems) = Emit(opType, inputs, output, attributes);
        Assert.True(problems.Count == 0, "the emitter reported: " + string.Join("; ", problems));
        var arena = new byte[Align(_arenaBytes) + 64];
        foreach (var (name, bytes) in _arenaData)
            bytes.CopyTo(arena, (int)_tensors.Single(t => t.Name == name).Offset);
        KernelClass.Run(source, arena, [.. _weights], checkOverflow: true);
        var y = _tensors.Single(t => t.Name == output);
        var type = y.ElementType switch { "int8" => ElementType.Int8, "uint8" => ElementType.UInt8, "int16" => ElementType.Int16, _ => ElementType.Float32 };
        return (FromBytes(arena.AsSpan((int)y.Offset, (int)y.Bytes).ToArray(), type, [.. y.Shape]), source);
    }

    /// <summary>Same type, shape and bits; on a difference, names the element and shows the kernel's source.</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual, string source)
    {
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Shape, actual.Shape);
        var e = Bytes(expected);
        var a = Bytes(actual);
        int size = expected.ElementType.SizeInBytes();
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i])
                Assert.Fail($"element {i / size} of {e.Length / size}: reference {expected.GetAsDouble(i / size)}, emitted kernel {actual.GetAsDouble(i / size)}\n{source}");
    }
}
