using System;
using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// <c>octet.Select</c>: ONNX Where on quantized tensors with a uint8 condition (an attention mask; lowering stores the
    /// constant condition at the output's shape and puts both operands on the output's quantization, so the op only
    /// picks values). Row-major, int8 / uint8 / int16. The condition and each operand either have the output's shape
    /// or are one element (a constant fill); other broadcasts are not emitted. One loop: each output element is read
    /// from index i only, so an output sharing the arena bytes of an operand is safe.
    /// </summary>
    public sealed class SelectEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.Select" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 3 || context.Op.Outputs.Count != 1) throw new EmitException("expected inputs C, X, Y and one output");
            var c = context.Input(0);
            var x = context.Input(1);
            var y = context.Input(2);
            var output = context.Output(0);
            if (c.ElementType != "uint8") throw new EmitException($"condition '{c.Name}' is {c.ElementType}; expected uint8");
            Int8Code.ExpectQuantized(output, "output");
            foreach (var operand in new[] { x, y })
                if (operand.ElementType != output.ElementType)
                    throw new EmitException($"operand '{operand.Name}' is {operand.ElementType} but the output '{output.Name}' is {output.ElementType}");
            int count = Int8Code.Count(output);
            foreach (var (tensor, role) in new[] { (c, "condition"), (x, "X"), (y, "Y"), (output, "output") })
            {
                if (OpEmitContext.ElementCount(tensor) == 1) continue;
                Int8Code.ExpectLayout(tensor, role, "rowmajor");
                if (!tensor.Shape.SequenceEqual(output.Shape))
                    throw new EmitException($"{role} '{tensor.Name}' has shape [{string.Join(",", tensor.Shape)}]; this kernel takes the output's shape " +
                                            $"[{string.Join(",", output.Shape)}] or one element (lowering expands a constant condition)");
            }
            string At(PlanTensor tensor) => OpEmitContext.ElementCount(tensor) == 1 ? "[0]" : "[i]";

            return code =>
            {
                code.Line($"// Select: C {Int8Code.Describe(c)} ? X {Int8Code.Describe(x)} : Y {Int8Code.Describe(y)} -> {Int8Code.Describe(output)};");
                code.Line("// both operands are on the output's quantization already, so choosing is exact.");
                code.Line($"var c = {context.Span(c)};");
                code.Line($"var x = {context.Span(x)};");
                code.Line($"var y = {context.Span(y)};");
                code.Line($"var output = {context.Span(output)};");
                code.Line($"for (int i = 0; i < {count}; i++) output[i] = c{At(c)} != 0 ? x{At(x)} : y{At(y)};");
            };
        }
    }
}
