using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// Spelling C# for the int8 kernels: literals, constant arrays, the runtime primitives' full names (emitted
    /// code is qualified with <c>global::</c> so that it compiles whatever the user's namespaces and usings are).
    /// </summary>
    internal static class Int8Code
    {
        public const string Runtime = "global::Octet.Runtime.Int8.";
        public const string Span = "global::System.Span";
        public const string ReadOnlySpan = "global::System.ReadOnlySpan";

        public static string Int(long value) => Literals.Int(value);

        /// <summary>
        /// <c>start − factor · (term)</c> spelled without "0 −" or "− −": the folded bias B' = B − zp · Σ(w − w_zp).
        /// <paramref name="start"/> is null for no bias.
        /// </summary>
        public static string MinusProduct(string? start, int factor, string term)
        {
            if (start == null) return $"{Int(-(long)factor)} * ({term})";
            return factor < 0 ? $"{start} + {Int(-(long)factor)} * ({term})" : $"{start} - {Int(factor)} * ({term})";
        }

        /// <summary>Wraps an expression in parentheses unless it is a simple element access or already parenthesized.</summary>
        public static string Parenthesized(string expression) =>
            expression.IndexOf(' ') < 0 || (expression.StartsWith("(", StringComparison.Ordinal) && expression.EndsWith(")", StringComparison.Ordinal))
                ? expression : $"({expression})";

        /// <summary>A float32 literal that the C# compiler turns back into exactly <paramref name="value"/>.</summary>
        public static string Float(float value) => Literals.Float(value);

        /// <summary>The value range of a quantized plan element type ("int8", "uint8" or "int16").</summary>
        public static (int Min, int Max) Range(string elementType) =>
            elementType == "int8" ? (-128, 127) : elementType == "int16" ? (short.MinValue, short.MaxValue) : (0, 255);

        public static bool IsEightBit(string elementType) => elementType == "int8" || elementType == "uint8";

        /// <summary>
        /// A quantized activation type: 8-bit, or int16 (the 16-bit residual stream of an integer transformer, see
        /// docs/integer-transformers.md). Only the emitters that state it accept int16; the others keep <see cref="IsEightBit"/>.
        /// </summary>
        public static bool IsQuantized(string elementType) => IsEightBit(elementType) || elementType == "int16";

        /// <summary>The plan element type of an ONNX <c>y_type</c> code: 2 uint8, 3 int8, 5 int16.</summary>
        public static string OutputType(long typeCode) =>
            typeCode == 2 ? "uint8" : typeCode == 3 ? "int8" : typeCode == 5 ? "int16"
            : throw new EmitException($"y_type={typeCode}; expected 2 (uint8), 3 (int8) or 5 (int16)");

        /// <summary>
        /// Declares a constant local span (<c>ReadOnlySpan&lt;T&gt; name = [ ... ];</c>): the compiler stores the
        /// values in the assembly's data section, so reading them allocates nothing. Long lists wrap at 16 values a line.
        /// </summary>
        public static void ConstantArray(CodeWriter code, string type, string name, IEnumerable<string> values)
        {
            var all = values.ToList();
            if (all.Count <= 16)
            {
                code.Line($"{ReadOnlySpan}<{type}> {name} = [{string.Join(", ", all)}];");
                return;
            }
            code.Line($"{ReadOnlySpan}<{type}> {name} =");
            code.Line("[");
            for (int i = 0; i < all.Count; i += 16)
                code.Line("    " + string.Join(", ", all.Skip(i).Take(16)) + ",");
            code.Line("];");
        }

        public static void ConstantArray(CodeWriter code, string type, string name, IEnumerable<int> values) =>
            ConstantArray(code, type, name, values.Select(v => Int(v)));

        /// <summary>"[1,8,28,28] NHWC int8" for comments.</summary>
        public static string Describe(PlanTensor tensor) =>
            $"[{string.Join(",", tensor.Shape)}] {tensor.Layout} {tensor.ElementType}";

        public static long Product(IEnumerable<int> dims) => dims.Aggregate(1L, (a, d) => a * d);

        /// <summary>Reads an ints attribute as int[] (null when absent); reports values that do not fit an int.</summary>
        public static int[]? Ints(OpEmitContext context, string name)
        {
            var values = context.Ints(name);
            if (values == null) return null;
            var result = new int[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] < int.MinValue || values[i] > int.MaxValue)
                    throw new EmitException($"attribute '{name}' value {values[i]} does not fit an int");
                result[i] = (int)values[i];
            }
            return result;
        }

        public static int Int(OpEmitContext context, string name, int fallback)
        {
            long value = context.Int(name, fallback);
            if (value < int.MinValue || value > int.MaxValue)
                throw new EmitException($"attribute '{name}' value {value} does not fit an int");
            return (int)value;
        }

        /// <summary>A zero point attribute, checked against the type of the tensor it belongs to.</summary>
        public static int ZeroPoint(OpEmitContext context, string name, string elementType)
        {
            int value = Int(context, name, 0);
            CheckInRange(name, value, elementType);
            return value;
        }

        /// <summary>Zero points given once or per channel, returned per channel.</summary>
        public static int[] ZeroPoints(OpEmitContext context, string name, string elementType, int channels)
        {
            var values = Ints(context, name) ?? new[] { 0 };
            if (values.Length != 1 && values.Length != channels)
                throw new EmitException($"attribute '{name}' has {values.Length} values; expected 1 or {channels}");
            foreach (var v in values) CheckInRange(name, v, elementType);
            return Enumerable.Range(0, channels).Select(c => values[values.Length == 1 ? 0 : c]).ToArray();
        }

        public static void CheckInRange(string name, long value, string elementType)
        {
            var (min, max) = Range(elementType);
            if (value < min || value > max)
                throw new EmitException($"attribute '{name}' = {value} is outside the {elementType} range [{min}, {max}]");
        }

        /// <summary>Requires an 8-bit or int16 tensor.</summary>
        public static void ExpectQuantized(PlanTensor tensor, string role)
        {
            if (!IsQuantized(tensor.ElementType))
                throw new EmitException($"{role} '{tensor.Name}' is {tensor.ElementType}; expected int8, uint8 or int16");
        }

        /// <summary>Requires an 8-bit tensor.</summary>
        public static void ExpectEightBit(PlanTensor tensor, string role)
        {
            if (!IsEightBit(tensor.ElementType))
                throw new EmitException($"{role} '{tensor.Name}' is {tensor.ElementType}; expected int8 or uint8");
        }

        public static void ExpectLayout(PlanTensor tensor, string role, params string[] layouts)
        {
            if (Array.IndexOf(layouts, tensor.Layout) < 0)
                throw new EmitException($"{role} '{tensor.Name}' has layout {tensor.Layout}; this kernel reads {string.Join(" or ", layouts)}");
        }

        public static void ExpectShape(PlanTensor tensor, string role, IReadOnlyList<int> expected)
        {
            if (!tensor.Shape.SequenceEqual(expected))
                throw new EmitException($"{role} '{tensor.Name}' has shape [{string.Join(",", tensor.Shape)}]; expected [{string.Join(",", expected)}]");
        }

        /// <summary>Requires that a tensor's element count fits the int the accessors take.</summary>
        public static int Count(PlanTensor tensor)
        {
            long count = OpEmitContext.ElementCount(tensor);
            if (count > int.MaxValue) throw new EmitException($"tensor '{tensor.Name}' has {count} elements, more than an int can index");
            return (int)count;
        }
    }

    /// <summary>A reason an op cannot be emitted; <see cref="Int8OpEmitter"/> turns it into <see cref="OpEmitContext.Unsupported"/>.</summary>
    internal sealed class EmitException : Exception
    {
        public EmitException(string message) : base(message) { }
    }
}
