using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit
{
    /// <summary>
    /// Writes the C# source of one model class from its plan: the typed API (names, shapes and lengths of the
    /// inputs and outputs as constants, constructors, <c>Run</c>, <c>RunQuantized</c>), the arena and weights
    /// accessors, one private method per op (its body written by the op's <see cref="IOpEmitter"/>), and the
    /// inline constants. Deterministic: the same plan and names give the same text, with <c>\n</c> line ends.
    /// Never throws on a bad plan: problems come back as data in <see cref="ModelEmitResult.Problems"/>.
    /// </summary>
    public static class ModelClassEmitter
    {
        private const string RuntimeNamespace = "global::Octet.Runtime";

        public static ModelEmitResult Emit(ModelPlan plan, string @namespace, string className) =>
            new Writer(plan, @namespace, className).Write();

        /// <summary>The manifest resource name the Octet MSBuild targets give the packed weights of a class.</summary>
        public static string WeightsResourceName(string @namespace, string className) => "Octet." + @namespace + "." + className + ".weights";

        /// <summary>How one graph input or output appears in the API.</summary>
        private sealed class Edge
        {
            public Edge(PlanEdge plan, string prefix, string parameter, PlanTensor? tensor, PlanTensor? quantized)
            {
                Plan = plan;
                Prefix = prefix;
                Parameter = parameter;
                Tensor = tensor;
                Quantized = quantized;
            }

            public PlanEdge Plan { get; }
            /// <summary>"Input" when the model has one input, else "Input0", "Input1", ... (same for outputs).</summary>
            public string Prefix { get; }
            public string Parameter { get; }
            /// <summary>The edge's own (float or other) tensor; null when the plan declares only its 8-bit side.</summary>
            public PlanTensor? Tensor { get; }
            /// <summary>The 8-bit tensor across the edge quantization step, when there is one.</summary>
            public PlanTensor? Quantized { get; }

            /// <summary>The logical shape callers see (the quantized side has the same one).</summary>
            public EquatableArray<int> Shape => (Tensor ?? Quantized)!.Shape;
            public long Length => OpEmitContext.ElementCount((Tensor ?? Quantized)!);
            /// <summary>Element type of <c>Run</c>'s span for this edge: the edge tensor's type (float32 when quantized at the edge).</summary>
            public string RunType => Tensor != null ? OpEmitContext.ClrType(Tensor.ElementType) : "float";
        }

        private sealed class Writer
        {
            private readonly ModelPlan _plan;
            private readonly string _namespace;
            private readonly string _className;
            private readonly List<EmitProblem> _problems = new List<EmitProblem>();
            private readonly Dictionary<string, PlanTensor> _tensors = new Dictionary<string, PlanTensor>(StringComparer.Ordinal);
            private readonly SortedDictionary<string, PlanTensor> _inlineConstants = new SortedDictionary<string, PlanTensor>(StringComparer.Ordinal);
            private readonly CodeWriter _code = new CodeWriter();
            private List<Edge> _inputs = new List<Edge>();
            private List<Edge> _outputs = new List<Edge>();
            private readonly List<OpBody> _bodies = new List<OpBody>();

            public Writer(ModelPlan plan, string @namespace, string className)
            {
                _plan = plan;
                _namespace = @namespace;
                _className = className;
            }

            private void Problem(string id, string message, int opIndex = -1) => _problems.Add(new EmitProblem(id, message, opIndex));

            public ModelEmitResult Write()
            {
                IndexTensors();
                _inputs = Edges(_plan.Inputs, "Input", "input", isInput: true);
                _outputs = Edges(_plan.Outputs, "Output", "output", isInput: false);
                if (_plan.Memory.ArenaBytes > int.MaxValue)
                    Problem("OCT006", $"model '{_plan.Model}': the arena needs {_plan.Memory.ArenaBytes} bytes; the generated class addresses at most {int.MaxValue}");

                // Op bodies first: the constructor caches a delegate for every op that splits into units.
                EmitOpBodies();
                WriteHeader();
                _code.Open($"public sealed partial class {_className}");
                WriteEdgeConstants(_inputs, "input");
                WriteEdgeConstants(_outputs, "output");
                WriteStorage();
                WriteRun();
                if (IsFullyQuantized) WriteRunQuantized();
                WriteRunOps();
                WriteOps();
                WriteAccessors();
                WriteInlineConstants();
                _code.Close();
                return new ModelEmitResult(_code.ToString(), _problems.ToEquatableArray());
            }

            private void IndexTensors()
            {
                foreach (var tensor in _plan.Tensors)
                {
                    if (_tensors.ContainsKey(tensor.Name))
                        Problem("OCT006", $"model '{_plan.Model}': tensor '{tensor.Name}' is declared twice");
                    else _tensors.Add(tensor.Name, tensor);
                }
                // Inline constants become properties named after the tensor; names that sanitize alike would collide.
                foreach (var group in _plan.Tensors.Where(t => t.Storage == PlanStorage.Inline)
                             .GroupBy(t => OpEmitContext.InlineConstantName(t.Name)).Where(g => g.Count() > 1))
                    Problem("OCT006", $"model '{_plan.Model}': inline constants {string.Join(", ", group.Select(t => "'" + t.Name + "'"))} " +
                                      $"would all be named {group.Key} in C#; rename one in the model");
            }

            private List<Edge> Edges(EquatableArray<PlanEdge> edges, string prefix, string parameter, bool isInput)
            {
                var result = new List<Edge>();
                string kind = isInput ? "input" : "output";
                for (int i = 0; i < edges.Count; i++)
                {
                    var edge = edges[i];
                    bool single = edges.Count == 1;
                    _tensors.TryGetValue(edge.Tensor, out var tensor);
                    PlanTensor? quantized = null;
                    if (edge.Quantized != null && !_tensors.TryGetValue(edge.Quantized.Tensor, out quantized))
                        Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}' is {(isInput ? "quantized into" : "dequantized from")} tensor '{edge.Quantized.Tensor}', which the plan does not declare");
                    if (tensor == null && quantized == null)
                    {
                        if (edge.Quantized == null)
                            Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}' names tensor '{edge.Tensor}', which the plan does not declare");
                        continue;
                    }
                    var inArena = quantized ?? tensor!;
                    if (inArena.Storage != PlanStorage.Arena)
                        Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}' is held by tensor '{inArena.Name}', which is not in the arena");
                    if (!TensorLayouts.IsActivationLayout(inArena))
                        Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}' is held by tensor '{inArena.Name}' in layout {inArena.Layout}; edges must be rowmajor or rank-4 NHWC");
                    if (tensor != null && quantized != null && OpEmitContext.ElementCount(tensor) != OpEmitContext.ElementCount(quantized))
                        Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}': tensor '{tensor.Name}' and its 8-bit side '{quantized.Name}' have different shapes");
                    if (tensor != null && quantized != null && tensor.ElementType != "float32")
                        Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}' is {tensor.ElementType}; only float32 edges are (de)quantized");
                    if (quantized != null && quantized.ElementType != edge.Quantized!.ElementType)
                        Problem("OCT006", $"model '{_plan.Model}': {kind} '{edge.Name}' says {edge.Quantized.ElementType} but tensor '{quantized.Name}' is {quantized.ElementType}");
                    result.Add(new Edge(edge, single ? prefix : prefix + i, single ? parameter : parameter + i, tensor, quantized));
                }
                return result;
            }

            private bool IsFullyQuantized =>
                _inputs.Count > 0 && _outputs.Count > 0 &&
                _inputs.Count == _plan.Inputs.Count && _outputs.Count == _plan.Outputs.Count &&
                _inputs.All(e => e.Quantized != null) && _outputs.All(e => e.Quantized != null);

            private void WriteHeader()
            {
                _code.Line("// <auto-generated/>");
                _code.Line($"// Generated by the Octet source generator from the model plan of {Literals.Quoted(_plan.Model)}");
                _code.Line($"// (ONNX file {Literals.Quoted(_plan.Source.FileName)}, sha256 {Literals.Comment(_plan.Source.Sha256)}). Do not edit: change the model or");
                _code.Line("// its quantization config and rebuild.");
                _code.Line("using System;");
                _code.Line();
                _code.Line($"namespace {_namespace};");
                _code.Line();
                string precision = _plan.Numerics == ModelPlan.Float32 ? "float32" : $"int8, {_plan.Numerics}";
                _code.Line($"/// <summary>{Literals.Xml(_plan.Model)} ({Literals.Xml(precision)}): {Describe(_inputs)} → {Describe(_outputs)}.</summary>");
                _code.Line("/// <remarks>");
                _code.Line($"/// Generated by Octet from {Literals.Xml(_plan.Source.FileName)}. Arena {_plan.Memory.ArenaBytes} bytes (lower bound {_plan.Memory.LowerBoundBytes}, " +
                           $"one buffer per tensor would take {_plan.Memory.NaiveBytes}); weights {_plan.Weights.Bytes} bytes.");
                _code.Line("/// Each instance owns its arena, so <c>Run</c> allocates nothing; an instance runs one inference at a time");
                _code.Line("/// (not thread-safe), use one instance per thread. Single-threaded unless given a <see cref=\"Team\"/>.");
                _code.Line("/// </remarks>");
            }

            private static string Describe(List<Edge> edges) =>
                edges.Count == 0 ? "nothing" : string.Join(", ", edges.Select(e => Literals.Xml(e.Plan.Name) + " " + Literals.Shape(e.Shape)));

            private void WriteEdgeConstants(List<Edge> edges, string kind)
            {
                foreach (var edge in edges)
                {
                    string where = edges.Count == 1 ? $"the model's {kind}" : $"{kind} {edge.Prefix.Substring(kind.Length)}";
                    _code.Line($"/// <summary>ONNX name of {where}.</summary>");
                    _code.Line($"public const string {edge.Prefix}Name = {Literals.String(edge.Plan.Name)};");
                    _code.Line();
                    _code.Line($"/// <summary>Shape of {where} ({Literals.Xml(edge.Plan.Name)}), in ONNX order; elements are passed row-major.</summary>");
                    _code.Line($"public static ReadOnlySpan<int> {edge.Prefix}Shape => {Literals.Ints(edge.Shape)};");
                    _code.Line();
                    _code.Line($"/// <summary>Number of elements of {where} ({Literals.Xml(edge.Plan.Name)}): the span length <c>Run</c> expects.</summary>");
                    _code.Line($"public const int {edge.Prefix}Length = {edge.Length};");
                    _code.Line();
                    if (edge.Plan.Quantized is { } q)
                    {
                        string verb = kind == "input" ? "quantizes" : "dequantizes";
                        _code.Line($"/// <summary>Scale with which <c>Run</c> {verb} {where} ({q.ElementType}); what <c>RunQuantized</c> callers use.</summary>");
                        _code.Line($"public const float {edge.Prefix}Scale = {Literals.Float(q.Scale)};");
                        _code.Line();
                        _code.Line($"/// <summary>Zero point with which <c>Run</c> {verb} {where} ({q.ElementType}).</summary>");
                        _code.Line($"public const int {edge.Prefix}ZeroPoint = {q.ZeroPoint};");
                        _code.Line();
                    }
                }
            }

            private void WriteStorage()
            {
                string resource = WeightsResourceName(_namespace, _className);
                _code.Line("/// <summary>Manifest resource that holds the packed weights (embedded by the Octet MSBuild targets).</summary>");
                _code.Line($"public const string WeightsResourceName = {Literals.String(resource)};");
                _code.Line();
                _code.Line("/// <summary>Size of the packed weights blob this class reads (offsets in the plan point into it).</summary>");
                _code.Line($"public const long WeightsBytes = {_plan.Weights.Bytes};");
                _code.Line();
                _code.Line("/// <summary>Size of the arena each instance allocates once.</summary>");
                _code.Line($"public const int ArenaBytes = {Math.Min(_plan.Memory.ArenaBytes, int.MaxValue)};");
                _code.Line();
                _code.Line($"private readonly {RuntimeNamespace}.ModelWeights _weights;");
                _code.Line($"private readonly {RuntimeNamespace}.Arena _arena;");
                foreach (var body in _bodies.Where(b => b.UnitsCode != null))
                    _code.Line($"private readonly Action<int, int> {UnitsField(body.Op)};");
                foreach (var field in _bodies.SelectMany(b => b.PreparedFields))
                    _code.Line($"private readonly {field.Type} {field.Name};");
                _code.Line();
                _code.Line("/// <summary>");
                _code.Line("/// Threads for the large ops (int8 convolutions above a size measured to pay for the hand-over):");
                _code.Line("/// null, the default, runs everything on the thread that calls <c>Run</c>. Outputs are bit-identical whatever");
                _code.Line("/// the team. One team may serve several instances that run one after another; it runs one op at a time, so");
                _code.Line("/// an instance that finds it busy (another thread's instance is using it) runs its op on its own thread.");
                _code.Line("/// The team is the caller's to dispose.");
                _code.Line("/// </summary>");
                _code.Line($"public {RuntimeNamespace}.Threading.WorkerTeam Team {{ get; set; }}");
                _code.Line();
                _code.Line("/// <summary>Reads the weights from the embedded resource <see cref=\"WeightsResourceName\"/> (mapped, not copied, where the runtime allows).</summary>");
                // A model without constants has nothing to embed; do not ask for a resource that need not exist.
                string weights = _plan.Weights.Bytes == 0
                    ? $"{RuntimeNamespace}.ModelWeights.FromBytes(Array.Empty<byte>())"
                    : $"{RuntimeNamespace}.ModelWeights.FromResource(typeof({_className}).Assembly, WeightsResourceName, WeightsBytes)";
                _code.Open($"public {_className}() : this({weights})");
                _code.Close();
                _code.Line();
                _code.Line("/// <summary>Uses weights from elsewhere (a file, a byte array); they must be this model's packed weights.</summary>");
                _code.Line("/// <exception cref=\"ArgumentNullException\"><paramref name=\"weights\"/> is null.</exception>");
                _code.Line("/// <exception cref=\"System.IO.InvalidDataException\">The weights are not <see cref=\"WeightsBytes\"/> long.</exception>");
                _code.Open($"public {_className}({RuntimeNamespace}.ModelWeights weights)");
                _code.Line("ArgumentNullException.ThrowIfNull(weights);");
                _code.Line($"weights.RequireLength(WeightsBytes, {Literals.String(_plan.Model)});");
                _code.Line("_weights = weights;");
                _code.Line($"_arena = new {RuntimeNamespace}.Arena(ArenaBytes);");
                // Created once here, so that handing an op's units to the team allocates nothing per Run.
                foreach (var body in _bodies.Where(b => b.UnitsCode != null))
                    _code.Line($"{UnitsField(body.Op)} = {MethodName(body.Op)}_Units;");
                // Work on constants that every inference would repeat (such as packing weight panels), done once per instance.
                foreach (var field in _bodies.SelectMany(b => b.PreparedFields))
                    _code.Line($"{field.Name} = {field.Initializer};");
                _code.Close();
                _code.Line();
            }

            private IEnumerable<string> Parameters(bool quantized)
            {
                foreach (var edge in _inputs)
                    yield return $"ReadOnlySpan<{(quantized ? OpEmitContext.ClrType(edge.Quantized!.ElementType) : edge.RunType)}> {edge.Parameter}";
                foreach (var edge in _outputs)
                    yield return $"Span<{(quantized ? OpEmitContext.ClrType(edge.Quantized!.ElementType) : edge.RunType)}> {edge.Parameter}";
            }

            private void WriteParameterDocs()
            {
                foreach (var edge in _inputs.Concat(_outputs))
                    _code.Line($"/// <param name=\"{edge.Parameter}\">{Literals.Xml(edge.Plan.Name)}: <see cref=\"{edge.Prefix}Length\"/> elements, row-major in <see cref=\"{edge.Prefix}Shape\"/>.</param>");
                _code.Line("/// <exception cref=\"ArgumentException\">A span's length is not the one its constant gives.</exception>");
            }

            private void WriteLengthChecks()
            {
                foreach (var edge in _inputs.Concat(_outputs))
                {
                    _code.Line($"if ({edge.Parameter}.Length != {edge.Prefix}Length)");
                    _code.Line($"    throw new ArgumentException($\"{edge.Parameter} ({InterpolatedText(edge.Plan.Name)}) has {{{edge.Parameter}.Length}} elements; expected {{{edge.Prefix}Length}} (shape {Literals.Shape(edge.Shape)})\", nameof({edge.Parameter}));");
                }
            }

            /// <summary>A name as text inside an interpolated C# string literal: escaped, braces doubled.</summary>
            private static string InterpolatedText(string name)
            {
                string literal = Literals.String(name);
                return literal.Substring(1, literal.Length - 2).Replace("{", "{{").Replace("}", "}}");
            }

            private static bool IsNhwc(PlanTensor tensor) => tensor.Layout == TensorLayouts.Nhwc;

            private static string NchwArguments(PlanTensor tensor) =>
                $"batch: {tensor.Shape[0]}, channels: {tensor.Shape[1]}, height: {tensor.Shape[2]}, width: {tensor.Shape[3]}";

            /// <summary>The caller's row-major span into an arena tensor: a block copy, or a relayout when the arena keeps it NHWC.</summary>
            private void CopyIn(string parameter, PlanTensor tensor)
            {
                if (!IsNhwc(tensor))
                {
                    _code.Line($"{parameter}.CopyTo({ArenaSpan(tensor)});");
                    return;
                }
                _code.Line($"// The first op reads {Literals.Quoted(tensor.Name)} channels-last (NHWC): transposed on the way in.");
                WriteStridedCopy(tensor, parameter, TensorLayouts.RowMajorStrides(tensor.Shape.ToArray()), ArenaSpan(tensor), TensorLayouts.Strides(tensor));
            }

            /// <summary>An arena tensor into the caller's row-major span (transposed from NHWC when needed).</summary>
            private void CopyOut(PlanTensor tensor, string parameter)
            {
                if (!IsNhwc(tensor))
                {
                    _code.Line($"{ArenaSpan(tensor)}.CopyTo({parameter});");
                    return;
                }
                _code.Line($"// The last op leaves {Literals.Quoted(tensor.Name)} channels-last (NHWC): transposed on the way out.");
                WriteStridedCopy(tensor, ArenaSpan(tensor), TensorLayouts.Strides(tensor), parameter, TensorLayouts.RowMajorStrides(tensor.Shape.ToArray()));
            }

            private void WriteStridedCopy(PlanTensor tensor, string from, int[] fromStrides, string to, int[] toStrides)
            {
                var box = new DataMovement.BoxCopy(0, fromStrides.Select(v => (long)v).ToArray(), 0, toStrides.Select(v => (long)v).ToArray(),
                    tensor.Shape.Select(v => (long)v).ToArray()).Simplify();
                _code.Line($"{RuntimeNamespace}.DataMovement.StridedCopy.Copy<{OpEmitContext.ClrType(tensor.ElementType)}>({from}, 0, {Literals.Ints(box.SourceStrides.Select(v => (int)v))}, " +
                           $"{to}, 0, {Literals.Ints(box.DestinationStrides.Select(v => (int)v))}, {Literals.Ints(box.Shape.Select(v => (int)v))});");
            }

            private static string ArenaSpan(PlanTensor tensor) =>
                $"Arena<{OpEmitContext.ClrType(tensor.ElementType)}>({tensor.Offset}, {OpEmitContext.ElementCount(tensor)})";

            private void WriteRun()
            {
                _code.Line("/// <summary>Runs the model on one set of inputs, writing the outputs. Allocates nothing.</summary>");
                WriteParameterDocs();
                _code.Open($"public void Run({string.Join(", ", Parameters(quantized: false))})");
                WriteLengthChecks();
                foreach (var edge in _inputs)
                {
                    if (edge.Plan.Quantized is { } q)
                    {
                        _code.Line($"// The model's first step on {Literals.Quoted(edge.Plan.Name)}: QuantizeLinear to {q.ElementType} (scale {Literals.Float(q.Scale)}, zero point {q.ZeroPoint}).");
                        if (IsNhwc(edge.Quantized!))
                            _code.Line($"{RuntimeNamespace}.DataMovement.EdgeQuantization.QuantizeToNhwc({edge.Parameter}, {ArenaSpan(edge.Quantized!)}, {edge.Prefix}Scale, {edge.Prefix}ZeroPoint, {NchwArguments(edge.Quantized!)});");
                        else
                            _code.Line($"{RuntimeNamespace}.DataMovement.EdgeQuantization.Quantize({edge.Parameter}, {ArenaSpan(edge.Quantized!)}, {edge.Prefix}Scale, {edge.Prefix}ZeroPoint);");
                    }
                    else CopyIn(edge.Parameter, edge.Tensor!);
                }
                _code.Line("RunOps();");
                foreach (var edge in _outputs)
                {
                    if (edge.Plan.Quantized is { } q)
                    {
                        _code.Line($"// The model's last step on {Literals.Quoted(edge.Plan.Name)}: DequantizeLinear from {q.ElementType} (scale {Literals.Float(q.Scale)}, zero point {q.ZeroPoint}).");
                        if (IsNhwc(edge.Quantized!))
                            _code.Line($"{RuntimeNamespace}.DataMovement.EdgeQuantization.DequantizeFromNhwc({ArenaSpan(edge.Quantized!)}, {edge.Parameter}, {edge.Prefix}Scale, {edge.Prefix}ZeroPoint, {NchwArguments(edge.Quantized!)});");
                        else
                            _code.Line($"{RuntimeNamespace}.DataMovement.EdgeQuantization.Dequantize({ArenaSpan(edge.Quantized!)}, {edge.Parameter}, {edge.Prefix}Scale, {edge.Prefix}ZeroPoint);");
                    }
                    else CopyOut(edge.Tensor!, edge.Parameter);
                }
                _code.Close();
                _code.Line();
            }

            private void WriteRunQuantized()
            {
                _code.Line("/// <summary>");
                _code.Line("/// Runs the model on already quantized inputs and returns quantized outputs, skipping the float edges of");
                _code.Line("/// <see cref=\"Run\"/>: inputs quantized with their <c>Scale</c>/<c>ZeroPoint</c> constants, outputs to be read with theirs.");
                _code.Line("/// Allocates nothing.");
                _code.Line("/// </summary>");
                WriteParameterDocs();
                _code.Open($"public void RunQuantized({string.Join(", ", Parameters(quantized: true))})");
                WriteLengthChecks();
                foreach (var edge in _inputs) CopyIn(edge.Parameter, edge.Quantized!);
                _code.Line("RunOps();");
                foreach (var edge in _outputs) CopyOut(edge.Quantized!, edge.Parameter);
                _code.Close();
                _code.Line();
            }

            private static string MethodName(PlanOp op)
            {
                string name = Identifiers.Sanitize(op.Name).TrimStart('_');
                if (name.Length > 48) name = name.Substring(0, 48);
                return name.Length == 0 ? $"Op{op.Index}" : $"Op{op.Index}_{name}";
            }

            private void WriteRunOps()
            {
                _code.Line("/// <summary>The ops in the plan's order, from the arena's inputs to its outputs.</summary>");
                _code.Open("private void RunOps()");
                foreach (var op in _plan.Ops) _code.Line($"{MethodName(op)}();");
                _code.Close();
            }

            /// <summary>One op's emitted method body, and the body of its units method when it splits its work.</summary>
            private sealed class OpBody
            {
                public OpBody(PlanOp op, CodeWriter body, List<string> failures, CodeWriter? unitsCode, int units, IReadOnlyList<PreparedField> preparedFields)
                {
                    Op = op;
                    Body = body;
                    Failures = failures;
                    UnitsCode = unitsCode;
                    Units = units;
                    PreparedFields = preparedFields;
                }

                public PlanOp Op { get; }
                public CodeWriter Body { get; }
                public List<string> Failures { get; }
                public CodeWriter? UnitsCode { get; }
                public int Units { get; }
                /// <summary>Fields the constructor computes for the op (none when the op failed).</summary>
                public IReadOnlyList<PreparedField> PreparedFields { get; }
            }

            /// <summary>Depth of an op method's body: inside the class (file-scoped namespace) and the method.</summary>
            private const int OpBodyDepth = 2;

            private static string UnitsField(PlanOp op) => $"_op{op.Index}Units";

            private void EmitOpBodies()
            {
                foreach (var op in _plan.Ops)
                {
                    var body = new CodeWriter(OpBodyDepth);
                    var failures = EmitBody(op, body, out var unitsCode, out int units, out var preparedFields);
                    _bodies.Add(new OpBody(op, body, failures, failures.Count == 0 ? unitsCode : null, units,
                        failures.Count == 0 ? preparedFields : Array.Empty<PreparedField>()));
                }
            }

            private void WriteOps()
            {
                foreach (var entry in _bodies)
                {
                    var op = entry.Op;
                    _code.Line();
                    WriteOpComment(op);
                    WriteOptimizedAttribute();
                    _code.Open($"private void {MethodName(op)}()");
                    if (entry.Failures.Count == 0) _code.Append(entry.Body);
                    else
                    {
                        _code.Line("// Not generated; the build reports why (see the Octet diagnostics).");
                        _code.Line($"throw new NotSupportedException({Literals.String($"op {op.Index} {op.OpType} '{op.Name}': {entry.Failures[0]}")});");
                    }
                    _code.Close();
                    if (entry.UnitsCode != null)
                    {
                        _code.Line();
                        _code.Line($"/// <summary>Units [<paramref name=\"first\"/>, <paramref name=\"end\"/>) of op {op.Index}'s {entry.Units} (see <see cref=\"{MethodName(op)}\"/>).</summary>");
                        WriteOptimizedAttribute();
                        _code.Open($"private void {MethodName(op)}_Units(int first, int end)");
                        _code.Append(entry.UnitsCode);
                        _code.Close();
                    }
                }
                if (_bodies.Any(b => b.UnitsCode != null)) WriteRunUnits();
            }

            /// <summary>
            /// Op methods run once per inference, so tiered compilation would keep them in unoptimized (tier-0) code for
            /// the first runs and then depends on call counting to replace them; measured on shufflenet-v2-int8 they
            /// stayed several times slower through seconds of warm-up. Full optimization on first call makes the
            /// first inference as fast as the thousandth (NativeAOT compiles everything this way anyway).
            /// </summary>
            private void WriteOptimizedAttribute() =>
                _code.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");

            private void WriteRunUnits()
            {
                _code.Line();
                _code.Line("/// <summary>Runs units [0, <paramref name=\"count\"/>) of an op: split over <see cref=\"Team\"/> when there is one, else here in one call.</summary>");
                _code.Open("private void RunUnits(int count, Action<int, int> units)");
                _code.Line($"if (Team is {{ Threads: > 1 }} team) team.Run(count, units);");
                _code.Line("else units(0, count);");
                _code.Close();
            }

            /// <summary>Runs the op's emitter into <paramref name="body"/>; returns what went wrong (reported as diagnostics too).</summary>
            private List<string> EmitBody(PlanOp op, CodeWriter body, out CodeWriter? unitsCode, out int units, out IReadOnlyList<PreparedField> preparedFields)
            {
                unitsCode = null;
                units = 0;
                preparedFields = Array.Empty<PreparedField>();
                var failures = new List<string>();
                string label = $"model '{_plan.Model}', op {op.Index} {op.OpType} '{op.Name}'";
                foreach (var name in op.Inputs.Concat(op.Outputs))
                    if (name.Length > 0 && !_tensors.ContainsKey(name))
                        failures.Add($"tensor '{name}' is not declared in the plan");
                if (op.Outputs.Any(o => o.Length == 0)) failures.Add("an output has no name");
                if (failures.Count > 0)
                {
                    foreach (var failure in failures) Problem("OCT006", $"{label}: {failure}", op.Index);
                    return failures;
                }

                var emitter = OpEmitterRegistry.Find(op.OpType);
                if (emitter == null)
                {
                    string message = $"op type '{op.OpType}' is not supported by this version of the Octet generator";
                    Problem("OCT004", $"{label}: {message}", op.Index);
                    failures.Add(message);
                    return failures;
                }

                var context = new OpEmitContext(_plan, op, _tensors, _inlineConstants, body, UnitsField(op), canPrepare: true);
                try
                {
                    emitter.Emit(context);
                }
                catch (Exception e)
                {
                    // An emitter bug must not take the build down with a stack trace in the IDE: report it instead.
                    string message = $"the {op.OpType} emitter failed: {e.GetType().Name}: {e.Message}";
                    Problem("OCT999", $"{label}: {message}", op.Index);
                    failures.Add(message);
                    return failures;
                }
                foreach (var reason in context.Problems)
                {
                    Problem("OCT004", $"{label}: {reason}", op.Index);
                    failures.Add(reason);
                }
                unitsCode = context.UnitsCode;
                units = context.Units;
                preparedFields = context.PreparedFields;
                return failures;
            }

            private void WriteOpComment(PlanOp op)
            {
                _code.Line($"// Op {op.Index}: {Literals.Comment(op.OpType)} {Literals.Quoted(op.Name)}");
                foreach (var entry in op.From)
                {
                    PlanOp.SplitFrom(entry, out string onnxOpType, out string nodeName);
                    _code.Line($"//   implements ONNX {Literals.Comment(onnxOpType)} {Literals.Quoted(nodeName)}");
                }
                for (int i = 0; i < op.Inputs.Count; i++)
                    _code.Line($"//   input {i}: {DescribeTensor(op.Inputs[i])}");
                for (int i = 0; i < op.Outputs.Count; i++)
                    _code.Line($"//   output {i}: {DescribeTensor(op.Outputs[i])}");
                foreach (var attribute in op.Attributes)
                    _code.Line($"//   {Literals.Comment(attribute.Name)} = {DescribeAttribute(attribute)}");
            }

            private string DescribeTensor(string name)
            {
                if (name.Length == 0) return "(absent)";
                if (!_tensors.TryGetValue(name, out var t)) return Literals.Quoted(name) + " (not declared)";
                string where = t.Storage switch
                {
                    PlanStorage.Arena => $"arena @{t.Offset}",
                    PlanStorage.Weights => $"weights @{t.Offset}",
                    _ => "inline",
                };
                return $"{Literals.Quoted(name)} {t.ElementType} {Literals.Shape(t.Shape)} {t.Layout}, {where}, {t.Bytes} bytes";
            }

            private static string DescribeAttribute(PlanAttribute attribute)
            {
                const int shown = 16;
                var values = attribute.Kind == PlanAttributeKind.String
                    ? attribute.Values.Select(Literals.Quoted)
                    : attribute.Values.Select(Literals.Comment);
                string text = string.Join(" ", values.Take(shown));
                if (attribute.Values.Count > shown) text += $" ... ({attribute.Values.Count} values)";
                return text;
            }

            private void WriteAccessors()
            {
                _code.Line();
                _code.Line("/// <summary><paramref name=\"count\"/> elements of the arena from <paramref name=\"byteOffset\"/> (offsets from the memory plan).</summary>");
                _code.Line($"private Span<T> Arena<T>(int byteOffset, int count) where T : unmanaged => _arena.Span<T>(byteOffset, count);");
                _code.Line();
                _code.Line("/// <summary><paramref name=\"count\"/> elements of the packed weights from <paramref name=\"byteOffset\"/>.</summary>");
                _code.Line($"private ReadOnlySpan<T> Weights<T>(long byteOffset, int count) where T : unmanaged => _weights.Span<T>(byteOffset, count);");
            }

            private void WriteInlineConstants()
            {
                foreach (var pair in _inlineConstants)
                {
                    var tensor = pair.Value;
                    long count = OpEmitContext.ElementCount(tensor);
                    if (tensor.Values.Count != count)
                    {
                        Problem("OCT006", $"model '{_plan.Model}': inline tensor '{tensor.Name}' has {tensor.Values.Count} values for shape {Literals.Shape(tensor.Shape)}");
                        continue;
                    }
                    string type = OpEmitContext.ClrType(tensor.ElementType);
                    _code.Line();
                    _code.Line($"// {Literals.Quoted(tensor.Name)} {tensor.ElementType} {Literals.Shape(tensor.Shape)} {tensor.Layout}, inline.");
                    string values = string.Join(", ", tensor.Values.Select(v => Literals.Element(tensor.ElementType, v)));
                    _code.Line($"private static ReadOnlySpan<{type}> {pair.Key} => [{values}];");
                }
            }
        }
    }
}
