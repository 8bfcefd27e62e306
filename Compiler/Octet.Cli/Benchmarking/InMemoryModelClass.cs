using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Octet.Compiler.Diagnostics;
using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Octet.Runtime;

namespace Octet.Cli.Benchmarking;

/// <summary>
/// A generated model class compiled in memory with Roslyn (optimizations on, as a Release build of a user's
/// project compiles it) and loaded into its own load context. Span parameters cannot be called through
/// reflection, so a small binder class is compiled next to the model: it creates an instance over the
/// weights and returns a delegate that calls <c>Run</c> on fixed arrays, so the timed call is one delegate
/// invocation and the model's own code, nothing else.
/// </summary>
internal sealed class InMemoryModelClass
{
    private const string BinderName = "OctetBenchBinder";

    private readonly Func<ModelWeights, Octet.Runtime.Threading.WorkerTeam?, object> create;
    private readonly Func<object, Array[], Array[], Action> bind;

    private InMemoryModelClass(Func<ModelWeights, Octet.Runtime.Threading.WorkerTeam?, object> create, Func<object, Array[], Array[], Action> bind)
    {
        this.create = create;
        this.bind = bind;
    }

    /// <summary>The CLR element type of each <c>Run</c> input, then each output, in plan order.</summary>
    public static (Type[] Inputs, Type[] Outputs) RunTypes(ModelPlan plan)
    {
        var tensors = plan.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Type TypeOf(PlanEdge edge) => ClrType(tensors.TryGetValue(edge.Tensor, out var t) ? t.ElementType : "float32");
        return ([.. plan.Inputs.Select(TypeOf)], [.. plan.Outputs.Select(TypeOf)]);
    }

    /// <summary>Compiles <paramref name="source"/> (the class <paramref name="fullName"/> generated for <paramref name="plan"/>).</summary>
    public static InMemoryModelClass Compile(ModelPlan plan, string source, string fullName)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create("OctetBench_" + fullName.Replace('.', '_'),
            [
                CSharpSyntaxTree.ParseText(source, parse, path: fullName + ".g.cs", encoding: Encoding.UTF8),
                CSharpSyntaxTree.ParseText(BinderSource(plan, fullName), parse, path: BinderName + ".cs", encoding: Encoding.UTF8),
            ],
            UserProjectReferences.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (!emitted.Success)
            throw new OctetException($"the generated class {fullName} does not compile: {string.Join("; ", errors.Take(5))}");
        image.Position = 0;
        var assembly = new AssemblyLoadContext("octet-bench-" + fullName, isCollectible: false).LoadFromStream(image);
        var binder = assembly.GetType(BinderName, throwOnError: true)!;
        var create = binder.GetMethod("Create", BindingFlags.Public | BindingFlags.Static)!
            .CreateDelegate<Func<ModelWeights, Octet.Runtime.Threading.WorkerTeam?, object>>();
        var bind = binder.GetMethod("Bind", BindingFlags.Public | BindingFlags.Static)!
            .CreateDelegate<Func<object, Array[], Array[], Action>>();
        return new InMemoryModelClass(create, bind);
    }

    /// <summary>A new instance over <paramref name="weights"/> and a delegate running it on these arrays (one per input and output, in plan order).</summary>
    public Action Bind(ModelWeights weights, Array[] inputs, Array[] outputs) => Bind(weights, null, inputs, outputs);

    /// <summary>As <see cref="Bind(ModelWeights, Array[], Array[])"/>, the instance splitting its large ops over <paramref name="team"/> (null: single-threaded).</summary>
    public Action Bind(ModelWeights weights, Octet.Runtime.Threading.WorkerTeam? team, Array[] inputs, Array[] outputs) =>
        Instantiate(weights, team, inputs, outputs).Run;

    /// <summary>A new instance of the class (with <paramref name="team"/>) and a delegate calling its <c>Run</c> on the arrays.</summary>
    public (object Model, Action Run) Instantiate(ModelWeights weights, Octet.Runtime.Threading.WorkerTeam? team, Array[] inputs, Array[] outputs)
    {
        var model = create(weights, team);
        return (model, bind(model, inputs, outputs));
    }

    private static string BinderSource(ModelPlan plan, string fullName)
    {
        var (inputTypes, outputTypes) = RunTypes(plan);
        string Name(Type t) => t == typeof(float) ? "float" : t == typeof(sbyte) ? "sbyte" : t == typeof(byte) ? "byte"
            : t == typeof(int) ? "int" : t == typeof(long) ? "long" : throw new InvalidOperationException(t.Name);
        var text = new StringBuilder();
        text.Append("public static class ").Append(BinderName).Append('\n').Append("{\n");
        text.Append("    public static object Create(Octet.Runtime.ModelWeights weights, Octet.Runtime.Threading.WorkerTeam team) => new global::")
            .Append(fullName).Append("(weights) { Team = team };\n");
        text.Append("    public static System.Action Bind(object instance, System.Array[] inputs, System.Array[] outputs)\n    {\n");
        text.Append("        var model = (global::").Append(fullName).Append(")instance;\n");
        for (int i = 0; i < inputTypes.Length; i++) text.Append($"        var i{i} = ({Name(inputTypes[i])}[])inputs[{i}];\n");
        for (int o = 0; o < outputTypes.Length; o++) text.Append($"        var o{o} = ({Name(outputTypes[o])}[])outputs[{o}];\n");
        var arguments = Enumerable.Range(0, inputTypes.Length).Select(i => $"i{i}").Concat(Enumerable.Range(0, outputTypes.Length).Select(o => $"o{o}"));
        text.Append("        return () => model.Run(").Append(string.Join(", ", arguments)).Append(");\n    }\n}\n");
        return text.ToString();
    }

    private static Type ClrType(string elementType) => OpEmitContext.ClrType(elementType) switch
    {
        "float" => typeof(float),
        "sbyte" => typeof(sbyte),
        "byte" => typeof(byte),
        "int" => typeof(int),
        "long" => typeof(long),
        var other => throw new OctetException($"octet bench: no array type for plan element type {elementType} ({other})"),
    };

    /// <summary>
    /// What a user's project references: the framework's System.* assemblies and Octet.Runtime (also what the
    /// tests compile generated code against).
    /// </summary>
    internal static readonly Lazy<MetadataReference[]> UserProjectReferences = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(Arena).Assembly.Location)
            .Distinct(StringComparer.Ordinal);
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });
}
