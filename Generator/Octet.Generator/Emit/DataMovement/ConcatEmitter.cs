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
        /// <summary>
        /// 8-bit Concats that copy at least this many bytes share the copies out over the model's worker team (see
        /// <see cref="SplitCopies"/>). Measured on squeezenet1.0 int8 (docs/performance.md, "Threading"): left on one thread
        /// while the convolutions before them split, its 27×27 and 13×13 Concats (65–187 KB) took 3–7 times longer than
        /// single-threaded (10–38 µs instead of 2–6), reading what the other core wrote; split from 64 KiB, its eight
        /// Concats took 46 µs in all on 2 threads instead of 135 (66 single-threaded).
        /// </summary>
        internal const long SplitBytes = 64 * 1024;

        /// <summary>Work units of a split Concat: slices of every copy along its outermost dimension.</summary>
        private const int SplitUnits = 48;

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
            // Every input in order; InPlace marks those the memory plan placed in their slice already (nothing to copy).
            var copies = new List<(int Input, PlanTensor Tensor, BoxCopy Copy, bool InPlace)>();
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
                bool inPlace = InPlace(context, input, output, copy, elementSize, out bool failed);
                if (failed) return;
                copies.Add((k, input, copy, inPlace));
                start += input.Shape[axis];
            }
            if (start != output.Shape[axis])
            {
                context.Unsupported($"the inputs add up to {start} along axis {axis}, but the output has {output.Shape[axis]}");
                return;
            }
            long bytes = copies.Where(c => !c.InPlace).Sum(c => c.Copy.Count) * elementSize;
            if (context.CanSplit && elementSize == 1 && bytes >= SplitBytes && copies.All(c => c.InPlace || c.Copy.Shape.Length <= CopyWriter.MaxRank))
            {
                SplitCopies(context, output, copies);
                return;
            }
            foreach (var (k, input, copy, inPlace) in copies)
            {
                if (inPlace)
                {
                    WriteInPlace(context.Code, k, input);
                    continue;
                }
                context.Code.Line($"// Input {k} ({Literals.Quoted(input.Name)}) → its slice of the output.");
                CopyWriter.Write(context, input, output, copy);
            }
        }

        /// <summary>
        /// True when the memory plan placed <paramref name="input"/> exactly in its slice of the output (its producer wrote
        /// it there: nothing to copy); <paramref name="failed"/> when it overlaps the output otherwise.
        /// </summary>
        private static bool InPlace(OpEmitContext context, PlanTensor input, PlanTensor output, BoxCopy copy, int elementSize, out bool failed)
        {
            failed = false;
            if (input.Storage != PlanStorage.Arena || output.Storage != PlanStorage.Arena) return false;
            long inputStart = input.Offset, inputEnd = input.Offset + input.Bytes;
            long outputStart = output.Offset, outputEnd = output.Offset + output.Bytes;
            bool inside = inputStart < outputEnd && outputStart < inputEnd;
            if (!inside) return false;
            // The memory plan placed this input inside the output: it must be exactly its slice, already in place.
            bool inPlace = copy.IsBlock && input.Layout == output.Layout
                && inputStart == outputStart + copy.DestinationOffset * elementSize;
            if (inPlace) return true;
            context.Unsupported($"input '{input.Name}' (arena @{input.Offset}) overlaps the output (arena @{output.Offset}) but is not exactly its slice");
            failed = true;
            return false;
        }

        /// <summary>
        /// The copies as <see cref="SplitUnits"/> work units for the worker team: unit u copies slice
        /// [u·S/U, (u+1)·S/U) of each input's copy along its outermost dimension in the output (for an NHWC Concat
        /// along channels, a band of pixels of every input), so the units write disjoint bytes and a participant
        /// copies the pixels it most likely produced itself in the op before.
        /// </summary>
        private static void SplitCopies(OpEmitContext context, PlanTensor output, List<(int Input, PlanTensor Tensor, BoxCopy Copy, bool InPlace)> copies)
        {
            context.Code.Line($"// {copies.Where(c => !c.InPlace).Sum(c => c.Copy.Count)} values to copy: split into units (bands along each copy's outermost output");
            context.Code.Line("// dimension) that the model's worker team may share; the units write disjoint bytes.");
            var code = context.SplitIntoUnits(SplitUnits);
            string type = OpEmitContext.ClrType(output.ElementType);
            foreach (var (k, input, copy, inPlace) in copies)
            {
                if (inPlace)
                {
                    WriteInPlace(code, k, input);
                    continue;
                }
                // The dimension with the largest destination stride: the outermost in the output's memory.
                int outer = 0;
                for (int d = 1; d < copy.Shape.Length; d++)
                    if (System.Math.Abs(copy.DestinationStrides[d]) > System.Math.Abs(copy.DestinationStrides[outer])) outer = d;
                long size = copy.Shape[outer];
                code.Line($"// Input {k} ({Literals.Quoted(input.Name)}) → its slice of the output; this unit range takes [first·{size}/{SplitUnits}, end·{size}/{SplitUnits}) along dimension {outer} of the copy.");
                string from = $"from{k}", count = $"count{k}";
                code.Line($"int {from} = (int)((long)first * {size} / {SplitUnits}), {count} = (int)((long)end * {size} / {SplitUnits}) - {from};");
                var shape = copy.Shape.Select((extent, d) => d == outer ? count : Literals.Int(extent));
                code.Line($"global::Octet.Runtime.DataMovement.StridedCopy.Copy<{type}>(");
                code.Line($"    {context.Span(input)}, {Offset(copy.SourceOffset, from, copy.SourceStrides[outer])}, {Literals.Ints(copy.SourceStrides.Select(v => (int)v))},");
                code.Line($"    {context.Span(output)}, {Offset(copy.DestinationOffset, from, copy.DestinationStrides[outer])}, {Literals.Ints(copy.DestinationStrides.Select(v => (int)v))},");
                code.Line($"    [{string.Join(", ", shape)}]);");
            }
        }

        private static void WriteInPlace(CodeWriter code, int k, PlanTensor input) =>
            code.Line($"// Input {k} ({Literals.Quoted(input.Name)}) was written straight into its slice of the output by its producer: nothing to copy.");

        /// <summary>"offset + index * stride", leaving out zero terms and unit factors.</summary>
        private static string Offset(long offset, string index, long stride)
        {
            string term = stride == 1 ? index : $"{index} * {Literals.Int(stride)}";
            return offset == 0 ? term : $"{Literals.Int(offset)} + {term}";
        }
    }
}
