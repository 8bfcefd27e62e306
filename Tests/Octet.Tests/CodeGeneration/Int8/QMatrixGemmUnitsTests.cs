using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Generator.Emit;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Plan;
using Xunit;
using static Octet.Tests.Operators.Integer.IntegerHarness;
using Attribute = Octet.Compiler.Graph.Attribute;
using Tensor = Octet.Compiler.Graph.Tensor;

namespace Octet.Tests.CodeGeneration.Int8;

/// <summary>
/// QGemm and QMatMul large enough to split into work units (at least <c>QConvEmitter.ParallelMacs</c>
/// multiply-accumulates), emitted in a class that can split, and run with the units grouped three ways: all in one
/// call (a class without a worker team), each unit alone in reverse order, and two halves, the second first (what
/// threads claiming chunks may do). Every grouping must give the reference's bytes: units write disjoint outputs and
/// each call packs its own weight panels (and computes its own column terms). The shapes cover one unit per weight
/// panel (one row: shufflenet's classifier) and several row groups per panel.
/// </summary>
public sealed class QMatrixGemmUnitsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void QGemm_units_give_the_reference_bytes_however_they_are_grouped(int grouping)
    {
        foreach (var (rows, depth, columns, aType, folded) in new[] { (1, 1024, 1000, ElementType.Int8, true), (70, 999, 50, ElementType.UInt8, false) })
        {
            var random = new Random(rows * 31 + depth);
            var a = Random8(random, aType, [rows, depth]);
            var w = Random8(random, ElementType.Int8, [depth, columns]);
            var (aMin, aMax) = Range(aType);
            int aZeroPoint = random.Next(aMin, aMax + 1) | 1;
            var wZeroPoints = new int[columns];
            var bias = Enumerable.Range(0, columns).Select(_ => random.Next(-50000, 50000)).ToArray();
            var scales = Enumerable.Range(0, columns).Select(_ => 60.0 / (Math.Sqrt(depth) * 128 * 128) * (0.5 + random.NextDouble())).ToArray();
            var attributes = FixedPoint(ElementType.Int8, 3, scales);
            attributes.Add(Int("a_zero_point", aZeroPoint));
            attributes.Add(Ints("w_zero_point", 0));
            var planBias = bias;
            if (folded)
            {
                attributes.Add(Int(FoldedBias.AttributeName, 1));
                planBias = FoldedBias.Apply(bias, FoldedBias.WeightSums(w, wZeroPoints, columns, i => i % columns), aZeroPoint, -1);
            }
            var b = From(ElementType.Int32, [columns], planBias);
            var expected = Run(new QGemm(), Node("QGemm", 3, attributes), [a, w, b], constantInputs: true);

            var kernel = new SplitKernel();
            kernel.Arena("a", aType, [rows, depth], Int8KernelHarness.Bytes(a));
            kernel.Weights("w", ElementType.Int8, [depth, columns], "NK", Int8KernelHarness.Bytes(Int8KernelHarness.ToNk(w)));
            kernel.Weights("b", ElementType.Int32, [columns], "rowmajor", Int8KernelHarness.Bytes(b));
            kernel.Arena("y", ElementType.Int8, [rows, columns], null);
            var (output, source) = kernel.Run(new QGemmEmitter(), "octet.QGemm", ["a", "w", "b"], "y", attributes, grouping);
            Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, ElementType.Int8, [rows, columns]), source);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void QMatMul_units_give_the_reference_bytes_however_they_are_grouped(int grouping)
    {
        var random = new Random(197);
        int[] aShape = [1, 197, 192], bShape = [192, 40];
        var a = Random8(random, ElementType.Int8, aShape);
        var b = Random8(random, ElementType.Int8, bShape);
        var attributes = FloatMode(ElementType.UInt8, 128, [(float)(60.0 / (Math.Sqrt(192) * 128 * 128))]);
        attributes.Add(Int("a_zero_point", -17));
        attributes.Add(Int("b_zero_point", 5));
        var expected = Run(new QMatMul(), Node("QMatMul", 2, attributes), [a, b]);

        var kernel = new SplitKernel();
        kernel.Arena("a", ElementType.Int8, aShape, Int8KernelHarness.Bytes(a));
        kernel.Weights("b", ElementType.Int8, bShape, "NK", Int8KernelHarness.Bytes(Int8KernelHarness.ToNk(b)));
        kernel.Arena("y", ElementType.UInt8, [1, 197, 40], null);
        var (output, source) = kernel.Run(new QMatMulEmitter(), "octet.QMatMul", ["a", "b"], "y", attributes, grouping);
        Int8KernelHarness.AssertIdentical(expected, Int8KernelHarness.FromBytes(output, ElementType.UInt8, [1, 197, 40]), source);
    }

    /// <summary>
    /// One op emitted with a units field (so the emitter may split it) into a class whose <c>RunUnits</c> groups the
    /// units as the test says: 0 all at once, 1 one by one from the last, 2 the second half before the first.
    /// </summary>
    private sealed class SplitKernel
    {
        private readonly List<PlanTensor> _tensors = [];
        private readonly Dictionary<string, byte[]> _arenaData = [];
        private readonly List<byte> _weights = [];
        private int _arenaBytes;

        private static int Align(long offset) => (int)((offset + 63) / 64 * 64);

        private static string TypeName(ElementType type) => type switch
        {
            ElementType.Int8 => "int8",
            ElementType.UInt8 => "uint8",
            ElementType.Int32 => "int32",
            _ => throw new ArgumentException(type.ToString()),
        };

        public void Arena(string name, ElementType type, int[] shape, byte[]? bytes)
        {
            long size = new Shape(shape).ElementCount * type.SizeInBytes();
            int offset = Align(_arenaBytes);
            _arenaBytes = offset + (int)size;
            _tensors.Add(new PlanTensor(name, TypeName(type), shape.ToEquatableArray(), "rowmajor", PlanStorage.Arena, offset, size, EquatableArray<string>.Empty));
            if (bytes != null) _arenaData[name] = bytes;
        }

        public void Weights(string name, ElementType type, int[] shape, string layout, byte[] bytes)
        {
            int offset = Align(_weights.Count);
            while (_weights.Count < offset) _weights.Add(0);
            _weights.AddRange(bytes);
            _tensors.Add(new PlanTensor(name, TypeName(type), shape.ToEquatableArray(), layout, PlanStorage.Weights, offset, bytes.Length, EquatableArray<string>.Empty));
        }

        public (byte[] Output, string Source) Run(IOpEmitter emitter, string opType, string[] inputs, string output, IEnumerable<Attribute> attributes, int grouping)
        {
            var op = new PlanOp(0, opType, "n", new[] { "Test n" }.ToEquatableArray(), inputs.ToEquatableArray(), new[] { output }.ToEquatableArray(),
                PlanAttributes.Sorted(attributes));
            var plan = new ModelPlan(ModelPlan.CurrentVersion, "test", new PlanSource("test.onnx", new string('0', 64)), ModelPlan.IntegerOnly,
                new PlanMemory(Align(_arenaBytes), 0, 0), new PlanWeights(_weights.Count, new string('0', 64)),
                EquatableArray<PlanEdge>.Empty, EquatableArray<PlanEdge>.Empty, _tensors.ToEquatableArray(), new[] { op }.ToEquatableArray());
            var body = new CodeWriter();
            var context = new OpEmitContext(plan, op, _tensors.ToDictionary(t => t.Name), new SortedDictionary<string, PlanTensor>(StringComparer.Ordinal), body, "_units");
            emitter.Emit(context);
            Assert.True(context.Problems.Count == 0, "the emitter reported: " + string.Join("; ", context.Problems));
            Assert.True(context.UnitsCode != null && context.Units > 1, $"the op was not split into units:\n{body}");
            string source = Source(body.ToString(), context.UnitsCode!.ToString());

            var arena = new byte[Align(_arenaBytes) + 64];
            foreach (var (name, bytes) in _arenaData) bytes.CopyTo(arena, (int)_tensors.Single(t => t.Name == name).Offset);
            var compilation = InMemoryCompilation.Create("OctetSplitKernel_" + Guid.NewGuid().ToString("N"), [InMemoryCompilation.Parse(source)], checkOverflow: true);
            var type = InMemoryCompilation.EmitAndLoad(compilation, source).GetType("OctetKernelTest.SplitKernel", throwOnError: true)!;
            try
            {
                var instance = Activator.CreateInstance(type, arena, _weights.ToArray(), grouping)!;
                type.GetMethod("Run")!.Invoke(instance, null);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new Xunit.Sdk.XunitException($"the generated kernel threw {e.InnerException}\n{InMemoryCompilation.Numbered(source)}");
            }
            finally
            {
                AssemblyLoadContext.GetLoadContext(type.Assembly)!.Unload();
            }
            var y = _tensors.Single(t => t.Name == output);
            return (arena.AsSpan((int)y.Offset, (int)y.Bytes).ToArray(), source);
        }

        private static string Source(string body, string units)
        {
            var code = new StringBuilder();
            code.Append("""
                using System;

                namespace OctetKernelTest
                {
                    public sealed class SplitKernel
                    {
                        private readonly byte[] _arena;
                        private readonly byte[] _weights;
                        private readonly int _grouping;
                        private readonly Action<int, int> _units;

                        public SplitKernel(byte[] arena, byte[] weights, int grouping)
                        {
                            _arena = arena;
                            _weights = weights;
                            _grouping = grouping;
                            _units = Units;
                        }

                        private global::System.Span<T> Arena<T>(int byteOffset, int count) where T : unmanaged =>
                            global::System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(global::System.MemoryExtensions.AsSpan(_arena, byteOffset)).Slice(0, count);

                        private global::System.ReadOnlySpan<T> Weights<T>(long byteOffset, int count) where T : unmanaged =>
                            global::System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(global::System.MemoryExtensions.AsSpan(_weights, (int)byteOffset)).Slice(0, count);

                        private void RunUnits(int count, Action<int, int> units)
                        {
                            if (_grouping == 0) units(0, count);
                            else if (_grouping == 1) for (int u = count - 1; u >= 0; u--) units(u, u + 1);
                            else
                            {
                                units(count / 2, count);
                                units(0, count / 2);
                            }
                        }

                        public void Run()
                        {

                """);
            foreach (var line in body.Split('\n').Where(l => l.Length > 0)) code.Append("            ").Append(line).Append('\n');
            code.Append("        }\n\n        private void Units(int first, int end)\n        {\n");
            foreach (var line in units.Split('\n').Where(l => l.Length > 0)) code.Append("            ").Append(line).Append('\n');
            code.Append("        }\n    }\n}\n");
            return code.ToString();
        }
    }
}
