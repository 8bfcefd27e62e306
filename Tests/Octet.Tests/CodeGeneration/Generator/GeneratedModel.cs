using Xunit;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Octet.Runtime;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>
/// A generated model class compiled in memory (<see cref="InMemoryCompilation"/>) and loaded, with array-based
/// entry points for tests. (Not to be confused with the compiler's <c>Octet.Compiler.CodeGeneration.CompiledModel</c>,
/// the plan and weights this class is generated from.) Span parameters cannot go through reflection, so a small
/// adapter class is compiled next to the model: it casts arrays to the model's spans. The entry points are delegates, so calling them allocates nothing
/// (which the zero-allocation test relies on).
/// </summary>
public sealed class GeneratedModel
{
    private const string AdapterName = "OctetTestAdapter";

    private GeneratedModel(Assembly assembly, Type type, Action<object, Array[], Array[]> run, Action<object, Array[], Array[]>? runQuantized)
    {
        Assembly = assembly;
        Type = type;
        RunDelegate = run;
        RunQuantizedDelegate = runQuantized;
    }

    public Assembly Assembly { get; }
    public Type Type { get; }
    public Action<object, Array[], Array[]> RunDelegate { get; }
    public Action<object, Array[], Array[]>? RunQuantizedDelegate { get; }

    /// <summary>An instance over the given weights.</summary>
    public object Create(ModelWeights weights) => Activator.CreateInstance(Type, weights)!;

    public object Create(byte[] weights) => Create(ModelWeights.FromBytes(weights));

    /// <summary>Generates (through the driver) and compiles the class for <paramref name="plan"/>; fails the test on any diagnostic.</summary>
    public static GeneratedModel Build(ModelPlan plan, string @namespace = "Octet.Tests.Generated", string className = "TestModel")
    {
        var outcome = GeneratorHarness.Run(PlanInput.From(plan, className, @namespace));
        Assert.True(outcome.Diagnostics.IsEmpty, "generator diagnostics:\n" + string.Join("\n", outcome.Diagnostics));
        return Compile(outcome.Output, plan, @namespace + "." + className);
    }

    /// <summary>Compiles a compilation that already holds a generated class, plus the test adapter for it.</summary>
    public static GeneratedModel Compile(Compilation compilation, ModelPlan plan, string fullName)
    {
        var adapter = InMemoryCompilation.Parse(AdapterSource(plan, fullName), "/src/Adapter.cs");
        var assembly = InMemoryCompilation.EmitAndLoad(compilation.AddSyntaxTrees(adapter));
        var type = assembly.GetType(fullName, throwOnError: true)!;
        var adapterType = assembly.GetType(AdapterName, throwOnError: true)!;
        var run = adapterType.GetMethod("Run")!.CreateDelegate<Action<object, Array[], Array[]>>();
        var runQuantized = adapterType.GetMethod("RunQuantized")?.CreateDelegate<Action<object, Array[], Array[]>>();
        return new GeneratedModel(assembly, type, run, runQuantized);
    }

    private static string AdapterSource(ModelPlan plan, string fullName)
    {
        var tensors = plan.Tensors.ToDictionary(t => t.Name);
        string RunType(PlanEdge e) => OpEmitContext.ClrType(tensors.TryGetValue(e.Tensor, out var t) ? t.ElementType : "float32");
        bool quantized = plan.Inputs.Count > 0 && plan.Outputs.Count > 0 && plan.Inputs.Concat(plan.Outputs).All(e => e.Quantized != null);
        var text = new StringBuilder();
        text.AppendLine("public static class " + AdapterName + " {");
        string Arguments(Func<PlanEdge, string> type) => string.Join(", ",
            plan.Inputs.Select((e, i) => $"(({type(e)}[])inputs[{i}])").Concat(plan.Outputs.Select((e, i) => $"(({type(e)}[])outputs[{i}])")));
        text.AppendLine($"  public static void Run(object model, System.Array[] inputs, System.Array[] outputs) => ((global::{fullName})model).Run({Arguments(RunType)});");
        if (quantized)
            text.AppendLine($"  public static void RunQuantized(object model, System.Array[] inputs, System.Array[] outputs) => ((global::{fullName})model).RunQuantized({Arguments(e => OpEmitContext.ClrType(e.Quantized!.ElementType))});");
        text.AppendLine("}");
        return text.ToString();
    }
}
