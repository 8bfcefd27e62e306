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
        }

        public ModelPlan Plan { get; }
        public PlanOp Op { get; }
        public CodeWriter Code { get; }

        /// <summary>Problems reported with <see cref="Unsupported"/>; the model emitter turns each into a diagnostic.</summary>
        public IReadOnlyList<string> Problems => _problems;

        /// <summary>Records that this op cannot be emitted, and why (the message names what is unsupported).</summary>
        public void Unsupported(string reason) => _problems.Add(reason);

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
