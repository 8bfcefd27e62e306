using Xunit;
using System.Globalization;
using System.Security.Cryptography;
using Octet.Generator.Plan;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>
/// Builds small model plans by hand for generator tests: tensors placed in the arena one after another at
/// 64-byte boundaries (or at a given offset, for aliasing cases), constants inline or in a weights blob.
/// </summary>
public sealed class TestPlanBuilder(string model, string numerics = ModelPlan.Float32)
{
    private readonly List<PlanTensor> tensors = [];
    private readonly List<PlanOp> ops = [];
    private readonly List<PlanEdge> inputs = [];
    private readonly List<PlanEdge> outputs = [];
    private readonly MemoryStream weights = new();
    private long arenaEnd;

    public static int SizeOf(string elementType) => PlanText.ElementSize(elementType);

    private static long Bytes(string type, int[] shape) => shape.Aggregate(1L, (a, d) => a * d) * SizeOf(type);

    /// <summary>An arena tensor at <paramref name="offset"/>, or after the previous ones (64-byte aligned).</summary>
    public string Arena(string name, string type, int[] shape, string layout = "rowmajor", long? offset = null)
    {
        long bytes = Bytes(type, shape);
        long at = offset ?? (arenaEnd + 63) / 64 * 64;
        arenaEnd = Math.Max(arenaEnd, at + bytes);
        tensors.Add(new PlanTensor(name, type, shape.ToEquatableArray(), layout, PlanStorage.Arena, at, bytes, EquatableArray<string>.Empty));
        return name;
    }

    public long OffsetOf(string name) => tensors.First(t => t.Name == name).Offset;

    public string Inline(string name, string type, int[] shape, params double[] values)
    {
        var text = values.Select(v => type == "float32" ? ((float)v).ToString("R", CultureInfo.InvariantCulture) : ((long)v).ToString(CultureInfo.InvariantCulture));
        tensors.Add(new PlanTensor(name, type, shape.ToEquatableArray(), "rowmajor", PlanStorage.Inline, 0, Bytes(type, shape), text.ToEquatableArray()));
        return name;
    }

    /// <summary>A constant in the weights blob (raw little-endian bytes of the values).</summary>
    public string Weights<T>(string name, string type, int[] shape, T[] values, string layout = "rowmajor") where T : unmanaged
    {
        long at = (weights.Length + 63) / 64 * 64;
        weights.SetLength(at);
        weights.Position = at;
        weights.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        tensors.Add(new PlanTensor(name, type, shape.ToEquatableArray(), layout, PlanStorage.Weights, at, Bytes(type, shape), EquatableArray<string>.Empty));
        return name;
    }

    public void Input(string name, string tensor, PlanEdgeQuantization? quantized = null) => inputs.Add(new PlanEdge(name, tensor, quantized));

    public void Output(string name, string tensor, PlanEdgeQuantization? quantized = null) => outputs.Add(new PlanEdge(name, tensor, quantized));

    public void Op(string opType, string name, string[] opInputs, string[] opOutputs, params PlanAttribute[] attributes) =>
        ops.Add(new PlanOp(ops.Count, opType, name, new[] { PlanOp.FromEntry(opType, name) }.ToEquatableArray(),
            opInputs.ToEquatableArray(), opOutputs.ToEquatableArray(), attributes.OrderBy(a => a.Name, StringComparer.Ordinal).ToEquatableArray()));

    public static PlanAttribute Int(string name, long value) =>
        new(name, PlanAttributeKind.Int, new[] { value.ToString(CultureInfo.InvariantCulture) }.ToEquatableArray());

    public static PlanAttribute Ints(string name, params long[] values) =>
        new(name, PlanAttributeKind.Ints, values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToEquatableArray());

    public static PlanAttribute String(string name, string value) => new(name, PlanAttributeKind.String, new[] { value }.ToEquatableArray());

    public byte[] WeightsBlob => weights.ToArray();

    public ModelPlan Build()
    {
        long arena = (arenaEnd + 63) / 64 * 64;
        var blob = WeightsBlob;
        return new ModelPlan(ModelPlan.CurrentVersion, model, new PlanSource(model + ".onnx", new string('0', 64)), numerics,
            new PlanMemory(arena, arena, arena), new PlanWeights(blob.Length, Convert.ToHexStringLower(SHA256.HashData(blob))),
            inputs.ToEquatableArray(), outputs.ToEquatableArray(), tensors.ToEquatableArray(), ops.ToEquatableArray());
    }
}
