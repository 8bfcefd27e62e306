using System.Collections.Generic;
using System.Linq;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// ONNX Split along any axis (rowmajor or rank-4 NHWC). The part sizes are the outputs' extents along the axis
    /// (the compiler resolved the split input/attribute and num_outputs into the output shapes); each output is a
    /// strided copy of its slab of the input.
    /// </summary>
    internal sealed class SplitEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Split" };

        public void Emit(OpEmitContext context)
        {
            if (!Checks.InputCount(context, 1)) return;
            var input = context.Input(0);
            if (!Checks.Layout(context, input) || !Checks.Size(context, input)) return;
            int rank = input.Shape.Count;
            int axis = Checks.NormalizeAxis(context, context.Int("axis", 0), rank);
            if (axis < 0) return;
            var inputStrides = TensorLayouts.Strides(input);
            long start = 0;
            for (int k = 0; k < context.Op.Outputs.Count; k++)
            {
                var output = context.Output(k);
                if (!Checks.SameElementType(context, input, output) || !Checks.Layout(context, output)) return;
                bool fits = output.Shape.Count == rank && Enumerable.Range(0, rank).All(d => d == axis || input.Shape[d] == output.Shape[d]);
                if (!fits)
                {
                    context.Unsupported($"output '{output.Name}' {Literals.Shape(output.Shape)} is not a part of input {Literals.Shape(input.Shape)} along axis {axis}");
                    return;
                }
                context.Code.Line($"// Output {k} ({Literals.Quoted(output.Name)}) ← input positions [{start}, {start + output.Shape[axis]}) along axis {axis}.");
                CopyWriter.Write(context, input, output,
                    new BoxCopy(start * inputStrides[axis], Checks.Longs(inputStrides), 0, Checks.Longs(TensorLayouts.Strides(output)), Checks.Longs(output.Shape)));
                start += output.Shape[axis];
            }
            if (start != input.Shape[axis])
                context.Unsupported($"the outputs add up to {start} along axis {axis}, but the input has {input.Shape[axis]}");
        }
    }
}
