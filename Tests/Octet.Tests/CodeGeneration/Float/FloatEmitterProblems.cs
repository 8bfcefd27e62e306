using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Xunit;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>Runs an emitter on a hand-made op to see what it reports for a plan it cannot handle (nothing is compiled).</summary>
internal static class FloatEmitterProblems
{
    public static PlanTensor Tensor(string name, int[] shape, string layout, PlanStorage storage = PlanStorage.Arena, string type = "float32") =>
        new(name, type, new EquatableArray<int>(shape), layout, storage, 0, 4L * shape.Aggregate(1, (a, b) => a * b), EquatableArray<string>.Empty);

    public static IReadOnlyList<string> Of(IOpEmitter emitter, string opType, PlanTensor[] inputs, PlanTensor output, params PlanAttribute[] attributes)
    {
        var tensors = inputs.Append(output).ToDictionary(t => t.Name);
        var op = new PlanOp(0, opType, "bad", EquatableArray<string>.Empty, new EquatableArray<string>(inputs.Select(i => i.Name)),
            new EquatableArray<string>([output.Name]), new EquatableArray<PlanAttribute>(attributes));
        var plan = new ModelPlan(ModelPlan.CurrentVersion, "bad", new PlanSource("bad.onnx", new string('0', 64)), ModelPlan.Float32,
            new PlanMemory(0, 0, 0), new PlanWeights(0, new string('0', 64)), EquatableArray<PlanEdge>.Empty, EquatableArray<PlanEdge>.Empty,
            new EquatableArray<PlanTensor>(tensors.Values), new EquatableArray<PlanOp>([op]));
        var context = new OpEmitContext(plan, op, tensors, new SortedDictionary<string, PlanTensor>(StringComparer.Ordinal), new CodeWriter());
        emitter.Emit(context);
        Assert.NotEmpty(context.Problems);
        return context.Problems;
    }
}
