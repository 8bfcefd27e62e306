using System.Collections.Generic;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.Float
{
    /// <summary>
    /// Float32 Softmax on a rowmajor tensor. From opset 13 each group is the 1-D slice along <c>axis</c> (default
    /// −1); before 13 the input is coerced to 2-D at <c>axis</c> (default 1) and each group is everything from
    /// <c>axis</c> on. The plan tells the two apart by the op's <c>opset</c> attribute (the ONNX node's resolved
    /// version); without it the opset-13 semantics apply. The arithmetic is the reference's (see
    /// <c>FloatSoftmax</c>), so results are bit-identical.
    /// </summary>
    public sealed class FloatSoftmaxEmitter : IOpEmitter
    {
        /// <summary>The plan attribute that carries the Softmax node's operator version.</summary>
        public const string OpsetAttribute = "opset";

        public IEnumerable<string> OpTypes => new[] { "Softmax" };

        public void Emit(OpEmitContext context)
        {
            if (!FloatEmit.ExpectArity(context, 1, 1)) return;
            PlanTensor x = context.Input(0), y = context.Output(0);
            string op = $"Softmax '{context.Op.Name}'";
            if (!FloatEmit.ExpectFloat(context, x, y)) return;
            int rank = x.Shape.Count;
            if (x.Layout != "rowmajor" || y.Layout != "rowmajor" || rank == 0 || !(x.Shape == y.Shape))
            {
                context.Unsupported($"{op}: input ({x.Layout} [{string.Join(",", x.Shape)}]) and output ({y.Layout} [{string.Join(",", y.Shape)}]) must be rowmajor, of one shape and rank 1 or more");
                return;
            }
            bool flattened = context.Int(OpsetAttribute, 13) < 13;
            long axisAttribute = context.Int("axis", flattened ? 1 : -1);
            if (axisAttribute < -rank || axisAttribute >= rank)
            {
                context.Unsupported($"{op}: axis={axisAttribute} is out of range for [{string.Join(",", x.Shape)}]");
                return;
            }
            int axis = (int)(axisAttribute < 0 ? axisAttribute + rank : axisAttribute);
            long outer = 1, length = 1, inner = 1;
            for (int i = 0; i < rank; i++)
            {
                if (i < axis) outer *= x.Shape[i];
                else if (i == axis || flattened) length *= x.Shape[i];
                else inner *= x.Shape[i];
            }

            var code = context.Code;
            code.Line($"// {FloatEmit.Describe(y)} = softmax of {FloatEmit.Describe(x)} " +
                      (flattened ? $"over axes {axis}.. flattened (opset < 13)" : $"along axis {axis}") +
                      $": {outer} × {inner} groups of {length}" + (inner > 1 ? $" at stride {inner}" : ""));
            code.Line($"ReadOnlySpan<float> x = {context.Span(x)};");
            code.Line($"Span<float> y = {context.Span(y)};");
            code.Open($"for (int o = 0; o < {outer}; o++)");
            if (inner == 1)
            {
                code.Line($"{FloatEmit.Runtime}FloatSoftmax.Group(x.Slice(o * {length}, {length}), y.Slice(o * {length}, {length}), {length}, 1);");
            }
            else
            {
                code.Open($"for (int i = 0; i < {inner}; i++)");
                code.Line($"int start = o * {length * inner} + i;");
                code.Line($"{FloatEmit.Runtime}FloatSoftmax.Group(x.Slice(start), y.Slice(start), {length}, {inner});");
                code.Close();
            }
            code.Close();
        }
    }
}
