using Octet.Compiler.Planning;
using Octet.Generator.Plan;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// What <see cref="ModelCompiler"/> produces: the plan (as records and as its text), the packed weights it
/// refers into, the memory plan and its report, and the final graph (laid out, Relayout nodes included, edge
/// quantization steps still in it) which the reference executor runs to check the plan's semantics.
/// </summary>
/// <param name="Layouts">Arena tensor → "rowmajor" or "NHWC" (the same as the plan's tensor lines).</param>
public sealed record CompiledModel(
    ModelPlan Plan,
    string PlanText,
    byte[] Weights,
    MemoryPlan Memory,
    string MemoryReport,
    Graph.ModelGraph Graph,
    IReadOnlyDictionary<string, string> Layouts);
