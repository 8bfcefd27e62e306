using System.Globalization;
using System.Runtime.InteropServices;
using Octet.Compiler.Analysis;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Reference;
using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Xunit;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>One operand of a one-op kernel test: its ONNX value and how the plan stores it.</summary>
/// <param name="Value">The logical value the reference executor sees (a graph input, or a constant when
/// <paramref name="Storage"/> is not the arena).</param>
/// <param name="Layout">The plan layout: rowmajor, NHWC, OHWI, NK.</param>
/// <param name="PlanValue">When the plan's logical tensor differs from the ONNX one (a transB-folded NK matrix): the plan's.</param>
internal sealed record Operand(string Name, Tensor Value, string Layout = "rowmajor", PlanStorage Storage = PlanStorage.Arena, Tensor? PlanValue = null);

/// <summary>What a kernel test produced: the reference executor's output and the generated kernel's, both logical (ONNX order).</summary>
internal sealed record KernelResult(float[] Expected, float[] Actual, Shape Shape, string Source);

/// <summary>
/// Runs one plan op through a float emitter and compares it with the compiler's reference executor on the
/// one-node ONNX graph: builds the plan tensors (arena offsets, packed weights blob, inline constants), emits
/// the kernel body, wraps it in a <see cref="KernelClass"/>, compiles it in memory with Roslyn
/// (<see cref="InMemoryCompilation"/>), runs it, and converts the output back to ONNX order.
/// </summary>
internal static class FloatKernelHarness
{
    public static Attribute Int(string name, long value) => new(name, AttributeKind.Int, value);
    public static Attribute Ints(string name, params long[] values) => new(name, AttributeKind.Ints, values);
    public static Attribute FloatAttr(string name, float value) => new(name, AttributeKind.Float, value);
    public static Attribute String(string name, string value) => new(name, AttributeKind.String, value);

    /// <summary>Uniform values in [−1, 1) from a fixed seed.</summary>
    public static Tensor Random(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var s = new Shape(shape);
        var values = new float[s.ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return Tensor.Create(s, values);
    }

    /// <param name="outputLayout">Plan layout of the output.</param>
    /// <param name="inPlaceWith">Index of an input whose arena bytes the output reuses (in-place ops), or −1.</param>
    /// <param name="planAttributes">Plan attributes when they differ from the ONNX node's (null: the node's).</param>
    public static KernelResult Run(IOpEmitter emitter, string opType, int opset, Operand?[] inputs, string outputLayout,
        Attribute[]? attributes = null, int inPlaceWith = -1, PlanAttribute[]? planAttributes = null)
    {
        attributes ??= [];
        // The reference: a one-node graph, shape-inferred, executed.
        // A node records the operator version its model opset resolves to (the newest since-version not above it).
        int version = OperatorRegistry.Default.ResolveVersion("", opType, opset) ?? throw new ArgumentException($"{opType} has no version at opset {opset}");
        var node = new Node("node", opType, "", version, inputs.Select(i => i?.Name ?? "").ToList(), ["y"], attributes.ToDictionary(a => a.Name));
        var tensors = new Dictionary<string, TensorInfo>();
        var graphInputs = new List<string>();
        var feeds = new Dictionary<string, Tensor>();
        foreach (var input in inputs)
        {
            if (input is null) continue;
            if (input.Storage == PlanStorage.Arena)
            {
                tensors[input.Name] = new TensorInfo(input.Name, input.Value.ElementType, input.Value.Shape);
                graphInputs.Add(input.Name);
                feeds[input.Name] = input.Value;
            }
            else
            {
                tensors[input.Name] = TensorInfo.ForConstant(input.Name, input.Value);
            }
        }
        var graph = new ModelGraph("kernel", "kernel.test", new Dictionary<string, int> { [""] = opset }, [node], tensors, graphInputs, ["y"]);
        ShapeInference.Run(graph);
        var expected = new ReferenceExecutor(graph).Run(feeds)["y"];

        // The plan: arena tensors at 64-byte aligned offsets, weights in one blob, inline constants as text.
        var planTensors = new Dictionary<string, PlanTensor>();
        var weights = new List<byte>();
        long arenaBytes = 0;
        var arenaValues = new List<(long Offset, byte[] Bytes)>();
        foreach (var input in inputs)
        {
            if (input is null) continue;
            var logical = input.PlanValue ?? input.Value;
            var memory = ToMemory(logical, input.Layout);
            var bytes = MemoryMarshal.AsBytes(memory.AsSpan()).ToArray();
            long offset = 0;
            switch (input.Storage)
            {
                case PlanStorage.Arena:
                    offset = arenaBytes;
                    arenaValues.Add((offset, bytes));
                    arenaBytes = Align(arenaBytes + bytes.Length);
                    break;
                case PlanStorage.Weights:
                    offset = weights.Count;
                    weights.AddRange(bytes);
                    while (weights.Count % 64 != 0) weights.Add(0);
                    break;
            }
            var values = input.Storage == PlanStorage.Inline
                ? new EquatableArray<string>(memory.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))
                : EquatableArray<string>.Empty;
            planTensors[input.Name] = new PlanTensor(input.Name, "float32", new EquatableArray<int>(logical.Shape), input.Layout,
                input.Storage, offset, bytes.Length, values);
        }
        long outputBytes = expected.ElementCount * sizeof(float);
        long outputOffset = inPlaceWith >= 0 ? planTensors[inputs[inPlaceWith]!.Name].Offset : arenaBytes;
        if (inPlaceWith < 0) arenaBytes = Align(arenaBytes + outputBytes);
        planTensors["y"] = new PlanTensor("y", "float32", new EquatableArray<int>(expected.Shape), outputLayout, PlanStorage.Arena, outputOffset, outputBytes, EquatableArray<string>.Empty);

        var op = new PlanOp(0, opType, "node", new EquatableArray<string>([$"{opType} node"]),
            new EquatableArray<string>(inputs.Select(i => i?.Name ?? "")), new EquatableArray<string>(["y"]),
            (planAttributes != null ? new EquatableArray<PlanAttribute>(planAttributes) : PlanAttributes.Sorted(attributes)));
        var plan = new ModelPlan(ModelPlan.CurrentVersion, "kernel", new PlanSource("kernel.onnx", new string('0', 64)), ModelPlan.Float32,
            new PlanMemory(arenaBytes, arenaBytes, arenaBytes), new PlanWeights(weights.Count, new string('0', 64)),
            EquatableArray<PlanEdge>.Empty, EquatableArray<PlanEdge>.Empty, new EquatableArray<PlanTensor>(planTensors.Values), new EquatableArray<PlanOp>([op]));

        var code = new CodeWriter();
        var inlineConstants = new SortedDictionary<string, PlanTensor>(StringComparer.Ordinal);
        var context = new OpEmitContext(plan, op, planTensors, inlineConstants, code);
        Assert.Contains(opType, emitter.OpTypes);
        emitter.Emit(context);
        Assert.True(context.Problems.Count == 0, "emitter reported: " + string.Join("; ", context.Problems));

        string source = KernelClass.Source(code.ToString(), inlineConstants);
        var arena = new byte[arenaBytes];
        foreach (var (offset, bytes) in arenaValues) bytes.CopyTo(arena, offset);
        KernelClass.Run(source, arena, weights.ToArray(), checkOverflow: false);

        var outputMemory = MemoryMarshal.Cast<byte, float>(arena.AsSpan((int)outputOffset, (int)outputBytes)).ToArray();
        var actual = FromMemory(outputMemory, expected.Shape, outputLayout);
        return new KernelResult(expected.As<float>(), actual, expected.Shape, source);
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ <paramref name="relative"/> · max(|expected|) for every element, or bit equality
    /// when <paramref name="relative"/> is 0 (NaN equals NaN).
    /// </summary>
    public static void AssertAgrees(KernelResult result, double relative)
    {
        Assert.Equal(result.Expected.Length, result.Actual.Length);
        double range = result.Expected.Where(float.IsFinite).Select(v => (double)Math.Abs(v)).DefaultIfEmpty(0).Max();
        double tolerance = relative * range;
        for (int i = 0; i < result.Expected.Length; i++)
        {
            float e = result.Expected[i], a = result.Actual[i];
            bool ok = relative == 0
                ? BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(a) || (float.IsNaN(e) && float.IsNaN(a))
                : e == a || Math.Abs(e - a) <= tolerance || (float.IsNaN(e) && float.IsNaN(a));
            Assert.True(ok, $"element {i} of {result.Shape}: reference {e:R}, generated {a:R} (tolerance {tolerance:G3})\n{result.Source}");
        }
    }

    private static long Align(long bytes) => (bytes + 63) / 64 * 64;

    /// <summary>The memory order of each layout as a permutation of the logical axes.</summary>
    private static int[] Permutation(string layout, int rank) => layout switch
    {
        "NHWC" or "OHWI" => [0, 2, 3, 1],
        "NK" => [1, 0],
        _ => Enumerable.Range(0, rank).ToArray(),
    };

    public static float[] ToMemory(Tensor logical, string layout)
    {
        var values = logical.As<float>();
        var shape = logical.Shape;
        var permutation = Permutation(layout, shape.Rank);
        var result = new float[values.Length];
        var strides = shape.Strides();
        var memoryShape = permutation.Select(a => shape[a]).ToArray();
        var index = new int[shape.Rank];
        for (int m = 0; m < result.Length; m++)
        {
            // index runs over memory order; the source is the logical element at the permuted index.
            int source = 0;
            for (int i = 0; i < index.Length; i++) source += index[i] * strides[permutation[i]];
            result[m] = values[source];
            for (int i = index.Length - 1; i >= 0; i--)
            {
                if (++index[i] < memoryShape[i]) break;
                index[i] = 0;
            }
        }
        return result;
    }

    public static float[] FromMemory(float[] memory, Shape shape, string layout)
    {
        var permutation = Permutation(layout, shape.Rank);
        var strides = shape.Strides();
        var memoryShape = permutation.Select(a => shape[a]).ToArray();
        var result = new float[memory.Length];
        var index = new int[shape.Rank];
        for (int m = 0; m < memory.Length; m++)
        {
            int target = 0;
            for (int i = 0; i < index.Length; i++) target += index[i] * strides[permutation[i]];
            result[target] = memory[m];
            for (int i = index.Length - 1; i >= 0; i--)
            {
                if (++index[i] < memoryShape[i]) break;
                index[i] = 0;
            }
        }
        return result;
    }
}
