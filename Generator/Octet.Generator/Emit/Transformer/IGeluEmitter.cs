using System;
using System.Collections.Generic;
using Octet.Generator.Emit.Int8;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// <c>octet.IGelu</c>: integer GELU, element-wise, any layout (input and output share it). One call of
    /// <c>Octet.Runtime.Transformer.IntegerGelu.Apply</c>; the kernel evaluates the approximation once per
    /// possible 8-bit input and looks the elements up.
    /// </summary>
    public sealed class IGeluEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.IGelu" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            var (x, y) = TransformerCode.UnaryEightBit(context);
            if (x.Layout != y.Layout) throw new EmitException($"input X is {x.Layout} but output Y is {y.Layout}; this element-wise kernel needs one layout");
            string method = TransformerCode.Method(context, "ibert", "shiftgelu");
            int xZeroPoint = Int8Code.ZeroPoint(context, "x_zero_point", x.ElementType);
            var (xMultiplier, xShift) = TransformerCode.FixedPoint(context, "x_multiplier", "x_shift");
            var requantization = Int8Requantization.Read(context, 1, y);
            if (!requantization.IsFixedPoint) throw new EmitException("IGelu is integer-only: requant must be \"fixed-point\"");
            string methodName = method == "shiftgelu" ? "ShiftGelu" : "Ibert";

            return code =>
            {
                code.Line($"// IGelu ({method}): X {Int8Code.Describe(x)} (x_zero_point {xZeroPoint}) -> Y {Int8Code.Describe(y)};");
                code.Line($"// input step on the approximation's grid: M0 {xMultiplier}, shift {xShift}; d * Phi(x) on 2^-17, {requantization.Describe()}.");
                code.Line($"var parameters = new {TransformerCode.Runtime}GeluParameters({TransformerCode.Runtime}GeluMethod.{methodName},");
                code.Line($"    XZeroPoint: {Int8Code.Int(xZeroPoint)}, XMultiplier: {Int8Code.Int(xMultiplier)}, XShift: {Int8Code.Int(xShift)},");
                code.Line($"    Multiplier: {Int8Code.Int(requantization.Multipliers[0])}, Shift: {Int8Code.Int(requantization.Shifts[0])}, YZeroPoint: {Int8Code.Int(requantization.ZeroPoint)}, " +
                          $"ClampMin: {Int8Code.Int(requantization.ClampMin)}, ClampMax: {Int8Code.Int(requantization.ClampMax)});");
                code.Line($"{TransformerCode.Runtime}IntegerGelu.Apply<{TransformerCode.TypeArguments(x, y)}>({context.Span(x)}, {context.Span(y)}, parameters);");
            };
        }
    }
}
