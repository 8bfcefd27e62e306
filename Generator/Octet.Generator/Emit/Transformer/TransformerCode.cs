using System.Linq;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>What the transformer emitters share: the runtime's names and the checks of a one-input, one-output 8-bit op.</summary>
    internal static class TransformerCode
    {
        public const string Runtime = "global::Octet.Runtime.Transformer.";

        /// <summary>"sbyte, byte": the kernel's generic arguments for the input and output types.</summary>
        public static string TypeArguments(PlanTensor x, PlanTensor y) =>
            $"{OpEmitContext.ClrType(x.ElementType)}, {OpEmitContext.ClrType(y.ElementType)}";

        /// <summary>Checks one 8-bit input and one 8-bit output of the same shape and returns them.</summary>
        public static (PlanTensor X, PlanTensor Y) UnaryEightBit(OpEmitContext context) => Unary(context, allowInt16: false);

        /// <summary>
        /// Checks one input and one output of the same shape, each 8-bit or (with <paramref name="allowInt16"/>, for the
        /// kernels that take the 16-bit residual stream) int16, and returns them.
        /// </summary>
        public static (PlanTensor X, PlanTensor Y) Unary(OpEmitContext context, bool allowInt16)
        {
            if (context.Op.Inputs.Count != 1 || context.Op.Outputs.Count != 1) throw new EmitException("expected one input X and one output Y");
            var x = context.Input(0);
            var y = context.Output(0);
            if (allowInt16)
            {
                Int8Code.ExpectQuantized(x, "input X");
                Int8Code.ExpectQuantized(y, "output Y");
            }
            else
            {
                Int8Code.ExpectEightBit(x, "input X");
                Int8Code.ExpectEightBit(y, "output Y");
            }
            Int8Code.ExpectShape(y, "output Y", x.Shape);
            Int8Code.Count(x);
            return (x, y);
        }

        /// <summary>The row length of an op along the last axis of a row-major tensor.</summary>
        public static int RowLength(PlanTensor x)
        {
            Int8Code.ExpectLayout(x, "input X", "rowmajor");
            if (x.Shape.Count == 0) throw new EmitException($"input X '{x.Name}' is a scalar; the operator works along the last axis");
            int length = x.Shape[x.Shape.Count - 1];
            if (length <= 0) throw new EmitException($"input X '{x.Name}' has an empty last axis");
            return length;
        }

        /// <summary>The y_type attribute, checked against the output tensor's element type.</summary>
        public static void ExpectOutputType(OpEmitContext context, PlanTensor y)
        {
            long code = context.Int("y_type", 0);
            string type = Int8Code.OutputType(code);
            if (type != y.ElementType) throw new EmitException($"y_type says {type} but output '{y.Name}' is {y.ElementType}");
        }

        /// <summary>The <c>method</c> attribute, one of <paramref name="methods"/>.</summary>
        public static string Method(OpEmitContext context, params string[] methods)
        {
            string method = context.String("method") ?? throw new EmitException("required attribute 'method' is missing");
            if (!methods.Contains(method)) throw new EmitException($"method=\"{method}\"; expected {string.Join(" or ", methods.Select(m => $"\"{m}\""))}");
            return method;
        }

        /// <summary>A required fixed-point pair (M0 in [2^30, 2^31) or 0, shift ≤ 31).</summary>
        public static (int Multiplier, int Shift) FixedPoint(OpEmitContext context, string multiplierName, string shiftName)
        {
            if (!context.HasAttribute(multiplierName)) throw new EmitException($"required attribute '{multiplierName}' is missing");
            if (!context.HasAttribute(shiftName)) throw new EmitException($"required attribute '{shiftName}' is missing");
            long multiplier = context.Int(multiplierName, 0), shift = context.Int(shiftName, 0);
            Int8Requantization.CheckFixedPoint(multiplierName, multiplier, shiftName, shift);
            return ((int)multiplier, (int)shift);
        }
    }
}
