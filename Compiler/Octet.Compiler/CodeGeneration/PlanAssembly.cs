using System.Globalization;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Planning;
using Octet.Generator.Plan;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// Turns the compiled pieces into a <see cref="ModelPlan"/>: edges in ONNX order, tensors in order of first use
/// (graph inputs and their 8-bit counterparts first), ops in execution order with typed attributes sorted by
/// name and <c>from</c> naming the ONNX node each implements.
/// </summary>
public static class PlanAssembly
{
    /// <param name="OriginalOpTypes">Node name → op type in the model as loaded.</param>
    public sealed record Parts(
        string Model,
        PlanSource Source,
        string Numerics,
        ModelGraph Graph,
        IReadOnlyList<Node> Ops,
        EdgeQuantization Edges,
        IReadOnlyDictionary<string, string> Layouts,
        MemoryPlan Memory,
        PackedWeights Weights,
        IReadOnlyDictionary<string, string> OriginalOpTypes);

    public static ModelPlan Build(Parts parts)
    {
        var graph = parts.Graph;
        var tensors = new List<PlanTensor>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var constants = parts.Weights.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var planned = parts.Memory.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);

        void DeclareArena(string name)
        {
            if (!declared.Add(name)) return;
            var info = graph.Tensor(name);
            if (info.IsConstant) throw OctetException.AtTensor(name, "is a constant graph input or output; code generation needs it computed");
            var where = planned[name];
            tensors.Add(new PlanTensor(name, ElementTypeNames.PlanName(info.ElementType, name), info.Shape.ToArray().ToEquatableArray(),
                parts.Layouts[name], PlanStorage.Arena, where.Offset, where.SizeBytes, EquatableArray<string>.Empty));
        }

        var inputs = new List<PlanEdge>();
        foreach (var input in graph.Inputs)
        {
            DeclareArena(input);
            PlanEdgeQuantization? step = parts.Edges.Inputs.TryGetValue(input, out var edge) ? edge.Step : null;
            if (step is not null) DeclareArena(step.Tensor);
            inputs.Add(new PlanEdge(input, input, step));
        }

        var ops = new List<PlanOp>();
        for (int index = 0; index < parts.Ops.Count; index++)
        {
            var node = parts.Ops[index];
            var opInputs = new List<string>();
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var name = node.Inputs[i];
                if (name.Length == 0) { opInputs.Add(""); continue; }
                if (parts.Weights.InputNames.TryGetValue((index, i), out var constant))
                {
                    if (declared.Add(constant)) tensors.Add(constants[constant]);
                    opInputs.Add(constant);
                    continue;
                }
                DeclareArena(name);
                opInputs.Add(name);
            }
            // An int16-input Table reads its 65,536 entries from the weights (WeightPacker) instead of its attribute.
            string? table = parts.Weights.TableInputs is { } tables && tables.TryGetValue(index, out var tableName) ? tableName : null;
            if (table is not null)
            {
                if (declared.Add(table)) tensors.Add(constants[table]);
                opInputs.Add(table);
            }
            foreach (var output in node.Outputs) if (output.Length > 0) DeclareArena(output);
            ops.Add(new PlanOp(index, SupportedOps.PlanOpType(node), node.Name, From(node, parts.OriginalOpTypes),
                opInputs.ToEquatableArray(), node.Outputs.ToEquatableArray(), Attributes(node, table is null ? null : "table")));
        }

        var outputs = new List<PlanEdge>();
        foreach (var output in graph.Outputs)
        {
            PlanEdgeQuantization? step = parts.Edges.Outputs.TryGetValue(output, out var edge) ? edge.Step : null;
            if (step is not null) DeclareArena(step.Tensor);
            DeclareArena(output);
            outputs.Add(new PlanEdge(output, output, step));
        }

        return new ModelPlan(ModelPlan.CurrentVersion, parts.Model, parts.Source, parts.Numerics,
            new PlanMemory(parts.Memory.ArenaBytes, parts.Memory.LowerBoundBytes, parts.Memory.NaiveBytes),
            new PlanWeights(parts.Weights.Blob.LongLength, ModelCompiler.Sha256(parts.Weights.Blob)),
            inputs.ToEquatableArray(), outputs.ToEquatableArray(), tensors.ToEquatableArray(), ops.ToEquatableArray());
    }

    /// <summary>
    /// The ONNX node an op implements: the node of the same name in the model as loaded (lowering and the
    /// rewrites keep names), or for nodes a stage added ("gemm__transposeA"), the node named before the "__".
    /// Relayout implements no ONNX node.
    /// </summary>
    private static EquatableArray<string> From(Node node, IReadOnlyDictionary<string, string> originalOpTypes)
    {
        if (node.Domain == IntegerOperator.OctetDomain && node.OpType == "Relayout") return EquatableArray<string>.Empty;
        if (originalOpTypes.TryGetValue(node.Name, out var opType)) return new[] { PlanOp.FromEntry(opType, node.Name) }.ToEquatableArray();
        int cut = node.Name.IndexOf("__", StringComparison.Ordinal);
        if (cut > 0 && originalOpTypes.TryGetValue(node.Name[..cut], out var stemType))
            return new[] { PlanOp.FromEntry(stemType, node.Name[..cut]) }.ToEquatableArray();
        return EquatableArray<string>.Empty;
    }

    private static EquatableArray<PlanAttribute> Attributes(Node node, string? moved = null)
    {
        var result = new List<PlanAttribute>();
        foreach (var (name, attribute) in node.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (name == moved) continue;
            var invariant = CultureInfo.InvariantCulture;
            result.Add(attribute.Kind switch
            {
                AttributeKind.Int => new PlanAttribute(name, PlanAttributeKind.Int, new[] { ((long)attribute.Value!).ToString(invariant) }.ToEquatableArray()),
                AttributeKind.Ints => new PlanAttribute(name, PlanAttributeKind.Ints, ((long[])attribute.Value!).Select(v => v.ToString(invariant)).ToEquatableArray()),
                AttributeKind.Float => new PlanAttribute(name, PlanAttributeKind.Float, new[] { PlanText.Float((float)attribute.Value!) }.ToEquatableArray()),
                AttributeKind.Floats => new PlanAttribute(name, PlanAttributeKind.Floats, ((float[])attribute.Value!).Select(PlanText.Float).ToEquatableArray()),
                AttributeKind.String => new PlanAttribute(name, PlanAttributeKind.String, new[] { (string)attribute.Value! }.ToEquatableArray()),
                _ => throw OctetException.AtNode(node, $"attribute '{name}' is a {attribute.Kind}; a plan holds int, ints, float, floats and string attributes only"),
            });
        }
        return result.ToEquatableArray();
    }
}
