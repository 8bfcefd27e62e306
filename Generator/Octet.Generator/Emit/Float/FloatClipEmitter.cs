using System.Collections.Generic;
using System.Globalization;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 Clip. The bounds are the <c>min</c>/<c>max</c> attributes (opsets before 11) or optional scalar
    /// inputs 1 and 2: inline constants become literals, any other tensor is read once at run time. A missing
    /// bound is float's lowest / highest value, as in the reference operator.
    /// </summary>
    public sealed class FloatClipEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Clip" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 1, 1)) return;
            PlanTensor x = context.Input(0), y = context.Output(0);
            if (!FloatEmit.ExpectFloat(context, x, y)) return;
            string? low = Bound(context, 1, "min", float.MinValue);
            string? high = Bound(context, 2, "max", float.MaxValue);
            if (low == null || high == null) return;
            FloatUnaryEmitter.EmitUnary(context, x, y, $"clip(x, {low}, {high})", FloatEmit.Runtime + "FloatActivation.Clip", $"{low}, {high}",
                v => $"{FloatEmit.Runtime}FloatActivation.Clip({v}, {low}, {high})");
        }

        /// <summary>The C# expression for one bound, or null (reported) when the bound input is not one float.</summary>
        private static string? Bound(OpEmitContext context, int input, string attribute, float missing)
        {
            if (!context.HasInput(input)) return Literals.Float(context.Float(attribute, missing));
            var tensor = context.Input(input);
            if (!FloatEmit.ExpectFloat(context, tensor)) return null;
            if (OpEmitContext.ElementCount(tensor) != 1)
            {
                context.Unsupported($"Clip '{context.Op.Name}': {attribute} '{tensor.Name}' has shape [{string.Join(",", tensor.Shape)}]; it must hold one value");
                return null;
            }
            if (tensor.Storage == PlanStorage.Inline && tensor.Values.Count == 1 &&
                float.TryParse(tensor.Values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                return Literals.Float(value);
            // Not known at generation time: read the one value where it lives.
            return $"{context.Span(tensor)}[0]";
        }
    }
}
