using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Octet.Generator.Emit;
using Octet.Generator.Plan;

namespace Octet.Tests.CodeGeneration;

/// <summary>
/// One op emitter's body in the smallest class that gives it what the generated model class gives its op methods:
/// <c>using System;</c>, the <c>Arena&lt;T&gt;</c> and <c>Weights&lt;T&gt;</c> accessors (over byte arrays the test
/// fills and reads) and the inline constants as <c>ReadOnlySpan&lt;T&gt;</c> properties, spelled as the model class
/// spells them. The kernel tests compile it with <see cref="InMemoryCompilation"/> and call <c>Run()</c>.
/// </summary>
internal static class KernelClass
{
    public const string FullName = "OctetKernelTest.Kernel";

    /// <param name="inlineConstants">What the emitter registered: property name → tensor.</param>
    /// <param name="preparedFields">Fields the constructor computes once (<see cref="OpEmitContext.Prepare"/>), when the emitter was allowed to prepare.</param>
    public static string Source(string body, IEnumerable<KeyValuePair<string, PlanTensor>> inlineConstants, IReadOnlyList<PreparedField>? preparedFields = null)
    {
        var code = new StringBuilder();
        code.Append("""
            using System;

            namespace OctetKernelTest
            {
                public sealed class Kernel
                {
                    private readonly byte[] _arena;
                    private readonly byte[] _weights;

                    public Kernel(byte[] arena, byte[] weights)
                    {
                        _arena = arena;
                        _weights = weights;
                        Prepare();
                    }

                    private global::System.Span<T> Arena<T>(int byteOffset, int count) where T : unmanaged =>
                        global::System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(global::System.MemoryExtensions.AsSpan(_arena, byteOffset)).Slice(0, count);

                    private global::System.ReadOnlySpan<T> Weights<T>(long byteOffset, int count) where T : unmanaged =>
                        global::System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(global::System.MemoryExtensions.AsSpan(_weights, (int)byteOffset)).Slice(0, count);

                    public void Run()
                    {

            """);
        foreach (var line in body.Split('\n').Where(l => l.Length > 0)) code.Append("            ").Append(line).Append('\n');
        code.Append("        }\n");
        // What the model class's constructor does for prepared fields: set each once from the weights.
        code.Append("        private void Prepare()\n        {\n");
        foreach (var field in preparedFields ?? []) code.Append($"            {field.Name} = {field.Initializer};\n");
        code.Append("        }\n");
        foreach (var field in preparedFields ?? []) code.Append($"        private {field.Type} {field.Name} = null!;\n");
        foreach (var (property, tensor) in inlineConstants)
        {
            string values = string.Join(", ", tensor.Values.Select(v => Literals.Element(tensor.ElementType, v)));
            code.Append($"        private static global::System.ReadOnlySpan<{OpEmitContext.ClrType(tensor.ElementType)}> {property} => [{values}];\n");
        }
        code.Append("    }\n}\n");
        return code.ToString();
    }

    /// <summary>Compiles <paramref name="source"/> (see <see cref="InMemoryCompilation.EmitAndLoad"/>) and returns the kernel type.</summary>
    /// <param name="checkOverflow">A checked build: the kernel must say <c>unchecked</c> wherever it may wrap.</param>
    public static Type Compile(string source, bool checkOverflow)
    {
        var compilation = InMemoryCompilation.Create("OctetKernel_" + Guid.NewGuid().ToString("N"), [InMemoryCompilation.Parse(source)], checkOverflow);
        return InMemoryCompilation.EmitAndLoad(compilation, source).GetType(FullName, throwOnError: true)!;
    }

    /// <summary>Compiles and runs the kernel once over <paramref name="arena"/> and <paramref name="weights"/>, then unloads it.</summary>
    public static void Run(string source, byte[] arena, byte[] weights, bool checkOverflow)
    {
        var type = Compile(source, checkOverflow);
        try
        {
            var kernel = Activator.CreateInstance(type, arena, weights)!;
            type.GetMethod("Run")!.Invoke(kernel, null);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new Xunit.Sdk.XunitException($"the generated kernel threw {e.InnerException}\n{InMemoryCompilation.Numbered(source)}");
        }
        finally
        {
            AssemblyLoadContext.GetLoadContext(type.Assembly)!.Unload();
        }
    }
}
