using System.Globalization;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Plan;

namespace Octet.Compiler.CodeGeneration;

/// <summary>The packed weights blob and the plan tensors of every constant the ops read.</summary>
/// <param name="Blob">All constants stored in the weights, each at a 64-byte aligned offset, little-endian.</param>
/// <param name="Tensors">Plan tensors of the constants, in order of first use.</param>
/// <param name="InputNames">(op index, input index) → the plan tensor that input reads, for constant inputs.</param>
/// <param name="TableInputs">
/// Op index → the weights tensor holding the 65,536 entries of an <c>octet.Table</c> with an int16 input: the plan
/// gives that table to the op as its second input instead of the <c>table</c> attribute (docs/model-plan.md).
/// </param>
public sealed record PackedWeights(byte[] Blob, IReadOnlyList<PlanTensor> Tensors, IReadOnlyDictionary<(int Op, int Input), string> InputNames,
    IReadOnlyDictionary<int, string>? TableInputs = null);

/// <summary>
/// Packs the constants the ops read, in the layout each kernel wants (docs/model-plan.md, "Layouts"):
/// <list type="bullet">
/// <item>Conv/QConv weights (input 1, [M, C/g, kh, kw]) as OHWI: [M][kh][kw][C/g], so one output channel's
/// taps over the channels-last input are contiguous;</item>
/// <item>the constant B ([K, N]) of Gemm, QGemm, MatMul and QMatMul as NK: [N][K], one row per output column,
/// so each output element is a dot product of two contiguous rows (Gemm's transB is resolved before this by
/// <see cref="GraphRewrites"/>);</item>
/// <item>everything else row-major;</item>
/// <item>the <c>table</c> attribute of an <c>octet.Table</c> whose input is int16 (65,536 entries, one per input value):
/// a plan attribute that long would become a 128 KiB source literal in the generated class, so it is stored here as a
/// row-major tensor <c>&lt;op name&gt;__table</c> of the output type and handed to the op as its second input
/// (<see cref="PackedWeights.TableInputs"/>).</item>
/// </list>
/// Constants of at most <see cref="InlineLimit"/> elements are written into the plan itself (in layout
/// order); the others go into one blob, each at a multiple of 64 bytes. A constant two ops want in different
/// layouts becomes two plan tensors (the second named <c>&lt;name&gt;__&lt;layout&gt;</c>).
/// </summary>
public static class WeightPacker
{
    public const int InlineLimit = 256;
    public const int Alignment = 64;

    public static PackedWeights Pack(IReadOnlyList<Node> ops, ModelGraph graph)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the weights blob is little-endian; packing on a big-endian host is not implemented");
        var blob = new MemoryStream();
        var tensors = new List<PlanTensor>();
        var byKey = new Dictionary<(string Name, string Layout), string>();
        var usedNames = new HashSet<string>(graph.Tensors.Keys, StringComparer.Ordinal);
        var inputNames = new Dictionary<(int, int), string>();
        var tableInputs = new Dictionary<int, string>();

        for (int op = 0; op < ops.Count; op++)
        {
            var node = ops[op];
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var name = node.Inputs[i];
                if (name.Length == 0 || graph.Tensor(name).ConstantValue is not { } value) continue;
                string layout = LayoutFor(node, i, value);
                if (!byKey.TryGetValue((name, layout), out var planName))
                {
                    bool firstOfName = !byKey.Keys.Any(k => k.Name == name);
                    planName = firstOfName ? name : Unique(usedNames, $"{name}__{layout}");
                    byKey[(name, layout)] = planName;
                    tensors.Add(Place(planName, value, layout, blob));
                }
                inputNames[(op, i)] = planName;
            }
            if (WideTable(node, graph) is { } table)
            {
                string planName = Unique(usedNames, $"{node.Name}__table");
                tensors.Add(Place(planName, table, PlanText.RowMajor, blob));
                tableInputs[op] = planName;
            }
        }
        return new PackedWeights(blob.ToArray(), tensors, inputNames, tableInputs);
    }

    /// <summary>Whether an op's <c>table</c> attribute goes into the weights (see <see cref="PackedWeights.TableInputs"/>).</summary>
    public static bool HasWideTable(Node node, ModelGraph graph) =>
        IsOctet(node) && node.OpType == "Table" && node.Inputs.Count == 1 && graph.Tensor(node.Inputs[0]).ElementType == ElementType.Int16
        && node.GetInts("table") is { Length: WideTableEntries };

    /// <summary>Entries of an int16 input's table: one per int16 value.</summary>
    public const int WideTableEntries = 1 << 16;

    /// <summary>The table of an int16-input Table as a [65536] tensor of its output type (y_type), else null.</summary>
    private static Tensor? WideTable(Node node, ModelGraph graph)
    {
        if (!HasWideTable(node, graph)) return null;
        var values = node.GetInts("table")!;
        var outputType = graph.Tensor(node.Outputs[0]).ElementType;
        var shape = new Shape(WideTableEntries);
        // Each entry is inside the output type: the operator checked it when the graph was inferred.
        return outputType switch
        {
            ElementType.Int8 => Tensor.Create(shape, Array.ConvertAll(values, v => checked((sbyte)v))),
            ElementType.UInt8 => Tensor.Create(shape, Array.ConvertAll(values, v => checked((byte)v))),
            ElementType.Int16 => Tensor.Create(shape, Array.ConvertAll(values, v => checked((short)v))),
            _ => throw Diagnostics.OctetException.AtNode(node, $"a Table output of {outputType.OnnxName()}; expected int8, uint8 or int16"),
        };
    }

    private static bool IsOnnx(Node node) => node.Domain is "" or "ai.onnx";
    private static bool IsOctet(Node node) => node.Domain == IntegerOperator.OctetDomain;

    /// <summary>The layout kernel <paramref name="node"/> wants for its constant input <paramref name="input"/>.</summary>
    public static string LayoutFor(Node node, int input, Tensor value)
    {
        if (input == 1 && value.Shape.Rank == 4 && (IsOnnx(node) && node.OpType == "Conv" || IsOctet(node) && node.OpType == "QConv"))
            return PlanText.Ohwi;
        if (input == 1 && value.Shape.Rank == 2 &&
            (IsOnnx(node) && node.OpType is "Gemm" or "MatMul" || IsOctet(node) && node.OpType is "QGemm" or "QMatMul"))
            return PlanText.Nk;
        return PlanText.RowMajor;
    }

    private static string Unique(HashSet<string> used, string stem)
    {
        var name = stem;
        for (int k = 1; !used.Add(name); k++) name = $"{stem}_{k}";
        return name;
    }

    private static PlanTensor Place(string name, Tensor value, string layout, MemoryStream blob)
    {
        string type = ElementTypeNames.PlanName(value.ElementType, name);
        var packed = layout switch
        {
            PlanText.Ohwi => ToOhwi(value),
            PlanText.Nk => GraphRewrites.Transpose2D(value).Data,
            _ => value.Data,
        };
        int size = value.ElementType.SizeInBytes();
        long bytes = packed.Length * (long)size;
        var shape = value.Shape.ToArray().ToEquatableArray();
        if (packed.Length <= InlineLimit)
        {
            var values = new List<string>(packed.Length);
            for (int k = 0; k < packed.Length; k++) values.Add(Format(packed, k, value.ElementType));
            return new PlanTensor(name, type, shape, layout, PlanStorage.Inline, 0, bytes, values.ToEquatableArray());
        }
        long offset = (blob.Length + Alignment - 1) / Alignment * Alignment;
        blob.SetLength(offset);
        blob.Position = offset;
        var raw = new byte[bytes];
        Buffer.BlockCopy(packed, 0, raw, 0, raw.Length);
        blob.Write(raw);
        return new PlanTensor(name, type, shape, layout, PlanStorage.Weights, offset, bytes, EquatableArray<string>.Empty);
    }

    private static string Format(Array values, int index, ElementType type) => type switch
    {
        ElementType.Float32 => PlanText.Float(((float[])values)[index]),
        ElementType.Int8 => ((sbyte[])values)[index].ToString(CultureInfo.InvariantCulture),
        ElementType.UInt8 => ((byte[])values)[index].ToString(CultureInfo.InvariantCulture),
        ElementType.Int16 => ((short[])values)[index].ToString(CultureInfo.InvariantCulture),
        ElementType.Int32 => ((int[])values)[index].ToString(CultureInfo.InvariantCulture),
        ElementType.Int64 => ((long[])values)[index].ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a plan element type"),
    };

    /// <summary>[M][C][kh][kw] → [M][kh][kw][C].</summary>
    internal static Array ToOhwi(Tensor value)
    {
        int m = value.Shape[0], c = value.Shape[1], kh = value.Shape[2], kw = value.Shape[3];
        int size = value.ElementType.SizeInBytes();
        var source = value.Data;
        var result = Array.CreateInstance(source.GetType().GetElementType()!, source.Length);
        for (int o = 0; o < m; o++)
            for (int i = 0; i < c; i++)
                for (int y = 0; y < kh; y++)
                    for (int x = 0; x < kw; x++)
                        Buffer.BlockCopy(source, (((o * c + i) * kh + y) * kw + x) * size,
                            result, (((o * kh + y) * kw + x) * c + i) * size, size);
        return result;
    }
}
