using System.Security.Cryptography;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Operators.Layout;
using Octet.Compiler.Planning;
using Octet.Compiler.Quantization.Config;
using Octet.Generator.Plan;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// Compiles an ONNX model into a model plan and its packed weights (docs/model-plan.md). Stages, each its own
/// class: <see cref="GraphPreparation"/> (normalize, or quantize and lower, or import and lower) →
/// <see cref="GraphRewrites"/> (op forms the emitters support) → <see cref="SupportedOps"/> check →
/// <see cref="EdgeQuantization"/> (input QuantizeLinear / output DequantizeLinear onto the plan's edges) →
/// <see cref="LayoutAssignment"/> (NHWC, Relayout) → schedule (edge steps first and last) →
/// <see cref="MemoryPlanner"/> (arena offsets, checked by <see cref="MemoryPlanCheck"/>) →
/// <see cref="WeightPacker"/> → <see cref="PlanAssembly"/>. Deterministic: the same model, config and
/// compiler give the same plan text and weights bytes.
/// </summary>
public static class ModelCompiler
{
    public static CompiledModel Compile(string modelPath, CompileOptions? options = null)
    {
        options ??= new CompileOptions();
        var graph = OnnxModelLoader.Load(modelPath, options.Shapes);
        var config = options.QuantizationConfigPath is { } configPath ? GraphPreparation.LoadConfig(configPath, graph) : null;
        return Compile(graph, File.ReadAllBytes(modelPath), config, options.Numerics);
    }

    /// <param name="graph">The loaded (shape-inferred) model.</param>
    /// <param name="modelBytes">The ONNX file's bytes, for the plan's source hash.</param>
    public static CompiledModel Compile(ModelGraph graph, byte[] modelBytes, QuantizationConfig? config, NumericsMode? numerics)
    {
        var prepared = GraphPreparation.Prepare(graph, config, numerics);
        var working = prepared.Graph.Clone();
        GraphRewrites.Run(working);
        SupportedOps.Check(working);

        var laidOut = LayoutAssignment.Run(working, new HashSet<Node>(EdgeQuantization.Find(working).Nodes));
        // Found again on the laid-out graph: layout assignment keeps the edge steps row-major but may give an output
        // step a new input (a Relayout of what an NHWC op wrote), and that is the 8-bit tensor the plan must name.
        var edges = EdgeQuantization.Find(laidOut.Graph);
        var edgeNodes = new HashSet<Node>(edges.Nodes);
        var scheduled = Schedule(laidOut.Graph, edgeNodes);
        SupportedOps.Check(scheduled);

        var channelsLast = new HashSet<string>(laidOut.Layouts.Where(l => l.Value == Relayout.Nhwc).Select(l => l.Key), StringComparer.Ordinal);
        var memory = MemoryPlanner.Plan(scheduled, aliasing: true, channelsLast);
        var problems = MemoryPlanCheck.Check(scheduled, memory);
        if (problems.Count > 0)
            throw new OctetException($"model '{graph.SourcePath}': the memory plan failed its check: {string.Join("; ", problems)}");

        var ops = scheduled.Nodes.Where(n => !edgeNodes.Contains(n)).ToList();
        var weights = WeightPacker.Pack(ops, scheduled);
        string model = Path.GetFileNameWithoutExtension(graph.SourcePath);
        var plan = PlanAssembly.Build(new PlanAssembly.Parts(
            model,
            new PlanSource(Path.GetFileName(graph.SourcePath), Sha256(modelBytes)),
            prepared.Numerics,
            scheduled, ops, edges, laidOut.Layouts, memory, weights,
            OriginalOpTypes(graph)));
        string text = PlanWriter.Write(plan);
        string report = MemoryReport.Write(model, prepared.Numerics, scheduled, memory, laidOut.Layouts);
        return new CompiledModel(plan, text, weights.Blob, memory, report, scheduled, laidOut.Layouts);
    }

    /// <summary>
    /// Edge quantization steps run first (inputs) and last (outputs), outside the op list; the memory planner
    /// sees them there, so the float edge tensors and their 8-bit counterparts get lifetimes that match what the
    /// generated Run does: quantize every input before the first op, dequantize every output after the last.
    /// </summary>
    private static ModelGraph Schedule(ModelGraph graph, IReadOnlySet<Node> edgeNodes)
    {
        var first = graph.Nodes.Where(n => edgeNodes.Contains(n) && n.OpType == "QuantizeLinear").ToList();
        var last = graph.Nodes.Where(n => edgeNodes.Contains(n) && n.OpType == "DequantizeLinear").ToList();
        var scheduled = graph.Clone();
        scheduled.Nodes.Clear();
        scheduled.Nodes.AddRange(first);
        scheduled.Nodes.AddRange(graph.Nodes.Where(n => !edgeNodes.Contains(n)));
        scheduled.Nodes.AddRange(last);
        return scheduled;
    }

    /// <summary>ONNX node name → op type in the model as loaded, for the plan's <c>from</c> lines.</summary>
    private static Dictionary<string, string> OriginalOpTypes(ModelGraph graph)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            types.TryAdd(node.Name, node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}");
        return types;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
