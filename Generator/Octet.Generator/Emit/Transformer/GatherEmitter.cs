using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Octet.Generator.Emit.Int8;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Transformer
{
    /// <summary>
    /// Gather (row-major, any element type): the output is data's blocks along <c>axis</c> picked by the indices
    /// (int64 or int32; negative ones count from the end), e.g. the embedding lookup of token ids in a BERT encoder
    /// (float or int8 table in the weights, ids from the model's input) or the class token of a ViT (an int8
    /// activation, a constant index). Each block is one span copy. An index outside the axis throws, naming the op,
    /// as the reference executor refuses it: a silent out-of-range read would be a wrong answer.
    /// </summary>
    public sealed class GatherEmitter : Int8OpEmitter
    {
        public override IEnumerable<string> OpTypes => new[] { "Gather" };

        internal override Action<CodeWriter> Analyze(OpEmitContext context)
        {
            if (context.Op.Inputs.Count != 2 || context.Op.Outputs.Count != 1) throw new EmitException("expected inputs data and indices and one output");
            var data = context.Input(0);
            var indices = context.Input(1);
            var y = context.Output(0);
            Int8Code.ExpectLayout(data, "input data", "rowmajor");
            Int8Code.ExpectLayout(y, "output", "rowmajor");
            if (data.ElementType != y.ElementType) throw new EmitException($"data '{data.Name}' is {data.ElementType} but the output '{y.Name}' is {y.ElementType}");
            if (indices.ElementType != "int64" && indices.ElementType != "int32")
                throw new EmitException($"indices '{indices.Name}' are {indices.ElementType}; expected int64 or int32");
            int rank = data.Shape.Count;
            if (rank == 0) throw new EmitException($"data '{data.Name}' is a scalar; Gather needs rank 1 or more");
            long axisAttribute = context.Int("axis", 0);
            if (axisAttribute < -rank || axisAttribute >= rank) throw new EmitException($"axis={axisAttribute} is outside [-{rank}, {rank - 1}]");
            int axis = (int)(axisAttribute < 0 ? axisAttribute + rank : axisAttribute);
            long outer = Int8Code.Product(data.Shape.Take(axis));
            int axisLength = data.Shape[axis];
            long inner = Int8Code.Product(data.Shape.Skip(axis + 1));
            int count = Int8Code.Count(indices);
            var expected = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToList();
            Int8Code.ExpectShape(y, "output", expected);
            Int8Code.Count(data);
            Int8Code.Count(y);

            // Constant indices (a class token's position): resolved and checked now, one copy per block.
            long[]? constantIndices = indices.Storage == PlanStorage.Inline
                ? indices.Values.Select(v => long.Parse(v, CultureInfo.InvariantCulture)).Select(v => v < 0 ? v + axisLength : v).ToArray()
                : null;
            if (constantIndices != null && constantIndices.Any(v => v < 0 || v >= axisLength))
                throw new EmitException($"constant indices '{indices.Name}' hold a value outside [-{axisLength}, {axisLength - 1}]");
            if (constantIndices != null)
            {
                return code =>
                {
                    code.Line($"// Gather axis {axis} at constant indices [{string.Join(",", indices.Values)}]: data {Int8Code.Describe(data)} -> {Int8Code.Describe(y)}, contiguous runs of {inner}.");
                    code.Line($"var data = {context.Span(data)};");
                    code.Line($"var y = {context.Span(y)};");
                    for (long o = 0; o < outer; o++)
                        for (int j = 0; j < count; j++)
                            code.Line($"data.Slice({(o * axisLength + constantIndices[j]) * inner}, {inner}).CopyTo(y.Slice({(o * count + j) * inner}, {inner}));");
                };
            }

            return code =>
            {
                code.Line($"// Gather axis {axis}: data {Int8Code.Describe(data)}, indices {Int8Code.Describe(indices)} -> {Int8Code.Describe(y)};");
                code.Line($"// {outer} outer block(s) x {count} index(es), each a contiguous run of {inner} element(s).");
                code.Line($"var data = {context.Span(data)};");
                code.Line($"var indices = {context.Span(indices)};");
                code.Line($"var y = {context.Span(y)};");
                code.Open($"for (int j = 0; j < {count}; j++)");
                code.Line("long index = indices[j];");
                code.Line($"if (index < 0) index += {axisLength};");
                code.Line($"if ((ulong)index >= {axisLength}UL) throw new global::System.IndexOutOfRangeException(" +
                          $"\"Gather {Identifiers.Sanitize(context.Op.Name)}: index \" + indices[j] + \" is outside [-{axisLength}, {axisLength - 1}]\");");
                code.Open($"for (int o = 0; o < {outer}; o++)");
                code.Line($"data.Slice((o * {axisLength} + (int)index) * {inner}, {inner}).CopyTo(y.Slice((o * {count} + j) * {inner}, {inner}));");
                code.Close();
                code.Close();
            };
        }
    }
}
