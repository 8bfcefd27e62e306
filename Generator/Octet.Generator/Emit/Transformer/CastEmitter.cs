using System;
using System.Collections.Generic;
using Octet.Generator.Emit.Int8;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// Cast from an integer type to float32 or to a wider integer type (an attention mask of int64 token flags
    /// becoming float before it is quantized): every such conversion is exact for the values involved (int64 to
    /// float32 rounds to nearest as C# does, like the reference executor), element by element, any layout.
    /// Narrowing and float-to-integer casts are not emitted (their out-of-range behaviour differs between runtimes).
    /// </summary>
    public sealed class CastEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "Cast" };

        private static readonly string[] Integers = { "int8", "uint8", "int32", "int64" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 1 || context.Op.Outputs.Count != 1) throw new EmitException("expected one input and one output");
            var x = context.Input(0);
            var y = context.Output(0);
            if (x.Layout != y.Layout) throw new EmitException($"input '{x.Name}' is {x.Layout} but the output '{y.Name}' is {y.Layout}");
            Int8Code.ExpectShape(y, "output", x.Shape);
            bool fromInteger = Array.IndexOf(Integers, x.ElementType) >= 0;
            bool widening = y.ElementType == "float32" || y.ElementType == x.ElementType
                || (y.ElementType == "int64" && x.ElementType != "int64") || (y.ElementType == "int32" && (x.ElementType == "int8" || x.ElementType == "uint8"));
            if (!fromInteger || !widening)
                throw new EmitException($"Cast from {x.ElementType} to {y.ElementType}: only integer to float32 or to a wider integer type is supported");
            int count = Int8Code.Count(x);
            string target = OpEmitContext.ClrType(y.ElementType);

            return code =>
            {
                code.Line($"// Cast {Int8Code.Describe(x)} -> {y.ElementType}: exact conversion element by element.");
                code.Line($"var x = {context.Span(x)};");
                code.Line($"var y = {context.Span(y)};");
                code.Line($"for (int i = 0; i < {count}; i++) y[i] = ({target})x[i];");
            };
        }
    }
}
