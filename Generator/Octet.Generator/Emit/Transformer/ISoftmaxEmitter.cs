using System;
using System.Collections.Generic;
using Octet.Generator.Emit.Int8;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// <c>octet.ISoftmax</c>: integer softmax along the last axis (row-major), output in steps of 1/256 with the
    /// zero point the output type fixes (−128 for int8, 0 for uint8). One call of
    /// <c>Octet.Runtime.Transformer.IntegerSoftmax.Rows</c> over all rows; the kernel holds the exponent of every
    /// possible difference from the row maximum in a 256-entry table on the stack.
    /// </summary>
    public sealed class ISoftmaxEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "octet.ISoftmax" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            var (x, y) = TransformerCode.UnaryEightBit(context);
            int length = TransformerCode.RowLength(x);
            Int8Code.ExpectLayout(y, "output Y", "rowmajor");
            string method = TransformerCode.Method(context, "ibert", "shiftmax");
            var (multiplier, shift) = TransformerCode.FixedPoint(context, "x_multiplier", "x_shift");
            TransformerCode.ExpectOutputType(context, y);
            int zeroPoint = y.ElementType == "int8" ? -128 : 0;
            if (context.Int("y_zero_point", zeroPoint) != zeroPoint)
                throw new EmitException($"y_zero_point={context.Int("y_zero_point", zeroPoint)}; ISoftmax's {y.ElementType} output has zero point {zeroPoint}");
            long rows = OpEmitContext.ElementCount(x) / length;
            string methodName = method == "shiftmax" ? "Shiftmax" : "Ibert";

            return code =>
            {
                code.Line($"// ISoftmax ({method}): X {Int8Code.Describe(x)} -> Y {Int8Code.Describe(y)}, {rows} row(s) of {length};");
                code.Line($"// input step on the exponent's 2^-20 grid: M0 {multiplier}, shift {shift}; output scale 1/256, zero point {zeroPoint}.");
                code.Line($"{TransformerCode.Runtime}IntegerSoftmax.Rows<{TransformerCode.TypeArguments(x, y)}>({context.Span(x)}, {context.Span(y)}, {length}, " +
                          $"{TransformerCode.Runtime}SoftmaxMethod.{methodName}, {Int8Code.Int(multiplier)}, {Int8Code.Int(shift)});");
            };
        }
    }
}
