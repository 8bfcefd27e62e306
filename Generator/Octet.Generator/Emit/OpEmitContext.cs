using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit
{
    /// <summary>
    /// What an <see cref="IOpEmitter"/> sees while writing one op's kernel body: the op, its tensors, typed
    /// attribute access, C# expressions for each tensor's memory, and the writer. The model class around the
    /// body provides <c>Arena&lt;T&gt;(int byteOffset, int count)</c> (a <c>Span&lt;T&gt;</c> into the arena) and
    /// <c>Weights&lt;T&gt;(long byteOffset, int count)</c> (a <c>ReadOnlySpan&lt;T&gt;</c> into the packed weights);
    /// inline constants become static <c>ReadOnlySpan&lt;T&gt;</c> properties the class declares.
    /// </summary>
    public sealed class OpEmitContext
    {
        private readonly Dictionary<string, PlanTensor> _tensors;
        private readonly List<string> _problems = new List<string>();
        private readonly SortedDictionary<string, PlanTensor> _inlineConstants;

        public OpEmitContext(ModelPlan plan, PlanOp op, Dictionary<string, PlanTensor> tensors,
            SortedDictionary<string, PlanTensor> inlineConstants, CodeWriter code)
        {
            Plan = plan;
            Op = op;
            _tensors = tensors;
            _inlineConstants = inlineConstants;
            Code = code;
            _bodyDepth = code.Depth;
        }

        /// <summary>
        /// An op context whose op may split its work over the model's worker team (see <see cref="SplitIntoUnits"/>):
        /// <paramref name="unitsField"/> names the class field holding the delegate of the op's units method;
        /// <paramref name="canPrepare"/> says whether the class declares and initializes the op's <see cref="PreparedFields"/>.
        /// </summary>
        public OpEmitContext(ModelPlan plan, PlanOp op, Dictionary<string, PlanTensor> tensors,
            SortedDictionary<string, PlanTensor> inlineConstants, CodeWriter code, string unitsField, bool canPrepare = false)
            : this(plan, op, tensors, inlineConstants, code)
        {
            _unitsField = unitsField;
            CanPrepare = canPrepare;
        }

        private readonly int _bodyDepth;
        private readonly string? _unitsField;

        public ModelPlan Plan { get; }
        public PlanOp Op { get; }
        public CodeWriter Code { get; }

        /// <summary>Problems reported with <see cref="Unsupported"/>; the model emitter turns each into a diagnostic.</summary>
        public IReadOnlyList<string> Problems => _problems;

        /// <summary>Records that this op cannot be emitted, and why (the message names what is unsupported).</summary>
        public void Unsupported(string reason) => _problems.Add(reason);

        /// <summary>
        /// True when the class around this op can run parts of it on a worker team: the model emitter sets this up; a
        /// kernel body written on its own (kernel tests) cannot split, and emitters then write the plain loop.
        /// </summary>
        public bool CanSplit => _unitsField != null;

        /// <summary>Work units the op was split into by <see cref="SplitIntoUnits"/>; 0 when it was not.</summary>
        public int Units { get; private set; }

        /// <summary>The body of the op's units method (parameters <c>int first, int end</c>) once <see cref="SplitIntoUnits"/> was called.</summary>
        public CodeWriter? UnitsCode { get; private set; }

        /// <summary>
        /// Splits the op into <paramref name="units"/> independent work units: writes the op body's one statement (run
        /// units [0, units) through the class's <c>RunUnits</c>, over its worker team when it has one, else on the
        /// calling thread in one call) and returns the writer for the body of the units method, which must do the work
        /// of units [<c>first</c>, <c>end</c>) and nothing else. Units must write disjoint outputs and give the same
        /// integers however they are grouped, so that results do not depend on the thread count; each call of the
        /// units method has its own stack, so scratch buffers belong in it. Call it at most once, with nothing else
        /// written to <see cref="Code"/> before.
        /// </summary>
        public CodeWriter SplitIntoUnits(int units)
        {
            if (_unitsField == null) throw new InvalidOperationException("this op's class cannot split ops into units (check CanSplit)");
            if (UnitsCode != null) throw new InvalidOperationException("the op is already split into units");
            if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), units, "at least one unit");
            Units = units;
            Code.Line($"RunUnits({units}, {_unitsField});");
            UnitsCode = new CodeWriter(_bodyDepth);
            return UnitsCode;
        }

        private readonly List<PreparedField> _preparedFields = new List<PreparedField>();

        /// <summary>Fields this op asked the class constructor to compute (<see cref="Prepare"/>).</summary>
        public IReadOnlyList<PreparedField> PreparedFields => _preparedFields;

        /// <summary>
        /// True when the class around this op has a constructor that can compute values once for it (<see cref="Prepare"/>);
        /// a kernel body written on its own (kernel tests) cannot, and emitters then compute them in the op body.
        /// </summary>
        public bool CanPrepare { get; }

        /// <summary>
        /// Declares a read-only field of type <paramref name="type"/> that the constructor sets to
        /// <paramref name="initializer"/> (an expression that may read the weights through <c>Weights&lt;T&gt;</c>), and
        /// returns its name, <c>_op{index}{suffix}</c>: work on constants, such as packing weight panels, done once per
        /// instance instead of once per inference. Check <see cref="CanPrepare"/> first.
        /// </summary>
        public string Prepare(string type, string suffix, string initializer)
        {
            if (!CanPrepare) throw new InvalidOperationException("this op's class has no constructor to prepare fields in (check CanPrepare)");
            string name = $"_op{Op.Index}{suffix}";
            if (_preparedFields.Any(f => f.Name == name)) throw new InvalidOperationException($"field '{name}' is already prepared");
            _preparedFields.Add(new PreparedField(type, name, initializer));
            return name;
        }

        public PlanTensor Tensor(string name) => _tensors[name];
        public bool HasInput(int index) => index < Op.Inputs.Count && Op.Inputs[index].Length > 0;
        public PlanTensor Input(int index) => _tensors[Op.Inputs[index]];
        public PlanTensor Output(int index) => _tensors[Op.Outputs[index]];

        public bool HasAttribute(string name) => Op.Attributes.Any(a => a.Name == name);
        private PlanAttribute? Attribute(string name) => Op.Attributes.FirstOrDefault(a => a.Name == name);

        public long Int(string name, long fallback) =>
            Attribute(name) is { } a ? long.Parse(a.Values[0], CultureInfo.InvariantCulture) : fallback;
        public long[]? Ints(string name) =>
            Attribute(name)?.Values.Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        public float Float(string name, float fallback) =>
            Attribute(name) is { } a ? float.Parse(a.Values[0], NumberStyles.Float, CultureInfo.InvariantCulture) : fallback;
        public float[]? Floats(string name) =>
            Attribute(name)?.Values.Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        public string? String(string name) => Attribute(name)?.Values[0];

        /// <summary>The C# keyword for a plan element type ("float32" → "float", "int8" → "sbyte", ...).</summary>
        public static string ClrType(string elementType) => elementType switch
        {
            "float32" => "float",
            "int8" => "sbyte",
            "uint8" => "byte",
            "int16" => "short",
            "int32" => "int",
            "int64" => "long",
            _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "not a plan element type"),
        };

        public static long ElementCount(PlanTensor tensor) => tensor.Shape.Aggregate(1L, (a, d) => a * d);

        /// <summary>
        /// A C# expression for the tensor's elements: a <c>Span&lt;T&gt;</c> for arena tensors, a
        /// <c>ReadOnlySpan&lt;T&gt;</c> for weights and inline constants.
        /// </summary>
        public string Span(PlanTensor tensor)
        {
            string type = ClrType(tensor.ElementType);
            long count = ElementCount(tensor);
            switch (tensor.Storage)
            {
                case PlanStorage.Arena:
                    return $"Arena<{type}>({tensor.Offset}, {count})";
                case PlanStorage.Weights:
                    return $"Weights<{type}>({tensor.Offset}, {count})";
                default:
                    string property = InlineConstantName(tensor.Name);
                    _inlineConstants[property] = tensor;
                    return property;
            }
        }

        /// <summary>The name of the static property that holds an inline constant.</summary>
        public static string InlineConstantName(string tensorName) => "Constant_" + Identifiers.Sanitize(tensorName);
    }
}
