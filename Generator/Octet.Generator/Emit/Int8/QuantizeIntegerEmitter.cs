using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Octet.Generator.Emit.Int8
{
    /// <summary>
    /// <c>octet.QuantizeInteger</c>: QuantizeLinear of an integer tensor's values (an int64 attention mask) as a step
    /// function: <c>y = levels[j]</c> for the last j with <c>thresholds[j] ≤ x</c>, <c>y_min</c> below them all. The compiler computed the thresholds from the float definition
    /// (Cast to float32, divide by the scale, round, add the zero point, saturate), so no float arithmetic is left at
    /// run time and every input value gives the QuantizeLinear result. Any layout: the op is element-wise.
    /// </summary>
    public sealed class QuantizeIntegerEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.QuantizeInteger" };

        private static readonly string[] Inputs = { "int8", "uint8", "int16", "int32", "int64" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 1 || context.Op.Outputs.Count != 1) throw new EmitException("expected one input and one output");
            var x = context.Input(0);
            var y = context.Output(0);
            if (Array.IndexOf(Inputs, x.ElementType) < 0) throw new EmitException($"input '{x.Name}' is {x.ElementType}; expected int8, uint8, int16, int32 or int64");
            if (x.Layout != y.Layout) throw new EmitException($"input '{x.Name}' is {x.Layout} but the output '{y.Name}' is {y.Layout}");
            Int8Code.ExpectShape(y, "output", x.Shape);
            string type = Int8Code.OutputType(context.Int("y_type", 0));
            if (y.ElementType != type) throw new EmitException($"y_type says {type} but the output is {y.ElementType}");
            var thresholds = context.Ints("thresholds") ?? throw new EmitException("required attribute 'thresholds' is missing");
            if (!context.HasAttribute("y_min")) throw new EmitException("required attribute 'y_min' is missing");
            long yMin = context.Int("y_min", 0);
            Int8Code.CheckInRange("y_min", yMin, type);
            var levels = Int8Code.Ints(context, "levels") ?? throw new EmitException("required attribute 'levels' is missing");
            if (levels.Length != thresholds.Length) throw new EmitException($"attribute 'levels' has {levels.Length} values; expected one per threshold ({thresholds.Length})");
            for (int k = 0; k < thresholds.Length; k++)
            {
                Int8Code.CheckInRange($"levels[{k}]", levels[k], type);
                if (k > 0 && thresholds[k] <= thresholds[k - 1]) throw new EmitException($"attribute 'thresholds' does not increase at index {k}");
                if (levels[k] <= (k == 0 ? yMin : levels[k - 1])) throw new EmitException($"attribute 'levels' does not increase at index {k}");
            }
            Int8Code.Count(x);

            return code =>
            {
                code.Line($"// QuantizeInteger {Int8Code.Describe(x)} -> {Int8Code.Describe(y)}: QuantizeLinear of integer values without float");
                code.Line($"// arithmetic: a step function, y = {yMin} below the first threshold, else the level of the last threshold <= x.");
                code.Line("// The compiler found each step (the x where the output rises, and to what) with the float definition itself:");
                code.Line("// Cast to float32, divide by the scale, round half to even, add the zero point, saturate.");
                code.Line($"var x = {context.Span(x)};");
                code.Line($"var y = {context.Span(y)};");
                Int8Code.ConstantArray(code, "long", "thresholds", thresholds.Select(t => t == long.MinValue ? "long.MinValue" : t.ToString(CultureInfo.InvariantCulture) + "L"));
                Int8Code.ConstantArray(code, "int", "levels", levels);
                code.Line($"{Int8Code.Runtime}QuantizeInteger.Apply<{OpEmitContext.ClrType(x.ElementType)}, {OpEmitContext.ClrType(type)}>(x, thresholds, levels, {yMin.ToString(CultureInfo.InvariantCulture)}, y);");
            };
        }
    }
}
