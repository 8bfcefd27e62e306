using System.Globalization;
using System.Runtime.InteropServices;
using Octet.Compiler.Graph;
using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// Runs one op emitter on a hand-built one-op plan: tensors placed in an arena (64-byte aligned offsets), in the
/// weights blob or inline; the emitted body wrapped in a <see cref="KernelClass"/>; compiled in memory with Roslyn
/// (<see cref="InMemoryCompilation"/>, as a checked build, so emitted code must wrap only where it says so); run; and
/// the output tensor's bytes returned in its layout order.
/// </summary>
internal sealed class Int8KernelHarness
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

    /// <summary>An arena tensor holding <paramref name="bytes"/> (null: an output, zero-filled); <paramref name="sameBytesAs"/> places it at another tensor's offset (in-place).</summary>
    public string Arena(string name, ElementType type, int[] shape, string layout, byte[]? bytes, string? sameBytesAs = null)
    {
        long size = new Shape(shape).ElementCount * type.SizeInBytes();
        long offset;
        if (sameBytesAs != null) offset = _tensors.Single(t => t.Name == sameBytesAs).Offset;
        else
        {
            offset = Align(_arenaBytes);
            _arenaBytes = offset + size;
        }
        _tensors.Add(new PlanTensor(name, TypeName(type), shape.ToEquatableArray(), layout, PlanStorage.Arena, offset, size, EquatableArray<string>.Empty));
        if (bytes != null) _arenaData[name] = bytes;
        return name;
    }

    public string Weights(string name, ElementType type, int[] shape, string layout, byte[] bytes)
    {
        int offset = Align(_weights.Count);
        while (_weights.Count < offset) _weights.Add(0);
        _weights.AddRange(bytes);
        _tensors.Add(new PlanTensor(name, TypeName(type), shape.ToEquatableArray(), layout, PlanStorage.Weights, offset, bytes.Length, EquatableArray<string>.Empty));
        return name;
    }

    public string Inline(string name, ElementType type, int[] shape, string layout, IEnumerable<long> values) =>
        InlineText(name, type, shape, layout, values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());

    /// <summary>A constant written into the plan (and the class) as values, float or integer, in layout order.</summary>
    public string Inline(string name, Tensor value, string layout = "rowmajor") =>
        InlineText(name, value.ElementType, value.Shape.ToArray(), layout, value.ElementType == ElementType.Float32
            ? value.As<float>().Select(PlanText.Float).ToArray()
            : value.ToInt64Array().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());

    private string InlineText(string name, ElementType type, int[] shape, string layout, string[] text)
    {
        _tensors.Add(new PlanTensor(name, TypeName(type), shape.ToEquatableArray(), layout, PlanStorage.Inline, 0, text.Length * type.SizeInBytes(), text.ToEquatableArray()));
        return name;
    }

    /// <summary>A constant either in the weights blob or inline, with its values given in layout order.</summary>
    public string Constant(string name, Tensor packed, string layout, bool inline) =>
        inline ? Inline(name, packed.ElementType, packed.Shape.ToArray(), layout, packed.ToInt64Array())
               : Weights(name, packed.ElementType, packed.Shape.ToArray(), layout, Bytes(packed));

    public static byte[] Bytes(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Int8 => MemoryMarshal.AsBytes(tensor.As<sbyte>().AsSpan()).ToArray(),
        ElementType.UInt8 => (byte[])tensor.As<byte>().Clone(),
        ElementType.Int16 => MemoryMarshal.AsBytes(tensor.As<short>().AsSpan()).ToArray(),
        ElementType.Int32 => MemoryMarshal.AsBytes(tensor.As<int>().AsSpan()).ToArray(),
        ElementType.Float32 => MemoryMarshal.AsBytes(tensor.As<float>().AsSpan()).ToArray(),
        _ => throw new ArgumentException(tensor.ToString()),
    };

    public sealed record Emitted(string Source, IReadOnlyList<string> Problems);

    /// <summary>Emits the op's body into the test class source (or returns the emitter's problems).</summary>
    public Emitted Emit(IOpEmitter emitter, string opType, string[] inputs, string[] outputs, IEnumerable<Attribute> attributes)
    {
        var op = new PlanOp(0, opType, "n", new[] { "Test n" }.ToEquatableArray(), inputs.ToEquatableArray(), outputs.ToEquatableArray(),
            PlanAttributes.Sorted(attributes));
        var plan = new ModelPlan(ModelPlan.CurrentVersion, "test", new PlanSource("test.onnx", new string('0', 64)), ModelPlan.IntegerOnly,
            new PlanMemory(Align(_arenaBytes), 0, 0), new PlanWeights(_weights.Count, new string('0', 64)),
            EquatableArray<PlanEdge>.Empty, EquatableArray<PlanEdge>.Empty, _tensors.ToEquatableArray(), new[] { op }.ToEquatableArray());
        var tensors = _tensors.ToDictionary(t => t.Name);
        var inlineConstants = new SortedDictionary<string, PlanTensor>(StringComparer.Ordinal);
        var body = new CodeWriter();
        // A kernel that may prepare fields is one of a model class (constructor-packed weights); it cannot split (no team).
        var context = Prepared
            ? new OpEmitContext(plan, op, tensors, inlineConstants, body, unitsField: null!, canPrepare: true)
            : new OpEmitContext(plan, op, tensors, inlineConstants, body);
        emitter.Emit(context);
        return new Emitted(KernelClass.Source(body.ToString(), inlineConstants, context.PreparedFields), context.Problems);
    }

    /// <summary>
    /// Whether the emitter may prepare fields in the class's constructor (<see cref="OpEmitContext.CanPrepare"/>), as in a
    /// model class, rather than write a kernel that computes everything in its body.
    /// </summary>
    public bool Prepared { get; init; }

    /// <summary>The plan tensor named <paramref name="name"/>.</summary>
    public PlanTensor PlanTensorNamed(string name) => _tensors.Single(t => t.Name == name);

    /// <summary>Emits, compiles and runs the op; returns the output tensor's bytes (in its layout's order) and the source.</summary>
    public (byte[] Output, string Source) Run(IOpEmitter emitter, string opType, string[] inputs, string output, IEnumerable<Attribute> attributes)
    {
        var emitted = Emit(emitter, opType, inputs, [output], attributes);
        Assert.True(emitted.Problems.Count == 0, "the emitter reported: " + string.Join("; ", emitted.Problems));
        var arena = new byte[Align(_arenaBytes) + 64];
        foreach (var (name, bytes) in _arenaData)
            bytes.CopyTo(arena, (int)_tensors.Single(t => t.Name == name).Offset);
        KernelClass.Run(emitted.Source, arena, _weights.ToArray(), checkOverflow: true);
        var y = _tensors.Single(t => t.Name == output);
        return (arena.AsSpan((int)y.Offset, (int)y.Bytes).ToArray(), emitted.Source);
    }

    // ---- layouts ----

    /// <summary>An NCHW tensor's elements in NHWC order (8-bit).</summary>
    public static byte[] ToNhwc(Tensor t)
    {
        var bytes = Bytes(t);
        int n = t.Shape[0], c = t.Shape[1], h = t.Shape[2], w = t.Shape[3];
        var result = new byte[bytes.Length];
        for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            result[((b * h + y) * w + x) * c + ch] = bytes[((b * c + ch) * h + y) * w + x];
        return result;
    }

    /// <summary>NHWC bytes back to an NCHW tensor of <paramref name="shape"/> (8-bit).</summary>
    public static Tensor FromNhwc(byte[] bytes, ElementType type, int[] shape)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        var result = new byte[bytes.Length];
        for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            result[((b * c + ch) * h + y) * w + x] = bytes[((b * h + y) * w + x) * c + ch];
        return FromBytes(result, type, shape);
    }

    public static Tensor FromBytes(byte[] bytes, ElementType type, int[] shape) => type switch
    {
        ElementType.Int8 => Tensor.Create(new Shape(shape), MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray()),
        ElementType.UInt8 => Tensor.Create(new Shape(shape), (byte[])bytes.Clone()),
        ElementType.Int16 => Tensor.Create(new Shape(shape), MemoryMarshal.Cast<byte, short>(bytes).ToArray()),
        ElementType.Float32 => Tensor.Create(new Shape(shape), MemoryMarshal.Cast<byte, float>(bytes).ToArray()),
        _ => throw new ArgumentException(type.ToString()),
    };

    /// <summary>Conv weights [M, C/g, kh, kw] packed OHWI ([M][kh][kw][C/g]).</summary>
    public static Tensor ToOhwi(Tensor w)
    {
        var bytes = Bytes(w);
        int m = w.Shape[0], c = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        var result = new byte[bytes.Length];
        for (int o = 0; o < m; o++)
        for (int i = 0; i < c; i++)
        for (int y = 0; y < kh; y++)
        for (int x = 0; x < kw; x++)
            result[((o * kh + y) * kw + x) * c + i] = bytes[((o * c + i) * kh + y) * kw + x];
        return FromBytes(result, w.ElementType, [m, c, kh, kw]);
    }

    /// <summary>A [..., K, N] 8-bit tensor packed NK: each [K, N] matrix stored [N][K].</summary>
    public static Tensor ToNk(Tensor w)
    {
        var bytes = Bytes(w);
        int k = w.Shape[^2], n = w.Shape[^1], matrices = bytes.Length / (k * n);
        var result = new byte[bytes.Length];
        for (int b = 0; b < matrices; b++)
        for (int i = 0; i < k; i++)
        for (int j = 0; j < n; j++)
            result[b * k * n + j * k + i] = bytes[b * k * n + i * n + j];
        return FromBytes(result, w.ElementType, w.Shape.ToArray());
    }

    /// <summary>Asserts two tensors are identical (type, shape, bits), naming the first differing element and showing the kernel's source.</summary>
    public static void AssertIdentical(Tensor expected, Tensor actual, string source)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ElementType, actual.ElementType);
        var e = Bytes(expected);
        var a = Bytes(actual);
        int size = expected.ElementType.SizeInBytes();
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i])
                Assert.Fail($"element {i / size} of {e.Length / size}: reference {expected.GetAsDouble(i / size)}, emitted kernel {actual.GetAsDouble(i / size)}\n{source}");
    }
}
