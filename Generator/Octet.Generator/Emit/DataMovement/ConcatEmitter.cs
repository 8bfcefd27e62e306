using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// ONNX Concat along any axis, rowmajor or (rank 4) NHWC. Input k fills the output's slab
    /// [start_k, start_k + size_k) along the axis: a strided copy. When the memory plan already placed an input in
    /// its slice of the output (its producer wrote straight into place), that input is skipped.
    /// </summary>
    internal sealed class ConcatEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "Concat" };

        public void Emit(OpEmitContext context)
        {
            var output = context.Output(0);
            if (!Checks.Layout(context, output) || !Checks.Size(context, output)) return;
            int rank = output.Shape.Count;
            int axis = Checks.NormalizeAxis(context, context.Int("axis", 0), rank);
            if (axis < 0) return;
            var outputStrides = TensorLayouts.Strides(output);
            int elementSize = PlanText.ElementSize(output.ElementType);
            long start = 0;
            for (int k = 0; k < context.Op.Inputs.Count; k++)
            {
                if (!context.HasInput(k))
                {
                    context.Unsupported($"input {k} is empty; every Concat input is required");
                    return;
                }
                var input = context.Input(k);
                if (!Checks.SameElementType(context, input, output) || !Checks.Layout(context, input)) return;
                bool fits = input.Shape.Count == rank && Enumerable.Range(0, rank).All(d => d == axis || input.Shape[d] == output.Shape[d]);
                if (!fits)
                {
                    context.Unsupported($"input '{input.Name}' {Literals.Shape(input.Shape)} does not fit output {Literals.Shape(output.Shape)} along axis {axis}");
                    return;
                }
                var copy = new BoxCopy(0, Checks.Longs(TensorLayouts.Strides(input)), start * outputStrides[axis], Checks.Longs(outputStrides), Checks.Longs(input.Shape)).Simplify();
                WriteInput(context, k, input, output, copy, elementSize);
                start += input.Shape[axis];
            }
            if (start != output.Shape[axis])
                context.Unsupported($"the inputs add up to {start} along axis {axis}, but the output has {output.Shape[axis]}");
        }

        private static void WriteInput(OpEmitContext context, int k, PlanTensor input, PlanTensor output, BoxCopy copy, int elementSize)
        {
            if (input.Storage == PlanStorage.Arena && output.Storage == PlanStorage.Arena)
            {
                long inputStart = input.Offset, inputEnd = input.Offset + input.Bytes;
                long outputStart = output.Offset, outputEnd = output.Offset + output.Bytes;
                bool inside = inputStart < outputEnd && outputStart < inputEnd;
                if (inside)
                {
                    // The memory plan placed this input inside the output: it must be exactly its slice, already in place.
                    bool inPlace = copy.IsBlock && input.Layout == output.Layout
                        && inputStart == outputStart + copy.DestinationOffset * elementSize;
                    if (inPlace)
                    {
                        context.Code.Line($"// Input {k} ({Literals.Quoted(input.Name)}) was written straight into its slice of the output by its producer: nothing to copy.");
                        return;
                    }
                    context.Unsupported($"input '{input.Name}' (arena @{input.Offset}) overlaps the output (arena @{output.Offset}) but is not exactly its slice");
                    return;
                }
            }
            context.Code.Line($"// Input {k} ({Literals.Quoted(input.Name)}) → its slice of the output.");
            CopyWriter.Write(context, input, output, copy);
        }
    }
}
